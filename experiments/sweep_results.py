"""Shared helpers of the committed experiments: read a finished sweep directory, pair scenarios, write results.

A sweep directory holds one numbered job directory per scenario, each with `samples.parquet` (one row per
replication), `metrics.json`, `config.yaml` and `status.json`. `load_sweep` turns them into one tidy table
(scenario, replication, seed, then every metric) that `journeysim.study.compare` works on, plus one row per job
(status, timings, parameters). Jobs that failed or are unfinished are listed, never silently dropped.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

import journeysim

ROOT = Path(__file__).resolve().parent


@dataclass
class Sweep:
    """A sweep directory read back: per-replication samples of every finished job, and one row per job."""

    path: Path
    samples: pd.DataFrame  # scenario, replication, seed, metrics...
    jobs: pd.DataFrame  # job, scenario, status, started_at, finished_at, total_s, simulate_s, error
    configs: dict[str, dict[str, Any]]  # scenario label -> resolved config (config.yaml)

    @property
    def failed(self) -> pd.DataFrame:
        """Jobs that did not finish with status ok."""
        return self.jobs[self.jobs["status"] != "ok"]


def latest_sweep(name: str, base: str | Path = "multirun") -> Path:
    """The newest sweep directory `base/<name>/<date>/<time>` (what `journeysim -m +experiment=<name>` wrote)."""
    root = Path(base) / name
    found = sorted(p.parent for p in root.glob("*/*/multirun.yaml"))
    if not found:
        raise SystemExit(f"no sweep of '{name}' under {root}/; run `journeysim -m +experiment={name}` first")
    return found[-1]


def _job_dirs(path: Path) -> list[Path]:
    dirs = [p for p in path.iterdir() if p.is_dir() and p.name.isdigit()]
    return sorted(dirs, key=lambda p: int(p.name))


def _labels(overrides: dict[int, list[str]]) -> dict[int, str]:
    """Job number -> its label: the overrides that differ between jobs (as `journeysim compare` labels them)."""
    shared = set.intersection(*(set(o) for o in overrides.values())) if overrides else set()
    return {job: " ".join(o for o in ovr if o not in shared) or f"job {job}" for job, ovr in overrides.items()}


def load_sweep(path: str | Path) -> Sweep:
    """Read every job of the sweep directory `path`; raise SystemExit if no job finished.

    Scenarios are labelled by the overrides that differ between jobs (e.g. `strategy=nurture`).
    """
    root = Path(path)
    if not root.is_dir():
        raise SystemExit(f"{root} is not a directory")
    statuses: dict[int, dict[str, Any]] = {}
    overrides: dict[int, list[str]] = {}
    for job in _job_dirs(root):
        status_file, hydra_file = job / "status.json", job / ".hydra" / "overrides.yaml"
        statuses[int(job.name)] = json.loads(status_file.read_text()) if status_file.exists() else {}
        listed = statuses[int(job.name)].get("overrides")
        if listed is None and hydra_file.exists():
            listed = yaml.safe_load(hydra_file.read_text())
        overrides[int(job.name)] = [str(o) for o in listed or []]
    labels = _labels(overrides)
    frames, rows, configs = [], [], {}
    for num, status in statuses.items():
        job = root / str(num)
        timings = status.get("timings_s") or {}
        scenario = labels[num]
        rows.append(
            {
                "job": num,
                "scenario": scenario,
                "status": status.get("status", "unfinished"),
                "started_at": status.get("started_at"),
                "finished_at": status.get("finished_at"),
                "total_s": timings.get("total", math.nan),
                "simulate_s": timings.get("simulate", math.nan),
                "error": status.get("error"),
            }
        )
        if rows[-1]["status"] == "ok" and (job / "samples.parquet").exists():
            part = pd.read_parquet(job / "samples.parquet")
            part.insert(0, "scenario", scenario)
            frames.append(part)
            configs[scenario] = yaml.safe_load((job / "config.yaml").read_text())
    jobs = pd.DataFrame(rows)
    if not frames:
        raise SystemExit(f"no finished job with samples.parquet in {root}")
    for _, bad in jobs[jobs["status"] != "ok"].iterrows():
        print(f"warning: job {bad['job']} ({bad['scenario']}) is {bad['status']}: {bad['error'] or 'no error text'}")
    return Sweep(root, pd.concat(frames, ignore_index=True), jobs, configs)


def paired_column(samples: pd.DataFrame, scenario: str, reference: str, column: str) -> pd.Series:
    """Per replication: `column` of `scenario` minus that of `reference` (same replication index = same seeds)."""
    a = samples[samples["scenario"] == scenario].set_index("replication")[column]
    b = samples[samples["scenario"] == reference].set_index("replication")[column]
    return (a - b).dropna()


def mean_ci(values: Sequence[float] | pd.Series | np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent values (NaNs skipped): (mean, low, high)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size == 1:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return m, m - half, m + half


def ratio_ci(num: pd.Series, den: pd.Series, level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of means over paired replications, with a delta-method (first-order) confidence interval.

    The ratio of means is the recommended point estimate for ratios such as ROAS (docs/comparison.md); its
    standard error is sqrt(Var(num - r den) / n) / mean(den) with r the ratio, on n - 1 degrees of freedom.
    """
    both = pd.concat([num, den], axis=1, join="inner").dropna()
    n = len(both)
    x, y = both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float)
    if n == 0 or y.mean() <= 0:
        return math.nan, math.nan, math.nan
    r = float(x.mean() / y.mean())
    if n == 1:
        return r, r, r
    se = float(np.std(x - r * y, ddof=1)) / math.sqrt(n) / float(y.mean())
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return r, r - half, r + half


