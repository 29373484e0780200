"""Every scalar metric on the hand-made records (see conftest.py for the customers and their paths)."""

from __future__ import annotations

import math
import warnings

import pytest

from journeysim.metrics import (
    RECORD_METRICS,
    SPEND_METRICS,
    advocacy_balance,
    aov,
    buyers,
    cac,
    clv,
    conversion_rate,
    cost_per_stage_advance,
    cpa,
    cpl,
    customer_churn_rate,
    customers,
    dropout_rate,
    funnel_table,
    margin,
    metric_unit,
    new_buyers,
    new_prospects,
    profit,
    prospects,
    purchases,
    purchases_per_buyer,
    purchases_per_customer,
    repeat_purchase_rate,
    retention_rate,
    revenue,
    roas,
    roi,
    sales_cycle_days,
    sales_cycle_days_mean,
    sales_cycle_days_median,
    sales_cycle_days_p90,
    scalar_metrics,
    stage_advances,
    stage_reach,
    timeseries_frame,
)

approx = pytest.approx


def test_counts(records):
    assert customers(records) == 7  # c0..c6
    assert new_prospects(records) == 3  # c4, c5, c6 arrive within the horizon
    assert prospects(records) == 6  # all but c3, who started in loyal
    assert purchases(records) == 5  # c0, c2, c4 once; c3 twice
    assert buyers(records) == 4  # c0, c2, c3, c4
    assert new_buyers(records) == 3  # c0, c2, c4 (c3 is an existing customer)


def test_conversion_and_reach(records):
    assert conversion_rate(records) == approx(3 / 6)
    reach = stage_reach(records)
    assert list(reach.index) == ["aware", "consider", "buy", "loyal", "lost"]
    # prospects c0 c1 c2 c4 c5 c6; aware: c0 c4 c5 c6; consider: c0 c1 c2 c5; buy: c0 c2 c4; loyal: c0 c2; lost: c1 c4
    assert reach.to_list() == approx([4 / 6, 4 / 6, 3 / 6, 2 / 6, 2 / 6])


def test_purchase_frequency(records):
    assert purchases_per_customer(records) == approx(5 / 7)
    assert purchases_per_buyer(records) == approx(5 / 4)
    assert repeat_purchase_rate(records) == approx(1 / 4)  # only c3 bought twice


def test_sales_cycle(records):
    # new buyers who started at the entry stage: c0 (1.2 - 0) and c4 (1.5 - 0.6); c2 started in consider
    assert sorted(sales_cycle_days(records).tolist()) == approx([0.9, 1.2])
    assert sales_cycle_days_mean(records) == approx(1.05)
    assert sales_cycle_days_median(records) == approx(1.05)
    assert sales_cycle_days_p90(records) == approx(0.9 + 0.9 * (1.2 - 0.9))  # linear interpolation: 1.17


def test_dropout_churn_retention_advocacy_balance(records):
    assert dropout_rate(records) == approx(1 / 6)  # c1 lost without buying; c4 bought before it was lost
    assert customer_churn_rate(records) == approx(1 / 4)  # c4 is the only buyer ending in lost
    assert retention_rate(records) == approx(3 / 4)
    # buyers end in: c0 loyal (promoter), c2 loyal (promoter), c3 buy, c4 lost (detractor)
    assert advocacy_balance(records) == approx(100 * (2 - 1) / 4)


def test_money(records):
    assert revenue(records) == approx(100 + 300 + 300 + 100 + 300)  # c0, c2 (b2b), c3 twice (b2b), c4
    assert margin(records) == approx(40 + 150 + 150 + 40 + 150)
    assert aov(records) == approx(1100 / 5)
    assert clv(records) == approx((79.0 + 149.0) / 3)


def test_spend_metrics(records):
    spend = 600.0
    assert stage_advances(records) == 9
    assert cpl(records, spend) == approx(200.0)
    assert cpa(records, spend) == approx(120.0)
    assert cac(records, spend) == approx(200.0)
    assert roas(records, spend) == approx(1100 / 600)
    assert profit(records, spend) == approx(530 - 600)  # margin 530 minus the spend
    assert roi(records, spend) == approx((530 - 600) / 600)
    assert cost_per_stage_advance(records, spend) == approx(600 / 9)


