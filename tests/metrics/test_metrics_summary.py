"""Summaries across replications against numbers worked by hand (t quantiles from a printed table)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from journeysim.metrics import MetricSummary, summarise, summarise_one


def test_five_replications():
    s = summarise({"x": [1.0, 2.0, 3.0, 4.0, 5.0]})["x"]
    # mean 3, std sqrt(10 / 4) = 1.5811; half width t_{0.975,4} * std / sqrt(5) = 2.776 * 0.70711 = 1.9629
    assert s.mean == pytest.approx(3.0)
    assert s.std == pytest.approx(1.58114, abs=1e-5)
    assert s.ci_low == pytest.approx(3.0 - 1.9629, abs=1e-3)
    assert s.ci_high == pytest.approx(3.0 + 1.9629, abs=1e-3)
    assert s.replications == 5


def test_two_replications_and_level():
    s = summarise_one([2.0, 4.0])
    # std sqrt(2); half width t_{0.975,1} * sqrt(2) / sqrt(2) = 12.706
    assert (s.ci_low, s.ci_high) == pytest.approx((3.0 - 12.706, 3.0 + 12.706), abs=1e-3)
    s90 = summarise_one([1.0, 2.0, 3.0, 4.0, 5.0], level=0.90)
    # t_{0.95,4} = 2.132
    assert s90.ci_high - s90.mean == pytest.approx(2.132 * 1.58114 / math.sqrt(5), abs=1e-3)


def test_nan_ignored_and_counted():
    s = summarise({"x": np.array([1.0, 2.0, math.nan, 3.0, 4.0, 5.0])})["x"]
    assert s.mean == pytest.approx(3.0)
    assert s.ci_high == pytest.approx(4.9629, abs=1e-3)
    assert s.replications == 5


def test_one_replication_has_a_point_interval():
    s = summarise_one([7.5])
    assert (s.mean, s.std, s.ci_low, s.ci_high, s.replications) == (7.5, 0.0, 7.5, 7.5, 1)


def test_all_nan_and_json():
    out = summarise({"a": [math.nan, math.nan], "b": [1.0]})
    assert list(out) == ["a", "b"]
    a = out["a"]
    assert a.replications == 0
    assert math.isnan(a.mean)
    d = a.to_dict()
    assert d == {"mean": None, "std": None, "ci_low": None, "ci_high": None, "replications": 0}
    text = json.dumps({k: v.to_dict() for k, v in out.items()}, allow_nan=False)
    assert json.loads(text)["b"]["mean"] == 1.0


def test_frozen():
    s = MetricSummary(1.0, 0.0, 1.0, 1.0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.mean = 2.0  # type: ignore[misc]
