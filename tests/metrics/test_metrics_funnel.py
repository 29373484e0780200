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


def test_rows_stay_consistent_when_customers_move_back_past_a_stage(make_records):
    """Issue 15.7, worked by hand. Two existing loyal customers re-evaluate back to consider (loyal 3 -> consider 1)
    and never visit buy; one prospect goes aware -> buy and stays. Buy row: visited 1 (the prospect), spans covering
    buy 3 (both regressors span consider..loyal, the prospect aware..buy), advanced 2 (the regressors: deepest is
    loyal), in progress 1: advanced 2 > visited 1, which the console used to print side by side as 'reached' and
    'advanced'. What holds for every row: advanced + dropped + in_progress = reached_or_beyond >= reached."""
    customers = [
        (0, 3, 0.0, [(0.5, 3, 1)]),
        (1, 3, 0.0, [(0.7, 3, 1)]),
        (0, 0, 0.0, [(0.4, 0, 2)]),
    ]
    f = funnel_table(make_records(customers)).set_index("stage")
    buy = f.loc["buy"]
    assert (buy["reached"], buy["reached_or_beyond"], buy["advanced"], buy["in_progress"]) == (1, 3, 2, 1)
    assert buy["stage_conversion_rate"] == pytest.approx(2 / 3)
    consider = f.loc["consider"]  # visited by both regressors; covered (skipped) by the prospect
    assert (consider["reached"], consider["reached_or_beyond"], consider["advanced"]) == (2, 3, 3)
    non_terminal = f.drop(index="lost")
    assert (non_terminal[["advanced", "dropped", "in_progress"]].sum(axis=1) == non_terminal["reached_or_beyond"]).all()
    assert (f["reached_or_beyond"] >= f["reached"]).all()


def test_console_funnel_shows_the_counts_that_add_up(make_records):
    """The console funnel prints visited and reached-or-beyond next to advanced / dropped / in progress."""
    from types import SimpleNamespace

    from rich.console import Console

    from journeysim.cli.summary import funnel_table as console_funnel

    customers = [(0, 3, 0.0, [(0.5, 3, 1)]), (1, 3, 0.0, [(0.7, 3, 1)]), (0, 0, 0.0, [(0.4, 0, 2)])]
    journey = SimpleNamespace(name="tiny", positions={})
    scenario = SimpleNamespace(journey=journey, settings=SimpleNamespace(replications=1))
    result = SimpleNamespace(scenario=scenario, funnel=funnel_table(make_records(customers)))
    console = Console(width=200, record=True)
    console.print(console_funnel(result))  # type: ignore[arg-type]
    text = console.export_text()
    assert "reached or beyond" in text and "in progress" in text and "visited" in text
    buy_line = next(line for line in text.splitlines() if line.strip("│ ").startswith("buy"))
    assert [c.strip() for c in buy_line.split("│")[3:8]] == ["1", "3", "2", "0", "1"]


def test_pattern_table_path_gives_the_per_customer_counts(monkeypatch):
    """The funnel from one histogram of visited patterns equals the per-customer computation, on a simulated run."""
    import pandas as pd

    from journeysim.api import load_scenario
    from journeysim.metrics import funnel
    from journeysim.metrics.funnel import stage_advances
    from journeysim.study.run import replication_seeds, simulate

    scenario = load_scenario(["population.scale=0.02", "strategy=balanced", "sim.replications=1"])
    rec = simulate(scenario, replication_seeds(scenario)[0])
    assert funnel._pattern_counts(rec) is not None
    by_patterns, advances = funnel_table(rec), stage_advances(rec)
    monkeypatch.setattr(funnel, "_pattern_counts", lambda records: None)
    pd.testing.assert_frame_equal(by_patterns, funnel_table(rec), check_exact=True)
    assert by_patterns["advanced"].sum() == advances  # the documented identity holds on both paths
