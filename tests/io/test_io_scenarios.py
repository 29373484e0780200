"""Finding scenarios to compare: run directories, sweep directories and sweep tables, named and with samples."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from journeysim.errors import ConfigError
from journeysim.io.scenarios import load_scenarios
from journeysim.io.sweep import find_jobs, sweep_table, write_sweep_table


def make_run(path: Path, purchases: list[float], seed: int = 42, status: str = "ok", overrides=(), num=None) -> Path:
    """A finished run: samples.parquet (one row per replication), status.json and Hydra's record."""
    (path / ".hydra").mkdir(parents=True)
    hydra = {"hydra": {"job": {"num": num if num is not None else "???"}, "overrides": {"task": list(overrides)}}}
    (path / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
    samples = pd.DataFrame({"replication": range(len(purchases)), "seed": seed, "purchases": purchases})
    if status == "ok":
        samples.to_parquet(path / "samples.parquet", index=False)
    status_doc = {"status": status, "overrides": list(overrides), "error": None if status == "ok" else "Boom"}
    (path / "status.json").write_text(json.dumps(status_doc))
    return path


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    for num, (strategy, status) in enumerate([("none", "ok"), ("balanced", "ok"), ("nurture", "failed")]):
        make_run(
            root / str(num),
            [10.0 + num, 11.0 + num],
            status=status,
            overrides=["sim=quick", f"strategy={strategy}"],
            num=num,
        )
    return root


def test_a_sweep_gives_one_scenario_per_finished_job_named_by_its_swept_settings(sweep: Path) -> None:
    loaded = load_scenarios([sweep])
    assert [s.name for s in loaded.sources] == ["strategy=none", "strategy=balanced"]
    assert loaded.params == ["strategy"]
    assert loaded.sources[1].params == {"strategy": "balanced"}
    assert list(loaded.samples.columns[:3]) == ["scenario", "replication", "seed"]
    assert loaded.samples.groupby("scenario", sort=False)["purchases"].mean().tolist() == [10.5, 11.5]
    assert len(loaded.skipped) == 1 and "job 2 is failed (Boom)" in loaded.skipped[0]


def test_a_sweep_table_gives_the_same_scenarios(sweep: Path) -> None:
    write_sweep_table(sweep, sweep_table(find_jobs(sweep), sweep))
    for table in ("sweep.parquet", "sweep.csv"):
        loaded = load_scenarios([sweep / table])
        assert [s.name for s in loaded.sources] == ["strategy=none", "strategy=balanced"]
        assert loaded.samples["purchases"].tolist() == [10.0, 11.0, 11.0, 12.0]


def test_run_directories_are_named_after_the_directory_and_names_are_made_unique(tmp_path: Path, sweep: Path) -> None:
    a = make_run(tmp_path / "a" / "plan", [1.0, 2.0])
    b = make_run(tmp_path / "b" / "plan", [3.0, 4.0])
    loaded = load_scenarios([a, b, sweep / "1"])
    assert [s.name for s in loaded.sources] == ["plan:plan#1", "plan:plan#2", "sweep/1"]
    assert loaded.params == []


def test_numeric_swept_settings_are_numbers(tmp_path: Path) -> None:
    for num, budget in enumerate((0, 5000)):
        make_run(tmp_path / "s" / str(num), [1.0, 2.0], overrides=[f"strategy.budget={budget}"], num=num)
    loaded = load_scenarios([tmp_path / "s"])
    assert [s.params["strategy.budget"] for s in loaded.sources] == [0, 5000]
    assert [s.name for s in loaded.sources] == ["strategy.budget=0", "strategy.budget=5000"]


def test_bad_paths_and_empty_inputs_raise_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenarios([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no finished runs"):
        load_scenarios([tmp_path / "empty"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="not a sweep table"):
        load_scenarios([tmp_path / "notes.txt"])
