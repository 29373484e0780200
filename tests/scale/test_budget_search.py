"""The Optuna budget-search preset: a tiny seeded search returns the best trial, and repeats itself exactly.

journeysim's job returns its headline metrics (a mapping) unless `objective=<metric>` asks it to return one metric's
mean, the one number the Optuna sweeper needs: here `profit` (margin - spend).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

BUDGETS = {"social": 60000, "search": 60000, "email": 20000, "retargeting": 60000}  # the preset's upper bounds


ARGS = [
    "-m",
    "hydra/sweeper=budget_search",
    "objective=profit",
    "hydra.sweeper.n_trials=3",
    "hydra.sweeper.sampler.n_startup_trials=2",  # the third trial comes from TPE's model of the first two
    "population.scale=0.01",
    "sim=quick",
    "hydra.sweep.dir=search",
]


def _read(sweep: Path) -> tuple[dict, list[dict[str, float]], list[float]]:
    """optimization_results.yaml, and per trial (job order) its budgets and the profit in its metrics.json."""
    result = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    budgets, profits = [], []
    for job in sorted((p for p in sweep.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        overrides = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text())
        pairs = (o.removeprefix("++").split("=") for o in overrides if "strategy.budgets." in o)
        budgets.append({key: float(value) for key, value in pairs})
        metrics = json.loads((job / "metrics.json").read_text())["metrics"]
        assert metrics["profit"]["mean"] == pytest.approx(metrics["margin"]["mean"] - metrics["spend"]["mean"])
        profits.append(metrics["profit"]["mean"])
    return result, budgets, profits


def test_a_seeded_budget_search_finds_its_best_trial_and_repeats_exactly(journeysim, tmp_path: Path) -> None:
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper", reason="the optuna extra is not installed")
    runs = []
    for name in ("a", "b"):  # the same search twice, at the same time
        (tmp_path / name).mkdir()
        runs.append(journeysim.start(ARGS, cwd=tmp_path / name))
    for proc in runs:
        res = journeysim.wait(proc)
        assert res.code == 0, res.err
    result, budgets, profits = _read(tmp_path / "a" / "search")
    assert len(budgets) == 3
    for trial in budgets:
        assert set(trial) == {f"strategy.budgets.{c}" for c in BUDGETS}
        assert all(0 <= trial[f"strategy.budgets.{c}"] <= high for c, high in BUDGETS.items())
    best = max(range(3), key=lambda i: profits[i])
    assert result["best_value"] == pytest.approx(profits[best], rel=1e-12)
    assert {k.removeprefix("++"): v for k, v in result["best_params"].items()} == pytest.approx(budgets[best])
    assert _read(tmp_path / "b" / "search") == (result, budgets, profits)  # same seed and config: same search
