"""Survey metrics on the hand-made records (tests/metrics/conftest.py), worked by hand.

Current customers at the horizon (final stage a conversion or post-purchase stage): c0 (loyal), c2 (loyal) and
c3 (buy). Satisfaction 1.2, -0.5, 0.4 gives scores round(7 + 2 s) = 9 (promoter), 6 (detractor), 8 (passive);
the others' satisfaction (99: would be promoters) is not surveyed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim.metrics.survey import detractor_share, nps, passive_share, promoter_share, surveyed_scores


def test_survey_of_current_customers(make_records) -> None:
    rec = make_records()
    rec.customers.effects["satisfaction"] = np.array([1.2, 99.0, -0.5, 0.4, 99.0, 99.0, 99.0])
    assert list(surveyed_scores(rec)) == [9.0, 6.0, 8.0]
    assert promoter_share(rec) == pytest.approx(1 / 3)
    assert passive_share(rec) == pytest.approx(1 / 3)
    assert detractor_share(rec) == pytest.approx(1 / 3)
    assert nps(rec) == pytest.approx(0.0)
    rec.customers.effects["satisfaction"][3] = 1.0  # c3 now scores 9: 2 promoters, 1 detractor
    assert nps(rec) == pytest.approx(100 / 3)


def test_no_satisfaction_no_survey(records) -> None:
    assert surveyed_scores(records) is None
    assert all(math.isnan(f(records)) for f in (nps, promoter_share, passive_share, detractor_share))
