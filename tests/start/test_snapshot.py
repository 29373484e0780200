"""`population.snapshot`: an observed funnel from a CSV is exactly the same counts written as `initial:`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import journeysim.api as js
from journeysim.config.problems import InvalidConfig
from journeysim.study.run import run

BASE = ["sim=quick", "sim.replications=2", "strategy=balanced", "population.scale=0.05"]


def test_a_snapshot_run_equals_the_same_counts_given_as_initial(tmp_path: Path) -> None:
    csv = tmp_path / "funnel.csv"
    csv.write_text("segment,stage,count\nconsumers,awareness,800\nconsumers,intent,60\nconsumers,loyalty,300\n")
    snap = js.load_scenario([*BASE, f"population.snapshot={csv}"])
    # the snapshot's counts are people, so population.scale (0.05) applies to them exactly as to `initial:`
    given = js.load_scenario(
        [
            *BASE,
            "population.segments.consumers.initial.awareness=800",
            "+population.segments.consumers.initial.intent=60",
            "population.segments.consumers.initial.loyalty=300",
        ]
    )
    assert (snap.initial_counts() == given.initial_counts()).all()
    assert snap.initial_counts().sum() == 40 + 3 + 15
    a, b = run(snap, keep_records=True), run(given, keep_records=True)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    for ra, rb in zip(a.records, b.records, strict=True):
        assert (ra.flows == rb.flows).all() and (ra.revenue == rb.revenue).all()
        assert (ra.customers.final_stage == rb.customers.final_stage).all()


def test_one_segment_needs_no_segment_column_and_other_segments_keep_theirs(tmp_path: Path) -> None:
    csv = tmp_path / "f.csv"
    csv.write_text("stage,count\nawareness,7\n")
    sc = js.load_scenario(["sim=quick", f"population.snapshot={csv}"])
    assert sc.population.segments[0].initial == {"awareness": 7}
    csv.write_text("segment,stage,count\nbusinesses,awareness,9\n")
    mixed = js.load_scenario(["sim=quick", "population=mixed", f"population.snapshot={csv}"])
    shipped = js.load_scenario(["sim=quick", "population=mixed"])
    by_name = {s.name: s for s in mixed.population.segments}
    assert by_name["businesses"].initial == {"awareness": 9}
    assert by_name["consumers"].initial == {s.name: s for s in shipped.population.segments}["consumers"].initial


def test_every_problem_of_a_snapshot_is_listed_at_once(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("segment,stage,count\nconsumers,awarenes,10\nconsumers,loyalty,-3\nshoppers,intent,2.5\n")
    with pytest.raises(InvalidConfig) as err:
        js.load_scenario(["sim=quick", f"population.snapshot={csv}"])
    text = [str(p) for p in err.value.problems]
    assert len(text) == 4, text
    assert all(p.setting == "population.snapshot" for p in err.value.problems)
    assert "line 2: unknown stage 'awarenes' (did you mean 'awareness'?)" in text[0]
    assert "line 3: count '-3' is not a whole number >= 0" in text[1]
    assert "unknown segment 'shoppers'" in text[2] and "'2.5' is not a whole number" in text[3]
