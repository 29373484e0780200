"""Common random numbers and counterfactual incrementality against exactly known lifts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import journeysim.analytic as A
from journeysim.errors import ConfigError
from journeysim.model import Journey, Scenario
from journeysim.study.incrementality import incremental, outcomes, with_budget_step, without_channel
from journeysim.study.run import replication_seeds, simulate

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = yaml.safe_load((ROOT / "conf" / "channels" / "default.yaml").read_text())


def population(**segment: Any) -> dict[str, Any]:
    return {"segments": {"consumers": segment}}


def test_common_random_numbers_shrink_the_variance_of_paired_differences(journey_dict: dict) -> None:
    """A middle/bottom-funnel strategy (email, retargeting) against no spend, 40 replications: the paired
    difference (same seeds) has about 1/10 of the variance of the independent one (measured: 189 vs 1978, ratio
    0.096). Customers the channels never reach walk identical paths in both runs and cancel exactly."""
    data = {
        "journey": journey_dict,
        "channels": CATALOGUE,
        "sim": {"horizon_days": 60, "replications": 40, "seed": 1},
        "population": population(initial={"awareness": 1500, "loyalty": 300}, arrivals_per_day=25),
    }
    push = Scenario.from_dict({**data, "strategy": {"budgets": {"email": 150.0, "retargeting": 2000.0}}})
    none = Scenario.from_dict(data)
    other = Scenario.from_dict({**data, "sim": {**data["sim"], "seed": 2}})  # independent random numbers
    p_push = outcomes(push, replication_seeds(push))["purchases"]
    p_same = outcomes(none, replication_seeds(push))["purchases"]
    p_indep = outcomes(other, replication_seeds(other))["purchases"]
    paired, independent = (p_push - p_same).var(ddof=1), (p_push - p_indep).var(ddof=1)
    ratio = paired / independent
    assert ratio < 0.25, (paired, independent, ratio)
    # both estimate the same effect: the strategy sells more
    assert (p_push - p_same).mean() > 4 * math.sqrt(paired / 40)


def test_same_seed_list_reused_gives_identical_runs(journey_dict: dict) -> None:
    """`SeedSequence.spawn` is stateful: `outcomes` copies each seed, so one list serves several scenarios."""
    sc = Scenario.from_dict(
        {
            "journey": journey_dict,
            "sim": {"horizon_days": 30, "replications": 3},
            "population": population(initial={"awareness": 200}, arrivals_per_day=5),
        }
    )
    seeds = replication_seeds(sc)
    first, again = outcomes(sc, seeds), outcomes(sc, seeds)
    assert first.equals(again) and first["purchases"].nunique() > 1


def test_incremental_buyers_of_a_rate_multiplier_match_the_analytic_lift(journey_dict: dict) -> None:
    """intent -> purchase x 1.5 over the whole horizon, 20,000 customers in awareness, no arrivals, 60 days: the
    expected extra new buyers are N (p1 - p0), p the analytic conversion probability within 60 days with and
    without the multiplied rate; extra purchases N (E1 - E0) likewise. Checked within 4 SE of the paired
    differences (20 replications); the lift itself is far more than 4 SE from zero, so the test has power."""
    n, horizon, factor = 20_000, 60, 1.5
    data = {
        "journey": journey_dict,
        "sim": {"horizon_days": horizon, "replications": 20, "seed": 9},
        "population": population(initial={"awareness": n}),
        "strategy": {"rate_multipliers": [{"from": "intent", "to": "purchase", "factor": factor}]},
    }
    result = incremental(Scenario.from_dict(data))
    rates = {k: dict(v) for k, v in journey_dict["rates"].items()}
    rates["intent"]["purchase"] *= factor
    plain, lifted = Journey.from_dict(journey_dict), Journey.from_dict({**journey_dict, "rates": rates})
    want_buyers = n * (
        A.conversion_probability(lifted, horizon=horizon) - A.conversion_probability(plain, horizon=horizon)
    )
    want_purchases = n * (A.expected_purchases(lifted, horizon=horizon) - A.expected_purchases(plain, horizon=horizon))
    reps = result.replications
    for col, want in (("incremental_new_buyers", want_buyers), ("incremental_purchases", want_purchases)):
        got = reps[col]
        se = got.std(ddof=1) / math.sqrt(len(got))
        assert abs(got.mean() - want) < 4 * se, (col, got.mean(), want, se)
        assert want > 10 * se
        assert result.summary.loc[col, "mean"] == pytest.approx(got.mean())
        assert result.summary.loc[col, "ci_low"] < want < result.summary.loc[col, "ci_high"]
    # fixed order value 100 (default): incremental revenue = 100 x incremental purchases; no spend, no iROAS
    np.testing.assert_allclose(reps["incremental_revenue"], 100 * reps["incremental_purchases"])
    assert (reps["incremental_spend"] == 0).all() and reps["iroas"].isna().all()
    assert result.channels.empty and result.channel_summary.empty
    assert result.metrics["incremental_new_buyers"].replications == 20


def channel_scenario(journey_dict: dict, budgets: dict[str, float], replications: int = 8) -> Scenario:
    return Scenario.from_dict(
        {
            "journey": journey_dict,
            "channels": CATALOGUE,
            "strategy": {"budgets": budgets},
            "sim": {"horizon_days": 45, "replications": replications, "seed": 5},
            "population": population(
                initial={"awareness": 1000, "consideration": 300, "loyalty": 200},
                order_value={"kind": "fixed", "mean": 80.0, "margin": 0.4},
            ),
        }
    )


def test_one_channel_removal_effect_is_the_whole_increment_and_ratios_follow(journey_dict: dict) -> None:
    """With one channel, removing it gives the no-spend baseline exactly (same seeds), so its removal effect
    equals the incremental effect replication by replication; iROAS, CAC and ROI follow from their definitions."""
    sc = channel_scenario(journey_dict, {"retargeting": 1500.0})
    done: list[int] = []
    res = incremental(sc, marginal_step=0.2, progress=lambda d, t: done.append(t))
    assert done[-1] == 4 * 8 and len(done) == 4  # scenario, baseline, removal, step; 8 replications each
    reps, ch = res.replications, res.channels.set_index("replication")
    for c in ("purchases", "new_buyers", "revenue", "margin", "spend"):
        np.testing.assert_array_equal(ch[f"removal_{c}"], reps[f"incremental_{c}"])
    np.testing.assert_allclose(reps["incremental_spend"], 1500.0)  # the budget, spread over the days
    assert (reps["baseline_spend"] == 0).all()
    np.testing.assert_allclose(reps["iroas"], reps["incremental_revenue"] / 1500.0)
    np.testing.assert_allclose(reps["incremental_margin"], 0.4 * reps["incremental_revenue"])
    np.testing.assert_allclose(reps["incremental_roi"], (reps["incremental_margin"] - 1500.0) / 1500.0, atol=1e-12)
    pos = reps["incremental_new_buyers"] > 0
    np.testing.assert_allclose(reps.loc[pos, "incremental_cac"], 1500.0 / reps.loc[pos, "incremental_new_buyers"])
    assert reps.loc[~pos, "incremental_cac"].isna().all()
    assert res.summary.loc["incremental_purchases", "ci_low"] > 0  # retargeting sells
    # the marginal step buys 20% more budget: 300 more spend, and its ROAS is revenue per extra money
    np.testing.assert_allclose(ch["marginal_budget"], 300.0)
    np.testing.assert_allclose(ch["marginal_spend"], 300.0)
    np.testing.assert_allclose(ch["marginal_roas"], ch["marginal_revenue"] / 300.0, atol=1e-12)
    pooled = res.summary.loc["iroas", "pooled"]
    assert pooled == pytest.approx(reps["incremental_revenue"].mean() / 1500.0)
    assert np.isnan(res.summary.loc["incremental_purchases", "pooled"])  # pooled only for ratios
    assert set(res.channel_summary["channel"]) == {"retargeting"}


def test_baseline_strategy_and_channel_variants(journey_dict: dict) -> None:
    """Against itself as the baseline nothing is incremental (identical random numbers); removing one of two
    channels or stepping its budget changes only that channel's plan."""
    sc = channel_scenario(journey_dict, {"email": 100.0, "search": 800.0}, replications=3)
    same = incremental(sc, baseline=sc.strategy, channels=False)
    assert (same.replications[["incremental_purchases", "incremental_revenue", "incremental_spend"]] == 0).all().all()
    assert same.replications["iroas"].isna().all() and same.channels.empty
    rest = without_channel(sc, "email").strategy
    assert [p.channel for p in rest.plans] == ["search"] and rest.plans[0] == sc.strategy.plans[1]
    more = with_budget_step(sc, "search", 0.1).strategy
    assert more.plans[1].budget == pytest.approx(880.0) and more.plans[0] == sc.strategy.plans[0]
    only = incremental(sc, channels=["search"])
    assert set(only.channels["channel"]) == {"search"} and len(only.channels) == 3
    with pytest.raises(ConfigError, match=r"spends nothing on 'serch'.*did you mean 'search'"):
        incremental(sc, channels=["serch"])
    with pytest.raises(ConfigError, match="marginal_step"):
        incremental(sc, marginal_step=0.0)