def provenance(sweep: Sweep, command: str) -> dict[str, Any]:
    """What produced the results: command, sweep directory, seed, replications, scale and machine time."""
    ok = sweep.jobs[sweep.jobs["status"] == "ok"]
    any_config = next(iter(sweep.configs.values()))
    start = pd.to_datetime(ok["started_at"]).min()
    end = pd.to_datetime(ok["finished_at"]).max()
    return {
        "command": command,
        "sweep_dir": str(sweep.path),
        "jobs": len(sweep.jobs),
        "jobs_ok": len(ok),
        "seed": any_config.get("sim", {}).get("seed"),
        "replications": any_config.get("sim", {}).get("replications"),
        "horizon_days": any_config.get("sim", {}).get("horizon_days"),
        "population_scale": any_config.get("population", {}).get("scale"),
        "wall_clock_s": round(float((end - start).total_seconds()), 1),
        "jobs_total_s": round(float(ok["total_s"].sum()), 1),
        "simulate_s": round(float(ok["simulate_s"].sum()), 1),
        "machine": f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}",
        "journeysim_version": journeysim.__version__,
        "analysed_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def write_csv(frame: pd.DataFrame, path: Path, digits: int = 6) -> Path:
    """Write a small result table as CSV, floats rounded to `digits` significant digits (stable diffs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: float(f"{v:.{digits}g}") if np.isfinite(v) else v)
    out.to_csv(path, index=False)
    return path


def write_json(doc: dict[str, Any], path: Path) -> Path:
    """Write a small JSON document (the run's provenance) with a trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def cli(name: str, description: str, analyse: Callable[[Sweep, Path], None], argv: Sequence[str] | None) -> None:
    """The command line every `analyse.py` shares: `[SWEEP_DIR] [--out DIR]`; default the newest sweep."""
    parser = argparse.ArgumentParser(prog=f"experiments/{name}/analyse.py", description=description)
    parser.add_argument(
        "sweep_dir", nargs="?", help=f"sweep directory (default: the newest under multirun/{name}/)", default=None
    )
    parser.add_argument("--out", default=str(ROOT / name / "results"), help="where to write the result tables")
    args = parser.parse_args(argv)
    sweep = load_sweep(args.sweep_dir or latest_sweep(name))
    analyse(sweep, Path(args.out))
