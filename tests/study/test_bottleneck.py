"""Bottleneck finder: a tiny chain worked by hand, consistency with the analytic module, and a quick simulation."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import journeysim.analytic as A
from journeysim.analytic.generator import generator
from journeysim.analytic.linalg import van_loan, van_loan_stack
from journeysim.errors import ConfigError
from journeysim.metrics import new_buyers, purchases
from journeysim.model import Journey, Scenario
from journeysim.study.bottleneck import bottlenecks, expected_outcome
from journeysim.study.run import replication_seeds, simulate

# a -> b -> c (conversion), with losses at both steps: a leaves at 0.25 (80% forward), b at 0.1 (40% forward)
TINY = {
    "stages": ["a", "b", "c", "lost"],
    "entry": "a",
    "conversion": ["c"],
    "terminal": ["lost"],
    "rates": {"a": {"b": 0.2, "lost": 0.05}, "b": {"c": 0.04, "lost": 0.06}, "c": {"lost": 0.02}},
}


def tiny(rates: dict[str, dict[str, float]] | None = None, **population: Any) -> Scenario:
    journey = dict(TINY, rates=rates or TINY["rates"])
    seg = {"initial": {"a": 1000}, "order_value": {"kind": "fixed", "mean": 50.0}, **population}
    return Scenario.from_dict({"journey": journey, "population": {"segments": {"s": seg}}, "sim": {"horizon_days": 30}})


def buy_within(t: float, ab: float, al: float, bc: float, bl: float) -> float:
    """P(a -> b -> c within t) = (ab / qa)(bc / qb) x hypoexponential CDF(t; qa, qb)."""
    qa, qb = ab + al, bc + bl
    cdf = 1 - (qb * math.exp(-qa * t) - qa * math.exp(-qb * t)) / (qb - qa)
    return ab / qa * bc / qb * cdf


def test_tiny_chain_ranking_and_one_delta_by_hand() -> None:
    """1000 customers in a, 30 days. Base: 0.8 x 0.4 x (1 - (0.1 e^-7.5 - 0.25 e^-3) / -0.15) = 0.8 x 0.4 x 0.917391
    = 0.293565, i.e. 293.56 buyers. b -> c + 10% (0.044, qb 0.104): share 0.423077, CDF 1 - (0.104 e^-7.5 -
    0.25 e^-3.12) / -0.146 = 0.924783, so 0.8 x 0.423077 x 0.924783 = 0.313004: +19.44 buyers (+6.62%)."""
    out = bottlenecks(tiny())
    assert list(out.columns) == [
        "rank",
        "from",
        "to",
        "rate",
        "delta_buyers",
        "delta_buyers_pct",
        "delta_revenue",
        "delta_revenue_pct",
        "text",
    ]
    top = out.iloc[0]
    assert (top["from"], top["to"], top["rate"]) == ("b", "c", 0.04)  # the bottleneck: b loses 60% of its people
    assert top["delta_buyers"] == pytest.approx(19.44, abs=0.01)
    assert top["delta_buyers_pct"] == pytest.approx(6.62, abs=0.01)
    assert top["delta_revenue"] == pytest.approx(50 * top["delta_buyers"])  # no repeat purchases: revenue = 50/buyer
    assert top["text"] == "improving b -> c by 10% adds 19 buyers (+6.6%, +972 revenue)"
    # every delta against the closed form; ranked by absolute change: b->c, b->lost, a->b, a->lost, c->lost (0)
    base = 1000 * buy_within(30, 0.2, 0.05, 0.04, 0.06)
    want = {
        ("b", "c"): 1000 * buy_within(30, 0.2, 0.05, 0.044, 0.06) - base,
        ("b", "lost"): 1000 * buy_within(30, 0.2, 0.05, 0.04, 0.066) - base,
        ("a", "b"): 1000 * buy_within(30, 0.22, 0.05, 0.04, 0.06) - base,
        ("a", "lost"): 1000 * buy_within(30, 0.2, 0.055, 0.04, 0.06) - base,
        ("c", "lost"): 0.0,
    }
    assert [(f, t) for f, t in zip(out["from"], out["to"], strict=True)] == list(want)
    for (f, t), d in want.items():
        row = out[(out["from"] == f) & (out["to"] == t)].iloc[0]
        assert row["delta_buyers"] == pytest.approx(d, abs=1e-9)
    assert list(out["rank"]) == [1, 2, 3, 4, 5]
    lost = out.iloc[1]
    assert lost["delta_buyers"] < 0 and lost["text"].startswith("raising b -> lost by 10% loses 13 buyers (-4.5%")
    assert out.iloc[4]["text"].startswith("changing c -> lost by 10% changes buyers by less than one")


def test_expected_outcome_matches_the_analytic_module() -> None:
    """Purchases = analytic.expected_purchases_with_arrivals; buyers = initial x conversion probability within T
    plus the arrivals' integral lambda (ab/q)(T - (1 - e^{-qT}) / q) of a one-step chain (worked in closed form)."""
    rates = {"a": {"c": 0.1, "lost": 0.05}, "c": {"a": 0.3}}  # c -> a: customers come back and buy again
    sc = tiny(rates, arrivals_per_day=20.0)
    out = expected_outcome(sc)
    journey = sc.journey
    want_purchases = A.expected_purchases_with_arrivals(journey, 20.0, 30, initial={"a": 1000})
    assert out.purchases == pytest.approx(want_purchases, rel=1e-10)
    assert out.revenue == pytest.approx(50 * want_purchases, rel=1e-10)
    q = 0.15
    arrivals = 20.0 * (0.1 / q) * (30 - (1 - math.exp(-q * 30)) / q)
    initial = 1000 * A.conversion_probability(journey, horizon=30)
    assert out.new_buyers == pytest.approx(initial + arrivals, rel=1e-10)
    assert initial == pytest.approx(1000 * (0.1 / q) * (1 - math.exp(-q * 30)), rel=1e-12)
    assert list(out.by_segment.index) == ["s"]


