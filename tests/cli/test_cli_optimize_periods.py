"""`journeysim optimize --periods`: a plan per (channel, calendar month) that runs as a strategy option, and bad
input (unknown period, periods that do not fit the horizon) exiting 2 with nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

TINY = ["strategy=balanced", "population.scale=0.01", "sim=quick", "sim.start_date=2027-01-01"]


@pytest.mark.slow
def test_optimize_by_month_writes_a_plan_with_flight_budgets(
    journeysim_inproc: Callable[..., Any], tmp_path: Path
) -> None:
    """90 days from 1 January: three calendar months x two channels = 6 cells; plan.yaml carries the money per
    month as flights with budgets that add up to the total, allocation.csv has a period column, the page a split
    by period, and the plan validates as a strategy option."""
    out = tmp_path / "opt"
    args = ["--channels", "social,search", "--total", "40000", "--periods", "months", "--out", str(out)]
    res = journeysim_inproc("optimize", *TINY, *args)
    assert res.code == 0, res.err
    plan = yaml.safe_load((out / "plan.yaml").read_text())
    assert set(plan["flights"]) <= {"social", "search"} and "social" not in plan["budgets"]
    money = [f["budget"] for fl in plan["flights"].values() for f in fl]
    assert sum(money) == pytest.approx(40_000.0, abs=1e-6)
    assert plan["budget"] == pytest.approx(sum(plan["budgets"].values()) + sum(money), abs=1e-6)
    assert {(f["start"], f["end"]) for fl in plan["flights"].values() for f in fl} <= {(0, 31), (31, 59), (59, 90)}
    alloc = pd.read_csv(out / "allocation.csv")
    assert list(alloc.columns[:4]) == ["channel", "period", "start_day", "end_day"]
    assert set(alloc["period"]) == {"2027-01", "2027-02", "2027-03"}
    assert alloc["budget"].sum() == pytest.approx(40_000.0, rel=1e-12)
    assert "period" in pd.read_csv(out / "response_curves.csv").columns
    assert "2027-02" in json.loads((out / "summary.json").read_text())["periods"]
    html = (out / "optimize.html").read_text()
    assert "Split by period" in html and (out / "charts" / "period_split.png").exists()
    check = journeysim_inproc("check", "--config-dir", str(out), *TINY[1:], "strategy=optimized")
    assert check.code == 0, check.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--periods", "months", "--bound", "social@2027-13=0:100"], "unknown period '2027-13'"),
        (["--periods", "91"], "91 periods do not fit the 90-day horizon"),
        (["--periods", "0:60,60:120"], "period 60:120 ends after the 90-day horizon"),
        (["--bound", "social@p1=0:100"], "a bound per period needs periods"),
    ],
)
def test_bad_periods_exit_2_and_write_nothing(
    journeysim_inproc: Callable[..., Any], tmp_path: Path, args: list[str], expected: str
) -> None:
    out = tmp_path / "opt"
    res = journeysim_inproc(
        "optimize", *TINY, "--channels", "social,search", "--total", "1000", *args, "--out", str(out)
    )
    assert res.code == 2, res.err
    assert expected in res.err and "fix:" in res.err
    assert "Traceback" not in res.err
    assert not out.exists()
