"""`journeysim export`: a finished run's media-mix tables (PyMC-Marketing, Meridian) and their ground truth.

    journeysim export RUN_DIR [--format pymc|meridian|both] [--period day|week] [--start-date YYYY-MM-DD] [--out DIR]

The run's config (config.yaml) is simulated again on its own seeds, with and without each channel and without any
media, keeping every replication's daily series; the run's own replications are checked against its
samples.parquet (the same realisations, to the bit), so the tables are the run's data. The run directory is not
changed: files go to `RUN_DIR/export` (or `--out`). Columns: docs/exports.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from journeysim.config.problems import Problem
from journeysim.config.validate import problems_text, scenario_from_container
from journeysim.errors import ConfigError
from journeysim.io.exports import FORMATS, write_export
from journeysim.io.mmm_tables import PERIODS
from journeysim.io.outputs import CONFIG_FILE, SAMPLES_FILE
from journeysim.io.rundir import read_samples, read_status
from journeysim.model.scenario import Scenario
from journeysim.study.ground_truth import RUN, counterfactual_days, funded_channels

#: The first day of the calendar when neither the run (`sim.start_date`) nor `--start-date` gives one: a Monday.
DEFAULT_START = dt.date(2025, 1, 6)
HEADING = "journeysim export: nothing was written."


def parser() -> argparse.ArgumentParser:
    """The `export` verb's command line."""
    p = argparse.ArgumentParser(
        prog="journeysim export",
        description="Write a run's media-mix tables (PyMC-Marketing, Meridian) and their ground truth.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a finished run directory (config.yaml, samples.parquet)")
    p.add_argument("--format", default="both", help="pymc, meridian or both (default both)")
    p.add_argument("--period", default="week", help="day or week (default week; whole weeks from the first day)")
    p.add_argument("--start-date", help="calendar date of day 0, YYYY-MM-DD (default: sim.start_date, else 2025-01-06)")
    p.add_argument("--out", help="output directory (default RUN_DIR/export)")
    return p


def _bad(problems: Sequence[Problem]) -> None:
    if problems:
        sys.stderr.write(f"{HEADING}\n{problems_text(problems)}\n")
        sys.stderr.flush()
        raise SystemExit(2)


def _options(args: argparse.Namespace) -> tuple[list[Problem], dt.date | None]:
    problems = []
    if args.format not in FORMATS:
        problems.append(Problem("--format", f"unknown format '{args.format}'", f"use one of {', '.join(FORMATS)}"))
    if args.period not in PERIODS:
        problems.append(Problem("--period", f"unknown period '{args.period}'", f"use one of {', '.join(PERIODS)}"))
    start = None
    if args.start_date is not None:
        try:
            start = dt.date.fromisoformat(args.start_date)
        except ValueError:
            problems.append(Problem("--start-date", f"'{args.start_date}' is not a date", "give YYYY-MM-DD"))
    return problems, start


def _run_config(run: Path) -> tuple[list[Problem], dict[str, Any] | None]:
    """The run's resolved config, or the problems that keep it from being exported (not a finished run)."""
    fix = "give the directory of a finished run (a sweep's jobs are its numbered subdirectories)"
    if not run.is_dir():
        return [Problem("RUN_DIR", f"'{run}' is not a directory", fix)], None
    missing = [name for name in (CONFIG_FILE, SAMPLES_FILE) if not (run / name).is_file()]
    if missing:
        return [Problem("RUN_DIR", f"'{run}' has no {' or '.join(missing)}: not a finished run", fix)], None
    status = read_status(run)
    if status is not None and status.get("status") != "ok":
        return [Problem("RUN_DIR", f"the run in '{run}' did not finish ({status.get('status')})", "run it again")], None
    try:
        data = yaml.safe_load((run / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [Problem("RUN_DIR", f"cannot read {run / CONFIG_FILE}: {exc}", fix)], None
    if not isinstance(data, dict):
        return [Problem("RUN_DIR", f"{run / CONFIG_FILE} is not a mapping", fix)], None
    return [], data


def _scenario(run: Path, data: dict[str, Any]) -> Scenario:
    try:
        scenario = scenario_from_container(data)
    except (ConfigError, TypeError, ValueError) as exc:
        setting, problem = (exc.setting, exc.problem) if isinstance(exc, ConfigError) else ("config", str(exc))
        _bad([Problem(f"RUN_DIR/{CONFIG_FILE}: {setting}", problem, "export with the version that made the run")])
        raise AssertionError from None  # unreachable: `_bad` exits
    if not funded_channels(scenario):
        _bad(
            [
                Problem(
                    "strategy",
                    f"the run in '{run}' spends nothing: no media to export",
                    "export a run that spends (e.g. journeysim strategy=balanced, or +experiment=mmm_arena)",
                )
            ]
        )
    return scenario


def check_realisation(daily: pd.DataFrame, samples: pd.DataFrame | None, version: str = "") -> list[Problem]:
    """Problems when the re-simulated run differs from the run's own replications (samples.parquet): purchases
    equal and revenue equal to 1e-9 in every replication, or the tables would not be the run's data."""
    if samples is None or not {"purchases", "revenue"} <= set(samples.columns):
        return [Problem("RUN_DIR", f"{SAMPLES_FILE} has no purchases and revenue columns", "run it again")]
    run = daily[daily["variant"] == RUN].groupby("replication")[["purchases", "revenue"]].sum()
    if len(run) != len(samples):
        return [Problem("RUN_DIR", f"{len(samples)} replications in {SAMPLES_FILE}, {len(run)} simulated", "run again")]
    for r, (p, v) in enumerate(zip(samples["purchases"], samples["revenue"], strict=True)):
        if run["purchases"].iloc[r] != p or not math.isclose(run["revenue"].iloc[r], v, rel_tol=1e-9, abs_tol=1e-9):
            return [
                Problem(
                    "RUN_DIR",
                    f"simulating config.yaml again does not reproduce replication {r} of the run "
                    f"(purchases {run['purchases'].iloc[r]:g} vs {p:g}){version}",
                    "export with the journeysim version that made the run, or run it again with this one",
                )
            ]
    return []


def main(argv: Sequence[str]) -> None:
    """The `export` verb."""
    args = parser().parse_args(list(argv))
    problems, start = _options(args)
    run = Path(args.run_dir)
    found, data = _run_config(run)
    _bad(problems + found)
    assert data is not None
    scenario = _scenario(run, data)
    from_run = getattr(scenario.settings, "start_date", None)  # sim.start_date, where the config has it
    start_from = "--start-date" if start is not None else ("sim.start_date" if from_run else "default")
    start = start or from_run or DEFAULT_START
    n = len(funded_channels(scenario)) + 2
    print(f"simulating {n} variants x {scenario.settings.replications} replications of {scenario.name} ...")
    daily = counterfactual_days(scenario)
    status = read_status(run) or {}
    version = f" (run made by journeysim {status['journeysim_version']})" if status.get("journeysim_version") else ""
    _bad(check_realisation(daily, read_samples(run), version))
    formats = ("pymc", "meridian") if args.format == "both" else (args.format,)
    out = Path(args.out) if args.out else run / "export"
    paths = write_export(out, scenario, daily, period=args.period, formats=formats, start=start, start_from=start_from)
    for p in paths:
        print(p)