def test_bottleneck_where_expected_in_the_customer_journey(journey_dict: dict) -> None:
    """Choke interest -> consideration (0.10 -> 0.01: only 1 in 8 leaving interest moves on): it becomes the top
    row. A post-purchase rate moves revenue but no new buyers; ranking by revenue orders by |delta_revenue|."""
    rates = {k: dict(v) for k, v in journey_dict["rates"].items()}
    rates["interest"]["consideration"] = 0.01
    data = {
        "journey": {**journey_dict, "rates": rates},
        "sim": {"horizon_days": 180},
        "population": {
            "segments": {
                "c": {
                    "initial": {"awareness": 5000, "loyalty": 2000},
                    "arrivals_per_day": 50,
                    "weekly": [1, 1, 1, 1, 1, 2, 2],
                }
            }
        },
    }
    plain = bottlenecks(Scenario.from_dict({**data, "journey": journey_dict}))
    assert (plain.iloc[0]["from"], plain.iloc[0]["to"]) != ("interest", "consideration")
    out = bottlenecks(Scenario.from_dict(data))
    assert (out.iloc[0]["from"], out.iloc[0]["to"]) == ("interest", "consideration")
    assert out.iloc[0]["delta_buyers"] > 0
    loyal = out[(out["from"] == "loyalty") & (out["to"] == "purchase")].iloc[0]
    assert abs(loyal["delta_buyers"]) < 1e-6 and loyal["delta_revenue"] > 0
    by_revenue = bottlenecks(Scenario.from_dict(data), rank_by="revenue")
    assert by_revenue["delta_revenue"].abs().is_monotonic_decreasing


def test_expected_new_buyers_match_a_simulation(journey_dict: dict) -> None:
    """Initial prospects and existing customers, weekly arrivals: simulated new buyers and purchases within
    4 standard errors of the exact expectation (20 replications)."""
    sc = Scenario.from_dict(
        {
            "journey": journey_dict,
            "sim": {"horizon_days": 60, "replications": 20, "seed": 4},
            "population": {
                "segments": {
                    "c": {
                        "initial": {"awareness": 800, "intent": 300, "loyalty": 400},
                        "arrivals_per_day": 40,
                        "weekly": [1, 1, 1, 1, 1, 3, 3],
                    }
                }
            },
        }
    )
    exp = expected_outcome(sc)
    recs = [simulate(sc, s) for s in replication_seeds(sc)]
    for got, want in (
        (np.array([new_buyers(r) for r in recs], float), exp.new_buyers),
        (np.array([purchases(r) for r in recs], float), exp.purchases),
    ):
        se = got.std(ddof=1) / math.sqrt(got.size)
        assert abs(got.mean() - want) < 4 * se, (got.mean(), want, se)


