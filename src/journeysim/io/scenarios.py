"""Scenarios to compare, found from run directories, sweep directories and sweep tables, with their samples.

A run directory is one scenario, named after the directory. A sweep directory (or its sweep.parquet / sweep.csv)
gives one scenario per finished job, named by its swept settings (`strategy=conversion_push`). Failed or
unfinished jobs, and runs without samples.parquet, are skipped with a note. Bad paths raise `ConfigError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from journeysim.errors import ConfigError
from journeysim.io.outputs import SAMPLES_FILE
from journeysim.io.rundir import HYDRA_DIR, read_samples, read_status
from journeysim.io.sweep import (
    JOB_COLUMNS,
    OK,
    SWEEP_CSV,
    SWEEP_PARQUET,
    find_jobs,
    job_label,
    override_key_value,
    swept_keys,
)


@dataclass
class Source:
    """One scenario: its name, run directory, swept settings (empty for a plain run) and the input it came from."""

    name: str
    run_dir: Path
    params: dict[str, Any] = field(default_factory=dict)
    origin: str = ""


@dataclass
class Loaded:
    """Everything found: the scenarios, their samples (tidy, with `scenario`), swept setting names, skip notes."""

    sources: list[Source]
    samples: pd.DataFrame
    params: list[str]
    skipped: list[str]


def _number(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    value = text.strip().strip("'\"")
    try:
        f = float(value)
    except ValueError:
        return value
    return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _from_sweep_dir(path: Path, skipped: list[str]) -> tuple[list[Source], list[str]]:
    jobs = find_jobs(path)
    keys = swept_keys(jobs)
    out = []
    for j in jobs:
        if j.status != OK or j.run_dir is None:
            skipped.append(f"{path}: job {j.num} is {j.status}{f' ({j.error})' if j.error else ''}")
            continue
        mine = dict(kv for kv in (override_key_value(o) for o in j.overrides) if kv is not None)
        params = {k: _number(mine.get(k)) for k in keys}
        out.append(Source(job_label(params) or f"job {j.num}", j.run_dir, params, str(path)))
    return out, keys


def _from_table(path: Path, skipped: list[str]) -> tuple[list[Source], list[str]]:
    try:
        text = {c: "string" for c in ("status", "scenario", "overrides", "run_dir", "error")}
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=text)
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), f"cannot read the sweep table: {exc}", "give sweep.parquet or sweep.csv") from None
    if not {"run_dir", "status", "overrides"} <= set(table.columns):
        raise ConfigError(
            str(path), "is not a sweep table (no run_dir, status and overrides columns)", "give sweep.parquet/.csv"
        )
    cols = list(table.columns)
    keys = [str(c) for c in cols[len(JOB_COLUMNS) : cols.index("overrides")]]
    out = []
    for row in table.to_dict("records"):
        if row["status"] != OK or not isinstance(row["run_dir"], str):
            skipped.append(f"{path}: job {row.get('job')} is {row['status']}")
            continue
        params = {k: _number(row[k]) for k in keys if not _missing(row[k])}
        name = job_label(params) or f"job {row.get('job')}"
        out.append(Source(name, (path.parent / row["run_dir"]), params, str(path)))
    return out, keys


def sources_from(path: str | Path, skipped: list[str]) -> tuple[list[Source], list[str]]:
    """The scenarios in one input (a run dir, a sweep dir, or a sweep table) and its swept setting names."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(str(path), "does not exist", "give a run directory, a sweep directory or a sweep table")
    if p.is_file():
        if p.suffix not in (".parquet", ".csv"):
            raise ConfigError(str(path), "is not a sweep table", f"give a directory, {SWEEP_PARQUET} or {SWEEP_CSV}")
        return _from_table(p, skipped)
    if (p / SAMPLES_FILE).is_file() or (p / HYDRA_DIR).is_dir():
        status = read_status(p) or {}
        if status.get("status") != OK:
            skipped.append(f"{p}: run is {status.get('status', 'incomplete')}")
            return [], []
        name = p.resolve().name
        if name.isdigit():  # a sweep job's directory: name it with its sweep's
            name = f"{p.resolve().parent.name}/{name}"
        return [Source(name, p, {}, str(path))], []
    return _from_sweep_dir(p, skipped)


def _unique_names(sources: list[Source]) -> None:
    """Make scenario names unique: prefix clashing names with their input's name, then number what still clashes."""
    counts = Counter(s.name for s in sources)
    for s in sources:
        if counts[s.name] > 1:
            s.name = f"{Path(s.origin).name}:{s.name}"
    counts = Counter(s.name for s in sources)
    seen: Counter[str] = Counter()
    for s in sources:
        if counts[s.name] > 1:
            seen[s.name] += 1
            s.name = f"{s.name}#{seen[s.name]}"


def load_scenarios(paths: Sequence[str | Path]) -> Loaded:
    """Find every finished run under `paths` and load its per-replication samples (tidy, `scenario` column first).

    Raises `ConfigError` when a path does not exist or no run with samples is found.
    """
    skipped: list[str] = []
    sources: list[Source] = []
    params: list[str] = []
    for path in paths:
        found, keys = sources_from(path, skipped)
        sources += found
        params += [k for k in keys if k not in params]
    _unique_names(sources)
    frames, kept = [], []
    for s in sources:
        samples = read_samples(s.run_dir)
        if samples is None:
            skipped.append(f"{s.run_dir}: no {SAMPLES_FILE} (written by journeysim runs since samples were added)")
            continue
        samples = samples.copy()
        samples.insert(0, "scenario", s.name)
        if "replication" not in samples.columns:
            samples.insert(1, "replication", range(len(samples)))
        frames.append(samples)
        kept.append(s)
    if not frames:
        where = ", ".join(str(p) for p in paths)
        raise ConfigError(
            "PATH",
            f"no finished runs with {SAMPLES_FILE} found in {where}",
            "give run or sweep directories of journeysim",
        )
    return Loaded(kept, pd.concat(frames, ignore_index=True), params, skipped)
