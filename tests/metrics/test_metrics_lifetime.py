"""Lifetime metrics on the hand-made records (tests/metrics/conftest.py), every number worked by hand.

New buyers: c0, c2, c4 (prospects who bought; c3 is an existing customer), so new_buyers = 3 and the horizon
margin of the acquisition cohort is sum(prospect_clv) = 79 + 149 = 228.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim.metrics.catalogue import names, range_of
from journeysim.metrics.lifetime import LifetimeView, clv_lifetime, future_margin, ltv_to_cac, payback_days
from journeysim.metrics.scalars import LIFETIME_METRICS, SPEND_METRICS, SURVEY_METRICS, scalar_metrics

FUTURE = np.array([10.0, 0.0, 20.0, 50.0, 0.0, 5.0, 1.0])  # per customer c0..c6, discounted to the horizon
VIEW = LifetimeView(FUTURE, np.full(7, 0.5), np.array([40.0, 60.0, 90.0, 110.0]))


def test_future_margin_and_lifetime_clv(records) -> None:
    assert future_margin(records, VIEW) == 86.0  # everyone's future value, existing customers included
    # (228 + (10 + 20 + 0) x 0.5) / 3: only new buyers' future values, carried back to their entry day
    assert clv_lifetime(records, VIEW) == pytest.approx(81.0)


def test_ltv_to_cac(records) -> None:
    assert ltv_to_cac(records, 300.0, VIEW) == pytest.approx(81.0 / 100.0)  # cac = 300 / 3
    assert math.isnan(ltv_to_cac(records, 0.0, VIEW))


def test_payback_days_interpolates_the_margin_curve(records) -> None:
    assert payback_days(records, 300.0, VIEW) == pytest.approx(2.5)  # cac 100 between 90 (day 2) and 110 (day 3)
    assert payback_days(records, 120.0, VIEW) == 0.0  # cac 40: the first purchase covers it
    assert payback_days(records, 150.0, VIEW) == pytest.approx(0.5)  # cac 50 between 40 and 60
    assert math.isnan(payback_days(records, 600.0, VIEW))  # cac 200: never within the curve
    assert math.isnan(payback_days(records, 0.0, VIEW))  # no spend: no CAC to pay back


def test_lifetime_metrics_follow_the_spend_metrics_in_metrics_json(records) -> None:
    out = scalar_metrics(records, spend=300.0, lifetime=VIEW)
    tail = [*names("lifetime"), *names("survey")]
    assert list(out)[-8:] == tail == [*LIFETIME_METRICS, *SURVEY_METRICS]
    assert list(out)[-9] == list(SPEND_METRICS)[-1]
    assert "clv_lifetime" not in scalar_metrics(records, spend=300.0)  # without a view: as before
    assert range_of("clv_lifetime") == (0.0, math.inf) and range_of("payback_days") == (0.0, math.inf)