def test_zero_spend_gives_nan_not_errors(records):
    assert cpl(records, 0.0) == 0.0
    assert math.isnan(roas(records, 0.0))
    assert math.isnan(roi(records, 0.0))
    assert profit(records, 0.0) == approx(530.0)  # nothing spent: profit is the margin


def test_scalar_metrics_order_and_values(records):
    out = scalar_metrics(records)
    reach = ["reach.aware", "reach.consider", "reach.buy", "reach.loyal", "reach.lost"]
    assert list(out) == [*RECORD_METRICS, *reach]
    assert all(isinstance(v, float) for v in out.values())
    assert out["purchases"] == 5.0
    assert out["advocacy_balance"] == approx(25.0)
    assert out["reach.buy"] == approx(0.5)
    with_spend = scalar_metrics(records, spend=600.0)
    assert list(with_spend) == [*out, "spend", *SPEND_METRICS]
    assert with_spend["cac"] == approx(200.0)
    assert with_spend["spend"] == 600.0
    assert all(metric_unit(name) for name in with_spend)


def test_nothing_happens_gives_nan_without_warnings(make_records):
    """One prospect who never moves: counts are 0, every ratio over buyers or purchases is NaN, no warning."""
    quiet = make_records([(0, 0, 0.0, [])], days=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = scalar_metrics(quiet, spend=0.0)
    assert out["customers"] == 1.0
    assert out["conversion_rate"] == 0.0
    assert out["dropout_rate"] == 0.0
    nan = [
        "purchases_per_buyer",
        "repeat_purchase_rate",
        "sales_cycle_days_mean",
        "sales_cycle_days_median",
        "sales_cycle_days_p90",
        "customer_churn_rate",
        "retention_rate",
        "aov",
        "clv",
        "advocacy_balance",
        "cpl",
        "cpa",
        "cac",
        "roas",
        "roi",
        "cost_per_stage_advance",
    ]
    assert [k for k in nan if not math.isnan(out[k])] == []
    assert [k for k, v in out.items() if math.isnan(v)] == nan


def test_no_prospects_gives_nan_rates(make_records):
    """Only an existing customer (starts in loyal, never moves): prospect-based rates and reach are NaN."""
    existing = make_records([(1, 3, 0.0, [])], days=1)
    assert prospects(existing) == 0
    assert math.isnan(conversion_rate(existing))
    assert math.isnan(dropout_rate(existing))
    assert stage_reach(existing).isna().all()


def test_no_customers_at_all(make_records):
    """An empty population: counts are zero, ratios NaN, funnel and time series still well formed."""
    empty = make_records([], days=2)
    out = scalar_metrics(empty, spend=100.0)
    assert out["customers"] == 0.0
    assert out["purchases"] == 0.0
    assert math.isnan(out["conversion_rate"])
    assert math.isnan(out["cpl"])
    f = funnel_table(empty)
    assert f["reached_or_beyond"].sum() == 0
    assert f["stage_conversion_rate"].isna().all()
    assert timeseries_frame(empty)["purchases"].sum() == 0


def test_memoised_masks_are_the_computed_ones_read_only_and_not_kept_after_their_records() -> None:
    import functools
    import gc

    import numpy as np

    from journeysim.metrics import common

    start = np.array([0, 1, 2, 0, 3], dtype=np.int16)
    first = common.memo("t", (start,), functools.partial(common.in_stages, start, (0, 2)))
    again = common.memo("t", (start,), lambda: np.zeros(5, dtype=bool))  # not computed again: the same array
    assert again is first and first.tolist() == [True, False, True, True, False]
    assert not first.flags.writeable
    other = start.copy()  # equal values, another array: computed for it
    assert common.memo("t", (other,), lambda: np.zeros(5, dtype=bool)).tolist() == [False] * 5
    del start, first, again
    gc.collect()
    common.memo("u", (other,), lambda: 1)  # an insert drops the entries whose arrays are gone
    assert all(all(r() is not None for r in refs) for refs, _ in common._MEMO.values())
