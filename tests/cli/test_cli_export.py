"""`journeysim export RUN_DIR`: a finished run's media-mix tables and ground truth; bad input refused with exit 2,
one line per problem naming the setting and the fix, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

ARENA = ["+experiment=mmm_arena", "population.scale=0.005", "sim.horizon_days=42", "sim.replications=2"]


def test_export_writes_the_tables_of_the_runs_own_replications(journeysim_inproc) -> None:
    made = journeysim_inproc(*ARENA, "hydra.run.dir=arena", "outputs.report=false")
    assert made.code == 0, made.err
    before = sorted(p.name for p in Path("arena").iterdir())
    res = journeysim_inproc("export", "arena", "--period", "week", "--format", "pymc")
    assert res.code == 0, res.err
    files = sorted(p.name for p in Path("arena/export").iterdir())
    assert files == ["daily.parquet", "mmm_pymc.csv", "truth.csv", "truth.json"]
    assert sorted(p.name for p in Path("arena").iterdir()) == sorted([*before, "export"])  # the run is untouched
    pymc = pd.read_csv("arena/export/mmm_pymc.csv")
    assert len(pymc) == 6 * 2 and pymc["date"].iloc[0] == "2025-01-06"
    doc = json.loads(Path("arena/export/truth.json").read_text())
    assert doc["start_date_from"] in ("default", "sim.start_date") and list(doc["channels"]) == [
        "social",
        "display",
        "search",
    ]
    res = journeysim_inproc("export", "arena", "--period", "day", "--start-date", "2024-03-04", "--out", "elsewhere")
    assert res.code == 0, res.err
    meridian = pd.read_csv("elsewhere/mmm_meridian.csv")
    assert (
        len(meridian) == 42 * 2 and meridian["time"].iloc[0] == "2024-03-04" and set(meridian["geo"]) == {"consumers"}
    )
    assert json.loads(Path("elsewhere/truth.json").read_text())["start_date_from"] == "--start-date"


def test_bad_export_input_is_refused_naming_each_setting(journeysim_inproc, tiniest) -> None:
    res = journeysim_inproc("export", "nowhere", "--format", "robyn", "--period", "month", "--start-date", "soon")
    assert res.code == 2 and "Traceback" not in res.err
    for setting in ("--format", "--period", "--start-date", "RUN_DIR"):
        assert f"  - {setting}: " in res.err, setting
    assert "fix: use one of pymc, meridian, both" in res.err and "fix: use one of day, week" in res.err
    Path("empty").mkdir()
    res = journeysim_inproc("export", "empty")
    assert res.code == 2 and "has no config.yaml or samples.parquet: not a finished run" in res.err
    plain = journeysim_inproc(*tiniest, "hydra.run.dir=plain", "outputs.report=false")  # strategy none: no media
    assert plain.code == 0, plain.err
    res = journeysim_inproc("export", "plain")
    assert res.code == 2 and "strategy: the run in 'plain' spends nothing" in res.err
    assert not Path("plain/export").exists() and not Path("empty/export").exists()


def test_a_run_that_cannot_be_reproduced_is_refused(journeysim_inproc) -> None:
    made = journeysim_inproc(*ARENA, "hydra.run.dir=arena", "outputs.report=false", "baseline=null")
    assert made.code == 0, made.err
    samples = pd.read_parquet("arena/samples.parquet")
    samples.loc[0, "purchases"] += 1
    samples.to_parquet("arena/samples.parquet", index=False)
    res = journeysim_inproc("export", "arena")
    assert res.code == 2 and "does not reproduce replication 0 of the run" in res.err
    assert not Path("arena/export").exists()
    Path("arena/status.json").write_text(json.dumps({"status": "failed"}))
    res = journeysim_inproc("export", "arena")
    assert res.code == 2 and "did not finish (failed)" in res.err
