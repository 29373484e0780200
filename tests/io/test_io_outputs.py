"""Run outputs: atomic writes and the run-directory contract (metrics.json, funnel.csv, timeseries.parquet...)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from journeysim.interventions import Strategy
from journeysim.io import (
    CHANNELS_FILE,
    CONFIG_FILE,
    FUNNEL_FILE,
    INCREMENTALITY_FILE,
    METRICS_FILE,
    SAMPLES_FILE,
    STATUS_FILE,
    TIMESERIES_FILE,
    RunStatus,
    atomic_write,
    atomic_write_json,
    atomic_write_text,
    metrics_document,
    samples_frame,
    write_incrementality,
    write_run_outputs,
    write_status,
)
from journeysim.model import Scenario, Settings
from journeysim.study.incrementality import incremental
from journeysim.study.run import RunResult, run


@pytest.fixture(scope="module")
def result(journey) -> RunResult:
    from journeysim.model import OrderValue, Population, Segment

    pop = Population(
        (Segment("consumers", initial={"awareness": 400}, arrivals_per_day=4.0, order_value=OrderValue("fixed", 50.0)),)
    )
    return run(Scenario(journey, pop, Settings(horizon_days=40, replications=3, seed=11), name="tiny"))


def test_atomic_write_text_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_json_is_strict(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "x.json", {"nan": math.nan})
    assert not (tmp_path / "x.json").exists()
    atomic_write_json(tmp_path / "x.json", {"a": [1, 2]})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": [1, 2]}


def test_metrics_document_has_a_header_and_every_metric(result: RunResult) -> None:
    doc = metrics_document(result)
    assert (doc["scenario"], doc["seed"], doc["replications"], doc["horizon_days"]) == ("tiny", 11, 3, 40)
    assert doc["journeysim_version"]
    assert set(doc["metrics"]) == set(result.metrics)
    for name, entry in doc["metrics"].items():
        assert set(entry) == {"mean", "std", "ci_low", "ci_high", "replications"}, name
        mean = result.metrics[name].mean
        assert entry["mean"] == pytest.approx(mean) if math.isfinite(mean) else entry["mean"] is None
    json.dumps(doc, allow_nan=False)  # strict JSON: NaN became null


def test_write_run_outputs_round_trips(tmp_path: Path, result: RunResult) -> None:
    written = write_run_outputs(tmp_path, result, "name: tiny\n")
    names = [CONFIG_FILE, FUNNEL_FILE, TIMESERIES_FILE, SAMPLES_FILE, METRICS_FILE]
    assert sorted(p.name for p in written) == sorted(names)
    funnel = pd.read_csv(tmp_path / FUNNEL_FILE)
    assert funnel["stage"].tolist() == list(result.scenario.journey.stages)
    assert funnel["reached"].to_numpy() == pytest.approx(result.funnel["reached"].to_numpy())
    ts = pd.read_parquet(tmp_path / TIMESERIES_FILE)
    pd.testing.assert_frame_equal(ts, result.timeseries.reset_index(drop=True), check_dtype=False)
    assert yaml.safe_load((tmp_path / CONFIG_FILE).read_text()) == {"name": "tiny"}
    assert json.loads((tmp_path / METRICS_FILE).read_text()) == json.loads(json.dumps(metrics_document(result)))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_status_records_outcome_overrides_timings_and_error(tmp_path: Path) -> None:
    write_status(
        tmp_path,
        RunStatus(
            "failed", "tiny", ["sim.seed=3"], "t0", "t1", {"simulate": 0.123456}, [METRICS_FILE], "RuntimeError: boom"
        ),
    )
    status = json.loads((tmp_path / STATUS_FILE).read_text())
    assert status == {
        "status": "failed",
        "scenario": "tiny",
        "overrides": ["sim.seed=3"],
        "started_at": "t0",
        "finished_at": "t1",
        "timings_s": {"simulate": 0.1235},
        "files": [METRICS_FILE],
        "error": "RuntimeError: boom",
        "journeysim_version": status["journeysim_version"],
        "traceback": None,
    }


def test_samples_hold_one_row_per_replication_with_its_seed(tmp_path: Path, result: RunResult) -> None:
    write_run_outputs(tmp_path, result, "name: tiny\n")
    samples = pd.read_parquet(tmp_path / SAMPLES_FILE)
    assert samples["replication"].tolist() == [0, 1, 2]
    assert samples["seed"].tolist() == [11, 11, 11]  # the root seed: equal (seed, replication) = same random numbers
    assert list(samples.columns[2:]) == list(result.samples.columns)
    assert samples["purchases"].to_numpy() == pytest.approx(result.samples["purchases"].to_numpy())
    # the summaries in metrics.json are those of these samples
    doc = json.loads((tmp_path / METRICS_FILE).read_text())
    assert doc["metrics"]["purchases"]["mean"] == pytest.approx(samples["purchases"].mean())
    pd.testing.assert_frame_equal(samples, samples_frame(result), check_dtype=False)


def test_incrementality_document_and_channels_table(tmp_path: Path, journey) -> None:
    from journeysim.interventions import RateMultiplier
    from journeysim.model import OrderValue, Population, Segment

    pop = Population(
        (Segment("consumers", initial={"awareness": 300}, arrivals_per_day=2.0, order_value=OrderValue("fixed", 50.0)),)
    )
    lift = Strategy(name="lift", rate_multipliers=(RateMultiplier("intent", "purchase", 1.5, 0, 30),))
    scenario = Scenario(journey, pop, Settings(horizon_days=30, replications=2, seed=3), strategy=lift, name="lifted")
    inc = incremental(scenario, channels=False)
    paths = write_incrementality(tmp_path, inc, "no spend")
    assert [p.name for p in paths] == [INCREMENTALITY_FILE]  # no per-channel table without channels
    doc = json.loads((tmp_path / INCREMENTALITY_FILE).read_text())
    assert (doc["scenario"], doc["baseline"], doc["baseline_strategy"], doc["seed"]) == (
        "lifted",
        "no spend",
        "none",
        3,
    )
    entry = doc["metrics"]["incremental_purchases"]
    assert entry["mean"] == pytest.approx(inc.summary.loc["incremental_purchases", "mean"])
    assert set(entry) == {"mean", "std", "ci_low", "ci_high", "replications", "pooled"}
    assert doc["metrics"]["iroas"]["mean"] is None  # no spend: iROAS undefined, strict JSON null
    assert "channels" not in doc and not (tmp_path / CHANNELS_FILE).exists()
