"""Funnel troubleshooting: how many buyers (and how much revenue) each transition rate is worth, ranked.

For every transition of the journey, its rate is raised by a small fraction in every segment and the exact
expected new buyers and revenue over the horizon are recomputed (no simulation): initial customers plus Poisson
arrivals with each segment's daily intensity, finite-horizon matrix exponentials as in `journeysim.analytic`.
Strategies and word of mouth are not modelled (baseline rates). Formulas: docs/comparison.md.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.analytic.chain import Chain, InterventionsIgnoredWarning, ignored_interventions
from journeysim.analytic.generator import generator
from journeysim.analytic.linalg import can_reach, van_loan_stack
from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.scenario import Scenario

RANK_BY = ("buyers", "revenue")


@dataclass(frozen=True)
class ExpectedOutcome:
    """Exact expected new buyers, purchases and revenue over the horizon, in total and per segment."""

    new_buyers: float
    purchases: float
    revenue: float
    by_segment: pd.DataFrame  # index segment; columns new_buyers, purchases, revenue


@dataclass(frozen=True)
class _Population:
    """What the outcome of a rate tensor depends on besides the rates: the journey's indices and the people."""

    entry: int
    conversion: tuple[int, ...]
    prospects: NDArray[np.bool_]  # (S,) pre-purchase stages
    initial: NDArray[np.float64]  # (G, S) customers at day 0
    arrivals: NDArray[np.float64]  # (G, D) expected arrivals per day into the entry stage


def _population(scenario: Scenario, n_days: int) -> _Population:
    j = scenario.journey
    prospects = np.zeros(j.n_stages, dtype=bool)
    prospects[list(j.pre_purchase_indices)] = True
    return _Population(
        j.entry_index,
        j.conversion_indices,
        prospects,
        scenario.initial_counts().astype(np.float64),
        np.array(
            [scenario.arrival_intensity(g, n_days) for g in range(len(scenario.population.segments))], dtype=np.float64
        ).reshape(len(scenario.population.segments), n_days),
    )


def _purchases(rates: NDArray[np.float64], pop: _Population) -> NDArray[np.float64]:
    """Expected purchases over the horizon for each of B segment rate matrices (B, S, S) with arrivals (B, D).

    x_{d+1} = x_d E1 + lambda_d e F1 and purchases_d = (x_d F1 + lambda_d e F2) r_C (as in
    `analytic.expected_timeseries`), summed over the days: (sum_d x_d) F1 r_C + (sum_d lambda_d) e F2 r_C.
    """
    lam = pop.arrivals
    conv = list(pop.conversion)
    e1, f1, f2 = van_loan_stack(generator(rates), order=2)
    rate_c = rates[:, :, conv].sum(axis=2)
    x = pop.initial[:, None, :].copy()  # (B, 1, S)
    inflow = lam[:, :, None] * f1[:, None, pop.entry, :]  # (B, D, S): lambda_d e F1
    x_sum = np.zeros_like(x)
    for d in range(lam.shape[1]):
        x_sum += x
        x = x @ e1
        x += inflow[:, d, None, :]
    total = lam.sum(axis=1)
    out = np.einsum("bi,bij,bj->b", x_sum[:, 0, :], f1, rate_c)
    out += total * np.einsum("bj,bj->b", f2[:, pop.entry], rate_c)
    if pop.entry in pop.conversion:  # an arrival into a conversion stage is a purchase
        out += total
    return np.asarray(out, dtype=np.float64)


def _new_buyers(rates: NDArray[np.float64], pop: _Population) -> NDArray[np.float64]:
    """Expected new buyers over the horizon for each of B segment rate matrices (B, S, S) with arrivals (B, D).

    The chain with the conversion stages absorbing (G_A): initial prospects convert by T with y_0 exp(G_A T); an
    arrival on day d converts with probability P(entry into C within T - t), whose integral over the day is
    (e exp(G_A k) int_0^1 exp(G_A u) du) 1_C with k = T - d - 1, so the arrivals add
    ((sum_k lambda_{T-1-k} e exp(G_A k)) int_0^1 exp(G_A u) du) 1_C. Only the stages prospects can reach
    without buying take part (a closed set, so restricting the chain to them is exact).
    """
    n_b = rates.shape[0]
    absorbing = rates.copy()
    absorbing[:, list(pop.conversion), :] = 0.0
    idx = np.flatnonzero(_prospect_stages(absorbing, pop))
    if idx.size == 0:
        return np.zeros(n_b)
    ea, fa = van_loan_stack(generator(absorbing[:, idx[:, None], idx[None, :]]), order=1)
    state = np.zeros((n_b, 2, idx.size))  # rows: y (initial prospects), r (one arrival in the entry stage)
    state[:, 0, :] = np.where(pop.prospects, pop.initial, 0.0)[:, idx]
    state[:, 1, :] = idx == pop.entry
    weights = pop.arrivals[:, ::-1]  # lambda_{T-1-k} for step k
    r_sum = np.zeros((n_b, idx.size))
    for k in range(weights.shape[1]):
        r_sum += weights[:, k, None] * state[:, 1, :]
        state = state @ ea
    conv = np.isin(idx, pop.conversion)
    buyers = state[:, 0, conv].sum(axis=1)
    if pop.prospects[pop.entry]:
        buyers += np.einsum("bi,bij->bj", r_sum, fa)[:, conv].sum(axis=1)
    return np.asarray(buyers, dtype=np.float64)


