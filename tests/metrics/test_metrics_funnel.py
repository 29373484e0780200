"""The funnel table on the hand-made records, counted customer by customer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim.metrics import FUNNEL_COLUMNS, funnel_span, funnel_table

# Funnel span (shallowest..deepest non-terminal stage visited) and fate of each customer:
# c0 aware..loyal active; c1 consider..consider lost; c2 consider..loyal active; c3 buy..loyal active
# (existing customer: not counted at aware or consider); c4 aware..buy lost (skipped consider, still passed it);
# c5 aware..consider active; c6 aware..aware active.


def test_span(records):
    shallow, deep = funnel_span(records)
    assert shallow.tolist() == [0, 1, 1, 2, 0, 0, 0]
    assert deep.tolist() == [3, 1, 3, 3, 2, 1, 0]


def test_counts(records):
    f = funnel_table(records)
    assert tuple(f.columns) == FUNNEL_COLUMNS
    assert f["stage"].tolist() == ["aware", "consider", "buy", "loyal", "lost"]
    assert f["order"].tolist() == [0, 1, 2, 3, 4]
    assert f["position"].tolist() == list(records.positions)
    assert f["reached"].tolist() == [4, 4, 4, 3, 2]
    assert f["reached_or_beyond"].tolist() == [4, 5, 4, 3, 2]
    assert f["advanced"].tolist() == [3, 3, 3, 0, 0]
    assert f["dropped"].tolist() == [0, 1, 1, 0, 0]
    assert f["in_progress"].tolist() == [1, 1, 0, 3, 0]
    assert f["transitions_in"].tolist() == [3, 2, 5, 3, 2]  # aware: the three arrivals
    assert f["transitions_out"].tolist() == [3, 3, 4, 2, 0]
    assert f["at_horizon"].tolist() == [1, 1, 1, 2, 2]


def test_rates(records):
    f = funnel_table(records)
    conv = f["stage_conversion_rate"].to_numpy()
    aband = f["abandonment_rate"].to_numpy()
    assert conv[:3] == pytest.approx([3 / 4, 3 / 5, 3 / 4])
    assert math.isnan(conv[3])  # loyal is the deepest non-terminal stage: nowhere to advance to
    assert math.isnan(conv[4])  # terminal
    assert aband[:4] == pytest.approx([0.0, 1 / 5, 1 / 4, 0.0])
    assert math.isnan(aband[4])


def test_identities(records):
    f = funnel_table(records)
    live = f.iloc[:4]
    assert (live["reached_or_beyond"] == live["advanced"] + live["dropped"] + live["in_progress"]).all()
    assert (f["reached"] <= f["reached_or_beyond"]).all()
    initial = records.initial.sum(axis=0)
    assert np.array_equal(initial + f["transitions_in"] - f["transitions_out"], f["at_horizon"])
