"""Sweep aggregation: `journeysim collect DIR`, and the same at the end of every `journeysim -m` sweep.

Reads what the jobs left on disk (Hydra's `.hydra/` records, status.json, metrics.json), so it works for a finished
sweep, one with failed jobs, and one still running or killed; the planned jobs come from Hydra's multirun.yaml.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console
from rich.table import Table

from journeysim.cli.report import exit_verb_problem
from journeysim.config.compose import sweep_jobs
from journeysim.io.sweep import (
    FAILURES_CSV,
    MULTIRUN_FILE,
    OK,
    SWEEP_CSV,
    SWEEP_PARQUET,
    SweepTable,
    find_jobs,
    sweep_table,
    write_sweep_table,
)
from journeysim.metrics.catalogue import fmt, headline, label

MAX_ROWS = 40


def planned_jobs(sweep_dir: Path) -> list[list[str]] | None:
    """Each planned job's overrides, from the sweep's multirun.yaml (None without it or for other sweepers)."""
    path = sweep_dir / MULTIRUN_FILE
    if not path.is_file():
        return None
    try:
        cfg = OmegaConf.load(path)
        return sweep_jobs(cfg) if OmegaConf.is_dict(cfg) else None  # type: ignore[arg-type]
    except (OSError, OmegaConfBaseException, ValueError, TypeError, KeyError):
        return None


def sweep_console_table(sweep: SweepTable, title: str) -> Table:
    """A short table: job, status, swept settings and a few headline means."""
    table = Table(title=title)
    table.add_column("job", justify="right")
    table.add_column("status")
    for p in sweep.params:
        table.add_column(p)
    shown = [m for m in headline("collect") if f"{m}.mean" in sweep.table.columns]
    for m in shown:
        table.add_column(label(m, "collect"), justify="right")
    for row in sweep.table.head(MAX_ROWS).to_dict("records"):
        job = row["job"]
        status = str(row["status"])
        style = "" if status == OK else "red"
        cells = ["" if job is None or job != job else str(job), f"[{style}]{status}[/]" if style else status]
        cells += ["" if row[p] is None or row[p] != row[p] else str(row[p]) for p in sweep.params]
        cells += [fmt(m, row[f"{m}.mean"], "collect", missing="") for m in shown]
        table.add_row(*cells)
    return table


def print_sweep(console: Console, sweep: SweepTable, sweep_dir: Path) -> None:
    """The table, the failed jobs with their errors, and where the files are."""
    counts = ", ".join(f"{v} {k}" for k, v in sweep.counts().items())
    console.print(sweep_console_table(sweep, f"Sweep {sweep_dir}: {len(sweep.table)} jobs ({counts})"))
    if len(sweep.table) > MAX_ROWS:
        console.print(f"... {len(sweep.table) - MAX_ROWS} more jobs in {SWEEP_CSV}", markup=False, highlight=False)
    for row in sweep.failures.to_dict("records"):
        detail = row["error"] if isinstance(row["error"], str) else "no status.json: still running, or killed"
        if row["status"] == "not started":
            detail = "never started"
        console.print(f"job {row['job']} {row['status']}: {detail}", markup=False, highlight=False)
    files = ", ".join(str(sweep_dir / f) for f in (SWEEP_PARQUET, SWEEP_CSV, FAILURES_CSV))
    console.print(f"Sweep table: {files}", markup=False, highlight=False)
    if sweep.counts().get(OK, 0) > 1 and not (sweep_dir / "comparison").is_dir():
        console.print(  # the sweep's own view: paired differences, ranking and budget-response curves
            f"Compare the jobs (paired differences, ranking, response curves): journeysim compare {sweep_dir}",
            markup=False,
            highlight=False,
        )


def _console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=120)


def collect_sweep(sweep_dir: Path, planned: Sequence[Sequence[str]] | None = None) -> SweepTable:
    """Build, write (atomically) and print the sweep table of `sweep_dir`."""
    sweep = sweep_table(find_jobs(sweep_dir, planned), sweep_dir)
    write_sweep_table(sweep_dir, sweep)
    print_sweep(_console(), sweep, sweep_dir)
    return sweep


def _bad(problem: str, fix: str, setting: str = "DIR") -> NoReturn:
    exit_verb_problem("journeysim collect: nothing was written.", setting, problem, fix)


def parser() -> argparse.ArgumentParser:
    """The `collect` verb's command line."""
    p = argparse.ArgumentParser(
        prog="journeysim collect",
        description="Write sweep.parquet, sweep.csv and failures.csv for a sweep directory (finished or not).",
    )
    p.add_argument("sweep_dir", metavar="DIR", help="a sweep directory (multirun/<date>/<time>)")
    return p


def main(argv: Sequence[str]) -> None:
    """The `collect` verb: aggregate any sweep directory, complete, partial or with failures."""
    args = parser().parse_args(list(argv))
    sweep_dir = Path(args.sweep_dir)
    if not sweep_dir.is_dir():
        _bad(f"'{sweep_dir}' is not a directory", "give a sweep directory, e.g. multirun/2025-01-31/12-00-00-000000")
    if (sweep_dir / ".hydra").is_dir():
        _bad(f"'{sweep_dir}' is a single run's directory, not a sweep", "give the directory of a `journeysim -m` sweep")
    planned = planned_jobs(sweep_dir)
    if not find_jobs(sweep_dir, planned):
        _bad(f"no sweep jobs in '{sweep_dir}'", "give the directory a `journeysim -m` sweep wrote into")
    collect_sweep(sweep_dir, planned)