def test_warnings_and_bad_inputs(journey_dict: dict) -> None:
    sc = Scenario.from_dict(
        {
            "journey": TINY,
            "population": {"segments": {"s": {"initial": {"a": 10}}}},
            "strategy": {"rate_multipliers": [{"from": "a", "to": "b", "factor": 2.0}]},
            "sim": {"horizon_days": 10},
        }
    )
    with pytest.warns(A.InterventionsIgnoredWarning, match="bottleneck finder"):
        bottlenecks(sc)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bottlenecks(tiny())  # no strategy: no warning
    with pytest.raises(ConfigError, match="rank_by"):
        bottlenecks(tiny(), rank_by="buyer")
    with pytest.raises(ConfigError, match="improvement"):
        bottlenecks(tiny(), improvement=0.0)
    with pytest.raises(ConfigError, match="horizon"):
        bottlenecks(tiny(), horizon=0)
    assert isinstance(Journey.from_dict(TINY), Journey)


def reference_outcome(scenario: Scenario, rates: np.ndarray) -> tuple[float, float]:
    """(new buyers, revenue) the plain way: one segment at a time, scipy's matrix exponential, one day at a time."""
    j = scenario.journey
    n_days = scenario.settings.horizon_days
    conv = list(j.conversion_indices)
    prospects = np.zeros(j.n_stages, dtype=bool)
    prospects[list(j.pre_purchase_indices)] = True
    buyers = revenue = 0.0
    for g, seg in enumerate(scenario.population.segments):
        arrivals = seg.intensity(n_days)
        initial = scenario.initial_counts()[g].astype(float)
        e1, f1, f2 = van_loan(rates[g] - np.diag(rates[g].sum(axis=1)), 1.0, order=2)
        rate_c = rates[g][:, conv].sum(axis=1)
        x, bought = initial.copy(), 0.0
        for d in range(n_days):
            bought += float((x @ f1 + arrivals[d] * f2[j.entry_index]) @ rate_c)
            x = x @ e1 + arrivals[d] * f1[j.entry_index]
        absorbing = rates[g].copy()
        absorbing[conv, :] = 0.0
        ea, fa = van_loan(absorbing - np.diag(absorbing.sum(axis=1)), 1.0, order=1)
        y, r, per_day = np.where(prospects, initial, 0.0), np.eye(j.n_stages)[j.entry_index], np.empty(n_days)
        for k in range(n_days):
            per_day[k] = float((r @ fa)[conv].sum())
            r, y = r @ ea, y @ ea
        buyers += float(y[conv].sum()) + float(arrivals[::-1] @ per_day)
        revenue += bought * seg.order_value.mean
    return buyers, revenue


def test_all_transitions_at_once_match_one_at_a_time(small_scenario: Scenario) -> None:
    """The finder computes every transition and segment together (numpy exponentials, batched day steps); the
    deltas equal recomputing each perturbed scenario on its own to 1e-9 relative, post-purchase rates move exactly
    no buyers, and the ranking is the same."""
    base_rates = small_scenario.rate_tensor()
    base = reference_outcome(small_scenario, base_rates)
    out = bottlenecks(small_scenario)
    matrix = small_scenario.journey.rate_matrix()
    stages = small_scenario.journey.stages
    want = []
    for a, b in zip(*np.nonzero(matrix > 0), strict=True):
        rates = base_rates.copy()
        rates[:, a, b] *= 1.1
        buyers, revenue = reference_outcome(small_scenario, rates)
        want.append((stages[a], stages[b], buyers - base[0], revenue - base[1]))
    assert len(out) == len(want)
    for src, dst, db, dr in want:
        row = out[(out["from"] == src) & (out["to"] == dst)].iloc[0]
        assert row["delta_buyers"] == pytest.approx(db, rel=1e-9, abs=1e-12 * base[0])
        assert row["delta_revenue"] == pytest.approx(dr, rel=1e-9, abs=1e-12 * base[1])
        if small_scenario.journey.positions[src] in ("post_purchase", "exit"):
            assert row["delta_buyers"] == 0.0  # not reachable before a first purchase: exactly no new buyers
    order = sorted(want, key=lambda w: (-abs(round(w[2], 6)), -abs(w[3])))
    assert [(f, t) for f, t in zip(out["from"], out["to"], strict=True)] == [(w[0], w[1]) for w in order]


@pytest.mark.parametrize("scale", [0.01, 1.0, 30.0])  # the last needs scaling and squaring
def test_batched_van_loan_matches_scipy(scale: float) -> None:
    rng = np.random.default_rng(3)
    rates = rng.exponential(scale, size=(4, 7, 7)) * (rng.random((4, 7, 7)) < 0.5)
    rates[:, np.arange(7), np.arange(7)] = 0.0
    q = generator(rates)
    for order in (1, 2):
        got = van_loan_stack(q, order)
        for k in range(4):
            for mine, ref in zip(got, van_loan(q[k], 1.0, order=order), strict=True):
                assert np.abs(mine[k] - ref).max() <= 1e-13 * max(1.0, np.abs(ref).max())
