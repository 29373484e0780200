"""`journeysim optimize` end to end on a tiny population: the outputs, a plan that runs as a strategy option, and bad
input (exit 2, one problem per setting, no traceback, nothing written)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

TINY = ["strategy=balanced", "population.scale=0.01", "sim=quick"]


@pytest.mark.slow
def test_optimize_writes_a_plan_that_runs(journeysim_inproc: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "opt"
    args = ["--channels", "social,search,email", "--total", "100000", "--simulations", "13", "--out", str(out)]
    res = journeysim_inproc("optimize", *TINY, *args)
    assert res.code == 0, res.err
    names = {p.name for p in out.iterdir()}
    assert {
        "plan.yaml",
        "allocation.csv",
        "response_curves.csv",
        "evaluations.csv",
        "summary.json",
        "summary.csv",
    } <= names
    assert {"optimize.html", "strategy", "charts"} <= names
    plan = yaml.safe_load((out / "plan.yaml").read_text())
    assert plan == yaml.safe_load((out / "strategy" / "optimized.yaml").read_text())
    chosen = sum(plan["budgets"][c] for c in ("social", "search", "email"))
    assert chosen == pytest.approx(100_000.0, abs=1e-6)  # the fixed total, in the config's money
    assert plan["budget"] == pytest.approx(sum(plan["budgets"].values()), abs=1e-6)
    alloc = pd.read_csv(out / "allocation.csv")
    assert alloc["budget"].sum() == pytest.approx(100_000.0, rel=1e-12)
    summary = json.loads((out / "summary.json").read_text())
    assert 0.0 <= summary["p_beats"] <= 1.0 and summary["objective"] == "profit"
    html = (out / "optimize.html").read_text()
    assert "data:image/png;base64" in html and "P(chosen beats current)" in html
    check = journeysim_inproc("check", "--config-dir", str(out), *TINY[1:], "strategy=optimized")
    assert check.code == 0, check.err


def test_bad_input_lists_every_problem_and_writes_nothing(
    journeysim_inproc: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "opt"
    res = journeysim_inproc(
        "optimize", *TINY, "--channels", "social,serch", "--total", "1000", "--objective", "proft", "--out", str(out)
    )
    assert res.code == 2
    assert "unknown channel 'serch'" in res.err and "did you mean 'search'" in res.err
    assert "unknown objective 'proft'" in res.err
    assert "Traceback" not in res.err
    assert not out.exists()


def test_bounds_that_cannot_hold_the_total(journeysim_inproc: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "opt"
    bounds = ["--bound", "social=0:100", "--bound", "search=0:200"]
    res = journeysim_inproc(
        "optimize", *TINY, "--channels", "social,search", "--total", "5000", *bounds, "--out", str(out)
    )
    assert res.code == 2
    assert "bounds:" in res.err and "not the total 5,000" in res.err
    assert not out.exists()


def test_bad_bound_syntax_and_relative_bound_without_a_current_budget(
    journeysim_inproc: Callable[..., Any], tmp_path: Path
) -> None:
    res = journeysim_inproc("optimize", *TINY, "--channels", "social,search", "--bound", "social=lots")
    assert res.code == 2 and "--bound social=lots" in res.err
    res = journeysim_inproc(
        "optimize", *TINY, "--channels", "social,display", "--total", "1000", "--bound", "display=x0.5:x2"
    )
    assert res.code == 2 and "current plan spends nothing" in res.err


@pytest.mark.slow
def test_a_target_no_budget_reaches_exits_2_with_the_best_value(
    journeysim_inproc: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "opt"
    args = ["--channels", "social,search", "--target", "new_buyers=10000000", "--max-total", "50000"]
    res = journeysim_inproc("optimize", *TINY, *args, "--simulations", "10", "--out", str(out))
    assert res.code == 2, res.err
    assert "target:" in res.err and "best reachable" in res.err
    assert "Traceback" not in res.err
    assert not out.exists()
