"""Metrics on real engine output must agree with each other and with the raw records; the runner must use them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.metrics import ALL_SEGMENTS, funnel_table, scalar_metrics, stage_reach, timeseries_frame
from journeysim.study.run import run


@pytest.fixture
def fast_records(small_scenario):
    return simulate_fast(Plan.compile(small_scenario, np.random.SeedSequence(11)))


def test_time_series_adds_up_to_scalars(fast_records):
    rec = fast_records
    m = scalar_metrics(rec)
    ts = timeseries_frame(rec)
    total = ts[ts["segment"] == ALL_SEGMENTS]
    assert m["purchases"] > 0
    assert total["purchases"].sum() == m["purchases"] == rec.customers.purchases.sum()
    assert total["revenue"].sum() == pytest.approx(m["revenue"])
    assert total["margin"].sum() == pytest.approx(m["margin"])
    assert total["arrivals"].sum() == m["new_prospects"] == m["customers"] - rec.initial.sum()
    # segment rows sum to the 'all' rows
    by_day = ts[ts["segment"] != ALL_SEGMENTS].groupby("day").sum(numeric_only=True)
    numeric = [c for c in ts.columns if c not in ("day", "segment")]
    assert np.allclose(by_day[numeric].to_numpy(), total.set_index("day")[numeric].to_numpy())
    # occupancy at the end of the last day = where the customers are at the horizon
    last = total.iloc[-1]
    final = np.bincount(rec.customers.final_stage, minlength=rec.n_stages)
    assert [last[f"occupancy.{s}"] for s in rec.stages] == final.tolist()


def test_funnel_agrees_with_customers_and_flows(fast_records):
    rec = fast_records
    f = funnel_table(rec)
    m = scalar_metrics(rec)
    live = f[~f["order"].isin(rec.terminal)]
    assert (live["reached_or_beyond"] == live["advanced"] + live["dropped"] + live["in_progress"]).all()
    assert (f["reached"] <= f["reached_or_beyond"]).all()
    assert f.loc[list(rec.conversion), "transitions_in"].sum() == m["purchases"]
    assert np.array_equal(rec.initial.sum(axis=0) + f["transitions_in"] - f["transitions_out"], f["at_horizon"])
    assert f["advanced"].sum() == m["stage_advances"]
    # every customer who ended terminal dropped exactly once (all start in non-terminal stages here)
    assert f["dropped"].sum() == f.loc[list(rec.terminal), "at_horizon"].sum()
    # reach among prospects of the conversion stage is the conversion rate (conversion only by entry)
    assert stage_reach(rec)[rec.stages[rec.conversion[0]]] == pytest.approx(m["conversion_rate"])


def test_scalar_relations(fast_records):
    m = scalar_metrics(fast_records, spend=1000.0)
    assert m["new_buyers"] <= m["buyers"] <= m["customers"]
    assert m["retention_rate"] == pytest.approx(1 - m["customer_churn_rate"])
    assert m["aov"] * m["purchases"] == pytest.approx(m["revenue"])
    assert m["cpa"] * m["purchases"] == pytest.approx(1000.0)
    assert m["roi"] == pytest.approx((m["margin"] - 1000.0) / 1000.0)
    assert 0 < m["sales_cycle_days_median"] <= m["sales_cycle_days_p90"]
    assert -100 <= m["advocacy_balance"] <= 100


def test_runner_uses_the_metrics(small_scenario):
    scenario = dataclasses.replace(
        small_scenario, settings=dataclasses.replace(small_scenario.settings, replications=3, horizon_days=60)
    )
    result = run(scenario)
    assert list(result.metrics) == list(result.samples.columns)
    assert len(result.samples) == 3
    purchases = result.metrics["purchases"]
    assert purchases.mean == pytest.approx(result.samples["purchases"].mean())
    assert purchases.ci_low < purchases.mean < purchases.ci_high
    assert result.funnel["stage"].tolist() == list(scenario.journey.stages)
    assert len(result.timeseries) == 60 * (len(scenario.population.segments) + 1)
    ts_all = result.timeseries[result.timeseries["segment"] == ALL_SEGMENTS]
    assert ts_all["purchases"].sum() == pytest.approx(purchases.mean)
