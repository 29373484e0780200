"""The daily time series on the hand-made records, per segment and for 'all'."""

from __future__ import annotations

import numpy as np
import pytest

from journeysim.errors import ConfigError
from journeysim.metrics import timeseries_frame

STAGES = ["aware", "consider", "buy", "loyal", "lost"]
# end-of-day occupancy per segment, days 0..2 (worked from the paths in conftest.py)
OCC = {
    "b2c": [[1, 1, 0, 0, 1], [0, 0, 1, 1, 1], [1, 0, 0, 1, 2]],
    "b2b": [[0, 0, 1, 1, 0], [1, 0, 0, 2, 0], [0, 1, 1, 1, 0]],
    "all": [[1, 1, 1, 1, 1], [1, 0, 1, 3, 1], [1, 1, 1, 2, 2]],
}
ENTRIES = {
    "b2c": [[1, 1, 0, 0, 1], [0, 0, 2, 1, 0], [1, 0, 0, 0, 1]],
    "b2b": [[0, 0, 2, 1, 0], [1, 0, 0, 1, 0], [0, 1, 1, 0, 0]],
    "all": [[1, 1, 2, 1, 1], [1, 0, 2, 2, 0], [1, 1, 1, 0, 1]],
}
DAILY = {  # arrivals, purchases, revenue, margin per day
    "b2c": ([1, 0, 1], [0, 2, 0], [0, 200, 0], [0, 80, 0]),
    "b2b": ([0, 1, 0], [2, 0, 1], [600, 0, 300], [300, 0, 150]),
    "all": ([1, 1, 1], [2, 2, 1], [600, 200, 300], [300, 80, 150]),
}


def test_layout(records):
    ts = timeseries_frame(records)
    assert ts["day"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert ts["segment"].tolist() == ["b2c", "b2b", "all"] * 3
    assert not ts.duplicated(["day", "segment"]).any()
    expected = (
        ["day", "segment"]
        + [f"occupancy.{s}" for s in STAGES]
        + [f"entries.{s}" for s in STAGES]
        + ["arrivals", "purchases", "revenue", "margin"]
    )
    assert ts.columns.tolist() == expected


@pytest.mark.parametrize("segment", ["b2c", "b2b", "all"])
def test_values(records, segment):
    ts = timeseries_frame(records)
    rows = ts[ts["segment"] == segment]
    assert rows[[f"occupancy.{s}" for s in STAGES]].to_numpy().tolist() == OCC[segment]
    assert rows[[f"entries.{s}" for s in STAGES]].to_numpy().tolist() == ENTRIES[segment]
    arrivals, purchases, revenue, margin = DAILY[segment]
    assert rows["arrivals"].tolist() == arrivals
    assert rows["purchases"].tolist() == purchases
    assert rows["revenue"].tolist() == pytest.approx(revenue)
    assert rows["margin"].tolist() == pytest.approx(margin)


def test_extra_columns(records):
    per_segment = np.array([[10.0, 1.0], [20.0, 2.0], [30.0, 3.0]])  # (D, G): split by segment, summed into 'all'
    total_only = np.array([5.0, 6.0, 7.0])  # (D,): no segment split
    ts = timeseries_frame(records, extra={"spend.email": per_segment, "spend.tv": total_only})
    assert ts["spend.email"].tolist() == [10.0, 1.0, 11.0, 20.0, 2.0, 22.0, 30.0, 3.0, 33.0]
    assert ts.loc[ts["segment"] == "all", "spend.tv"].tolist() == [5.0, 6.0, 7.0]
    assert ts.loc[ts["segment"] != "all", "spend.tv"].isna().all()
    with pytest.raises(ValueError, match="shape"):
        timeseries_frame(records, extra={"bad": np.zeros(4)})
    with pytest.raises(ValueError, match="clashes"):
        timeseries_frame(records, extra={"revenue": total_only})


def test_segment_named_all_is_refused(records):
    records.segments = ("b2c", "all")
    with pytest.raises(ConfigError, match="reserved"):
        timeseries_frame(records)