def test_arrival_lift_keeps_the_baseline_arrivals(journey_dict: dict) -> None:
    """docs/interventions.md: "the baseline's prospects are a subset of the campaign's"."""
    data = {
        "journey": journey_dict,
        "channels": CATALOGUE,
        "sim": {"horizon_days": 20},
        "population": population(initial={"awareness": 100}, arrivals_per_day=40),
    }
    none = Scenario.from_dict(data)
    social = Scenario.from_dict({**data, "strategy": {"budgets": {"social": 2000.0}}})
    seed = replication_seeds(none)[0]
    a = simulate(none, np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)).customers.entry_time
    b = simulate(social, np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)).customers.entry_time
    assert np.isin(a[a > 0], b[b > 0]).all()


def test_incrementality_splits_into_in_horizon_and_future_value() -> None:
    """A push on prospect -> purchase in the last 10 of 60 days: the extra buyers have had no time to repeat, so
    most of the plan's value lies after the horizon (incremental future margin > incremental margin, both with
    intervals clear of zero); per replication lifetime = in-horizon + future. Unaided prospects rarely buy, so the
    prospects the push converts were worth little where they stood (a prospect's own future value counts too)."""
    journey = {
        "name": "loyalty",
        "stages": ["prospect", "purchase", "loyalty", "lost", "churned"],
        "entry": "prospect",
        "conversion": ["purchase"],
        "terminal": ["lost", "churned"],
        "positions": {
            "prospect": "bottom",
            "purchase": "bottom",
            "loyalty": "post_purchase",
            "lost": "exit",
            "churned": "exit",
        },
        "rates": {
            "prospect": {"purchase": 0.0002, "lost": 0.01},
            "purchase": {"loyalty": 4.0},
            "loyalty": {"purchase": 0.02, "churned": 0.01},
        },
    }
    data = {
        "journey": journey,
        "sim": {"horizon_days": 60, "replications": 6, "seed": 4},
        "population": population(initial={"prospect": 3000}, order_value={"mean": 30.0}),
        "strategy": {"rate_multipliers": [{"from": "prospect", "to": "purchase", "factor": 50, "start": 50}]},
    }
    result = incremental(Scenario.from_dict(data))
    reps, summ = result.replications, result.summary
    np.testing.assert_allclose(
        reps["incremental_lifetime_margin"], reps["incremental_margin"] + reps["incremental_future_margin"]
    )
    future, now = summ.loc["incremental_future_margin"], summ.loc["incremental_margin"]
    assert now["ci_low"] > 0 and future["ci_low"] > now["ci_high"]
    assert math.isnan(summ.loc["incremental_lifetime_roi", "pooled"])  # no spend: no ROI, with its reason
    assert "no incremental spend" in summ.loc["incremental_lifetime_roi", "note"]
