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

from journeysim.analytic.chain import Chain, InterventionsIgnoredWarning
from journeysim.analytic.linalg import van_loan
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


def _segment_outcome(
    rates: NDArray[np.float64],
    entry: int,
    conversion: tuple[int, ...],
    prospects: NDArray[np.bool_],
    initial: NDArray[np.float64],
    arrivals: NDArray[np.float64],
) -> tuple[float, float]:
    """(expected new buyers, expected purchases) over len(arrivals) days for one segment's rates.

    Purchases: x_{d+1} = x_d E1 + lambda_d e F1 and purchases_d = (x_d F1 + lambda_d e F2) r_C (as in
    `analytic.expected_timeseries`). New buyers: the same chain with the conversion stages absorbing; initial
    prospects convert by T with y_0 exp(G_A T); an arrival on day d converts with probability P(entry into C
    within T - t), whose integral over the day is (e exp(G_A k) int_0^1 exp(G_A u) du) 1_C with k = T - d - 1.
    """
    n_days = int(arrivals.size)
    conv = list(conversion)
    q = rates - np.diag(rates.sum(axis=1))
    e1, f1, f2 = van_loan(q, 1.0, order=2)
    rate_c = rates[:, conv].sum(axis=1)
    entry_buys = entry in conversion
    x = initial.astype(np.float64).copy()
    bought = 0.0
    for d in range(n_days):
        bought += float((x @ f1 + arrivals[d] * f2[entry]) @ rate_c) + (arrivals[d] if entry_buys else 0.0)
        x = x @ e1 + arrivals[d] * f1[entry]
    absorbing = rates.copy()
    absorbing[conv, :] = 0.0
    ga = absorbing - np.diag(absorbing.sum(axis=1))
    ea, fa = van_loan(ga, 1.0, order=1)
    y = np.where(prospects, initial, 0.0).astype(np.float64)
    r = np.zeros(rates.shape[0])
    r[entry] = 1.0
    per_day = np.empty(n_days)
    for k in range(n_days):
        per_day[k] = float((r @ fa)[conv].sum())
        r = r @ ea
        y = y @ ea
    buyers = float(y[conv].sum())
    if prospects[entry]:
        buyers += float(arrivals[::-1] @ per_day)
    return buyers, bought


def _horizon(scenario: Scenario, horizon: int | None) -> int:
    h = scenario.settings.horizon_days if horizon is None else horizon
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
        raise ConfigError("horizon", f"{horizon!r} is not a whole number of days >= 1", "give e.g. horizon=365")
    return int(h)


def _warn_assumptions(scenario: Scenario) -> None:
    """Warn once when the answer ignores interventions or treats non-exponential dwell as exponential."""
    parts = []
    if scenario.strategy.plans or scenario.strategy.rate_multipliers:
        parts.append("strategy")
    if scenario.word_of_mouth.active:
        parts.append("word of mouth")
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


def _outcome(scenario: Scenario, rates: NDArray[np.float64], n_days: int) -> ExpectedOutcome:
    j = scenario.journey
    prospects = np.zeros(j.n_stages, dtype=bool)
    prospects[list(j.pre_purchase_indices)] = True
    init = scenario.initial_counts()
    rows = []
    for g, seg in enumerate(scenario.population.segments):
        buyers, bought = _segment_outcome(
            rates[g], j.entry_index, j.conversion_indices, prospects, init[g].astype(np.float64), seg.intensity(n_days)
        )
        rows.append(
            {"segment": seg.name, "new_buyers": buyers, "purchases": bought, "revenue": bought * seg.order_value.mean}
        )
    table = pd.DataFrame(rows).set_index("segment")
    return ExpectedOutcome(
        float(table["new_buyers"].sum()), float(table["purchases"].sum()), float(table["revenue"].sum()), table
    )


def expected_outcome(scenario: Scenario, horizon: int | None = None) -> ExpectedOutcome:
    """Exact expected new buyers, purchases and revenue (purchases x mean order value) over the horizon.

    Initial customers plus Poisson arrivals with each segment's daily intensity; baseline rates (no strategy).
    """
    n_days = _horizon(scenario, horizon)
    _warn_assumptions(scenario)
    return _outcome(scenario, scenario.rate_tensor(), n_days)


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
    base = _outcome(scenario, base_rates, n_days)
    matrix = j.rate_matrix()
    rows = []
    for a, b in zip(*np.nonzero(matrix > 0), strict=True):
        rates = base_rates.copy()
        rates[:, a, b] *= 1.0 + improvement
        out = _outcome(scenario, rates, n_days)
        db, dr = out.new_buyers - base.new_buyers, out.revenue - base.revenue
        src, dst = j.stages[a], j.stages[b]
        rows.append(
            {
                "from": src,
                "to": dst,
                "rate": float(matrix[a, b]),
                "delta_buyers": db,
                "delta_buyers_pct": _pct(db, base.new_buyers),
                "delta_revenue": dr,
                "delta_revenue_pct": _pct(dr, base.revenue),
                "text": _text(src, dst, improvement, db, _pct(db, base.new_buyers), dr),
            }
        )
    cols = ["from", "to", "rate", "delta_buyers", "delta_buyers_pct", "delta_revenue", "delta_revenue_pct", "text"]
    table = pd.DataFrame(rows, columns=cols)
    first, second = ("delta_buyers", "delta_revenue") if rank_by == "buyers" else ("delta_revenue", "delta_buyers")
    order = np.lexsort((-table[second].abs().to_numpy(), -table[first].abs().to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