def _prospect_stages(absorbing: NDArray[np.float64], pop: _Population) -> NDArray[np.bool_]:
    """Stages the prospects can reach with the conversion stages absorbing, in any of the rate matrices."""
    pattern = np.asarray((absorbing > 0).any(axis=0), dtype=np.float64)
    return can_reach(pattern.T, [int(i) for i in np.flatnonzero(pop.prospects)])


def _repeated(pop: _Population, times: int) -> _Population:
    """The population with its segments repeated `times` over, one copy per rate tensor of a stack."""
    initial, arrivals = np.tile(pop.initial, (times, 1)), np.tile(pop.arrivals, (times, 1))
    return _Population(pop.entry, pop.conversion, pop.prospects, initial, arrivals)


def _outcomes(rates: NDArray[np.float64], pop: _Population) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(expected new buyers, expected purchases), each (K, G), over the horizon for K rate tensors (K, G, S, S).

    Every tensor and segment goes through the same matrix exponentials and day steps at once. New buyers depend
    only on the rates among the stages prospects reach before buying: a tensor that changes none of them (e.g. a
    post-purchase rate raised) gets the first tensor's new buyers, exactly, without computing them again.
    """
    n_k, n_g, n, _ = rates.shape
    purchases = _purchases(rates.reshape(n_k * n_g, n, n), _repeated(pop, n_k)).reshape(n_k, n_g)
    absorbing = rates.copy()
    absorbing[:, :, list(pop.conversion), :] = 0.0
    live = _prospect_stages(absorbing.reshape(n_k * n_g, n, n), pop)
    block = absorbing[:, :, live][:, :, :, live]
    changed = [0] + [k for k in range(1, n_k) if not np.array_equal(block[k], block[0])]
    some = rates[changed].reshape(len(changed) * n_g, n, n)
    computed = _new_buyers(some, _repeated(pop, len(changed))).reshape(len(changed), n_g)
    buyers = np.repeat(computed[:1], n_k, axis=0)
    buyers[changed] = computed
    return buyers, purchases


def _horizon(scenario: Scenario, horizon: int | None) -> int:
    h = scenario.settings.horizon_days if horizon is None else horizon
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
        raise ConfigError("horizon", f"{horizon!r} is not a whole number of days >= 1", "give e.g. horizon=365")
    return int(h)


def _warn_assumptions(scenario: Scenario) -> None:
    """Warn once when the answer ignores interventions or treats non-exponential dwell as exponential."""
    parts = ignored_interventions(scenario)
    if parts:
        warnings.warn(
            f"the bottleneck finder uses the scenario's baseline rates and ignores its {' and '.join(parts)}",
            InterventionsIgnoredWarning,
            stacklevel=3,
        )
    j = scenario.journey
    chain = Chain(
        j.stages,
        j.rate_matrix(),
        j.entry_index,
        j.conversion_indices,
        tuple(s for s, d in j.dwell.items() if not d.is_exponential),
    )
    chain.warn_if_semi_markov("the bottleneck finder", stacklevel=4)


def _outcome(scenario: Scenario, buyers: NDArray[np.float64], bought: NDArray[np.float64]) -> ExpectedOutcome:
    """The outcome of one rate tensor from its per-segment new buyers and purchases (revenue at mean order value)."""
    rows = [
        {
            "segment": seg.name,
            "new_buyers": float(nb),
            "purchases": float(p),
            "revenue": float(p) * seg.order_value.mean,
        }
        for seg, nb, p in zip(scenario.population.segments, buyers, bought, strict=True)
    ]
    table = pd.DataFrame(rows, columns=["segment", "new_buyers", "purchases", "revenue"]).set_index("segment")
    return ExpectedOutcome(
        float(table["new_buyers"].sum()), float(table["purchases"].sum()), float(table["revenue"].sum()), table
    )


def expected_outcome(scenario: Scenario, horizon: int | None = None) -> ExpectedOutcome:
    """Exact expected new buyers, purchases and revenue (purchases x mean order value) over the horizon.

    Initial customers plus Poisson arrivals with each segment's daily intensity; baseline rates (no strategy).
    """
    n_days = _horizon(scenario, horizon)
    _warn_assumptions(scenario)
    buyers, bought = _outcomes(scenario.rate_tensor()[None], _population(scenario, n_days))
    return _outcome(scenario, buyers[0], bought[0])


def _pct(delta: float, base: float) -> float:
    return 100.0 * delta / base if base != 0 else math.nan


def _text(src: str, dst: str, improvement: float, buyers: float, buyers_pct: float, revenue: float) -> str:
    step = f"{100 * improvement:g}%"
    money = f"{'+' if revenue >= 0 else '-'}{abs(revenue):,.0f} revenue"
    if round(buyers) == 0:
        return f"changing {src} -> {dst} by {step} changes buyers by less than one ({money})"
    if buyers > 0:
        return f"improving {src} -> {dst} by {step} adds {buyers:,.0f} buyers ({buyers_pct:+.1f}%, {money})"
    return (
        f"raising {src} -> {dst} by {step} loses {-buyers:,.0f} buyers ({buyers_pct:+.1f}%, {money}); "
        f"cutting it by {step} gains about as many"
    )


def bottlenecks(
    scenario: Scenario,
    improvement: float = 0.10,
    horizon: int | None = None,
    rank_by: str = "buyers",
) -> pd.DataFrame:
    """Every transition with a positive rate, ranked by how much raising its rate by `improvement` moves buyers.

    For each (from, to): the rate multiplied by 1 + improvement in every segment, and the change in exact expected
    new buyers and revenue over the horizon. Backward and churn transitions get negative deltas (raising them
    hurts; cutting them helps about as much), so rows are ranked by the *absolute* delta of `rank_by` (`buyers` or
    `revenue`), largest first, ties (e.g. post-purchase rates, which move no buyers) by the other absolute delta.
    Columns: rank, from, to, rate (the journey's per-day rate before segment multipliers), delta_buyers,
    delta_buyers_pct, delta_revenue, delta_revenue_pct, text.
    """
    if rank_by not in RANK_BY:
        raise ConfigError(
            "rank_by",
            f"unknown ranking '{rank_by}'{did_you_mean(str(rank_by), RANK_BY)}",
            f"use one of {', '.join(RANK_BY)}",
        )
    if not (math.isfinite(improvement) and improvement > 0):
        raise ConfigError(
            "improvement",
            f"{improvement!r} is not a fraction > 0",
            "give the relative change of a rate, e.g. 0.1 for +10%",
        )
    n_days = _horizon(scenario, horizon)
    _warn_assumptions(scenario)
    j = scenario.journey
    base_rates = scenario.rate_tensor()
    matrix = j.rate_matrix()
    pairs = list(zip(*np.nonzero(matrix > 0), strict=True))
    tensors = np.repeat(base_rates[None], len(pairs) + 1, axis=0)  # the baseline, then one per transition
    for k, (a, b) in enumerate(pairs, start=1):
        tensors[k, :, a, b] *= 1.0 + improvement
    buyers, bought = _outcomes(tensors, _population(scenario, n_days))
    values = np.array([seg.order_value.mean for seg in scenario.population.segments], dtype=np.float64)
    new_buyers = [float(row.sum()) for row in buyers]
    revenue = [float((row * values).sum()) for row in bought]
    rows = []
    for k, (a, b) in enumerate(pairs, start=1):
        db, dr = new_buyers[k] - new_buyers[0], revenue[k] - revenue[0]
        src, dst = j.stages[a], j.stages[b]
        rows.append(
            {
                "from": src,
                "to": dst,
                "rate": float(matrix[a, b]),
                "delta_buyers": db,
                "delta_buyers_pct": _pct(db, new_buyers[0]),
                "delta_revenue": dr,
                "delta_revenue_pct": _pct(dr, revenue[0]),
                "text": _text(src, dst, improvement, db, _pct(db, new_buyers[0]), dr),
            }
        )
    cols = ["from", "to", "rate", "delta_buyers", "delta_buyers_pct", "delta_revenue", "delta_revenue_pct", "text"]
    table = pd.DataFrame(rows, columns=cols)
    first, second = ("delta_buyers", "delta_revenue") if rank_by == "buyers" else ("delta_revenue", "delta_buyers")
    order = np.lexsort((-table[second].abs().to_numpy(), -table[first].abs().to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def ranked(scenario: Scenario, improvement: float = 0.1, rank_by: str = "buyers") -> tuple[pd.DataFrame, list[str]]:
    """The ranked bottleneck table and the assumption notes (its warnings, as text, once each) that came with it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = bottlenecks(scenario, improvement=improvement, rank_by=rank_by)
    notes = list(dict.fromkeys(str(w.message) for w in caught))
    return table, notes
