"""One tidy table for a sweep directory, complete or not: one row per job, swept settings and metrics as columns.

Jobs are found from what Hydra and journeysim leave on disk: every job directory holds `.hydra/` (written when
the job starts: its number and overrides) and, once it has finished, `status.json`. A job without status.json is
`incomplete` (still running, or killed); a job the sweep planned but never started is `not started`. Failed jobs
keep their error text. Nothing here imports Hydra: the planned jobs, when known, are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from journeysim.io.atomic import atomic_write
from journeysim.io.rundir import (
    HYDRA_DIR,
    load_yaml,
    read_incrementality,
    read_metrics,
    read_status,
    summary_columns,
)

SWEEP_PARQUET = "sweep.parquet"
SWEEP_CSV = "sweep.csv"
FAILURES_CSV = "failures.csv"
#: Hydra's record of the whole sweep (the master config), in the sweep directory.
MULTIRUN_FILE = "multirun.yaml"

OK = "ok"
INCOMPLETE = "incomplete"
NOT_STARTED = "not started"

#: Leading columns of the sweep table; the swept settings follow, then run_dir, error and the metric columns.
JOB_COLUMNS = ("job", "status", "scenario")
TAIL_COLUMNS = ("overrides", "run_dir", "error", "seed", "replications", "seconds")
FAILURE_COLUMNS = ("job", "status", "overrides", "run_dir", "error")


@dataclass
class SweepJob:
    """One job of a sweep as found on disk (or planned): number, directory, outcome, overrides, error."""

    num: int | None
    run_dir: Path | None
    status: str
    overrides: tuple[str, ...] = ()
    scenario: str | None = None
    error: str | None = None
    seconds: float | None = None


@dataclass
class SweepTable:
    """The tidy table (one row per job), the failed or unfinished jobs, and the swept setting columns."""

    table: pd.DataFrame
    failures: pd.DataFrame
    params: list[str]
    jobs: list[SweepJob] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Jobs per status, in a stable order (ok first)."""
        order = [OK, "failed", "interrupted", INCOMPLETE, NOT_STARTED]
        seen = list(self.table["status"]) if len(self.table) else []
        keys = [s for s in order if s in seen] + sorted({s for s in seen if s not in order})
        return {k: seen.count(k) for k in keys}


def override_key_value(override: str) -> tuple[str, str] | None:
    """`strategy.budget=5000` -> ('strategy.budget', '5000'); `+k=v` and `++k=v` -> ('k', 'v'); `~k` -> None."""
    text = str(override).strip()
    if text.startswith("~") or "=" not in text:
        return None
    key, value = text.split("=", 1)
    return key.lstrip("+"), value


def _job_dirs(sweep_dir: Path) -> list[Path]:
    """Directories under the sweep dir holding `.hydra/` (job directories), excluding the sweep dir itself."""
    found = {p.parent.parent for p in sweep_dir.rglob(f"{HYDRA_DIR}/hydra.yaml")}
    found.discard(sweep_dir)
    return sorted(found)


def _hydra_record(job_dir: Path) -> tuple[int | None, tuple[str, ...]]:
    """Job number and task overrides Hydra recorded when the job started."""
    num: int | None = None
    overrides: tuple[str, ...] = ()
    try:
        data = load_yaml((job_dir / HYDRA_DIR / "hydra.yaml").read_text(encoding="utf-8")) or {}
        hydra = data.get("hydra", {}) if isinstance(data, dict) else {}
        job_num = (hydra.get("job") or {}).get("num")
        num = int(job_num) if isinstance(job_num, int) else None
        task = (hydra.get("overrides") or {}).get("task")
        overrides = tuple(str(o) for o in task or ())
    except (OSError, yaml.YAMLError, AttributeError, ValueError):
        pass
    if num is None and job_dir.name.isdigit():
        num = int(job_dir.name)
    return num, overrides


def _job(job_dir: Path) -> SweepJob:
    num, overrides = _hydra_record(job_dir)
    status = read_status(job_dir)
    if status is None:
        return SweepJob(num, job_dir, INCOMPLETE, overrides)
    timings = status.get("timings_s") or {}
    total = timings.get("total") if isinstance(timings, dict) else None
    return SweepJob(
        num=num,
        run_dir=job_dir,
        status=str(status.get("status") or INCOMPLETE),
        overrides=tuple(str(o) for o in status.get("overrides") or overrides),
        scenario=status.get("scenario"),
        error=status.get("error"),
        seconds=float(total) if isinstance(total, (int, float)) else None,
    )


def find_jobs(sweep_dir: str | Path, planned: Sequence[Sequence[str]] | None = None) -> list[SweepJob]:
    """Every job of the sweep in `sweep_dir`, by job number; `planned[i]` (the overrides of job i, when known)
    adds the jobs that never started."""
    root = Path(sweep_dir)
    jobs = [_job(d) for d in _job_dirs(root)]
    if planned is not None:
        started = {j.num for j in jobs}
        jobs += [SweepJob(i, None, NOT_STARTED, tuple(ov)) for i, ov in enumerate(planned) if i not in started]
    return sorted(jobs, key=lambda j: (j.num is None, j.num if j.num is not None else 0, str(j.run_dir)))


def swept_keys(jobs: Sequence[SweepJob], keys: Sequence[str] = ()) -> list[str]:
    """The settings that make jobs differ: `keys` (e.g. the sweep's own parameters) plus every override key whose
    value is not the same in all jobs, in order of first appearance."""
    values: dict[str, list[str | None]] = {}
    for j in jobs:
        for ov in j.overrides:
            kv = override_key_value(ov)
            if kv is not None:
                values.setdefault(kv[0], [])
    for j in jobs:
        mine = dict(kv for kv in (override_key_value(o) for o in j.overrides) if kv is not None)
        for k in values:
            values[k].append(mine.get(k))
    varying = [k for k, v in values.items() if len(set(v)) > 1]
    return list(dict.fromkeys([*keys, *varying]))


def _value(text: str | None) -> Any:
    if text is None:
        return None
    return text.strip().strip("'\"")


def _typed(column: pd.Series) -> pd.Series:
    """Numbers as numbers (so a swept budget can be plotted), anything else as text."""
    present = column.dropna()
    numeric = pd.to_numeric(present, errors="coerce")
    if len(present) and numeric.notna().all():
        out = pd.to_numeric(column, errors="coerce").astype(float)
        if out.notna().all() and bool((out % 1 == 0).all()):
            return out.astype("int64")
        return out
    return column.astype("string")


def _relative(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _metric_columns(job: SweepJob) -> tuple[dict[str, Any], dict[str, float]]:
    """(header fields, metric columns) of a finished job: metrics.json and incrementality.json summaries."""
    if job.status != OK or job.run_dir is None:
        return {}, {}
    doc = read_metrics(job.run_dir) or {}
    header = {"seed": doc.get("seed"), "replications": doc.get("replications")}
    columns = summary_columns(doc.get("metrics") or {})
    inc = read_incrementality(job.run_dir)
    if inc is not None:
        summaries = inc.get("metrics") or {}
        columns.update(summary_columns(summaries))
        for name, entry in summaries.items():  # ratios: the pooled ratio of means is the point estimate to report
            if isinstance(entry, dict) and isinstance(entry.get("pooled"), (int, float)):
                columns[f"{name}.pooled"] = float(entry["pooled"])
    return header, columns


def sweep_table(jobs: Sequence[SweepJob], root: str | Path, keys: Sequence[str] = ()) -> SweepTable:
    """Build the tidy table: job, status, scenario, one column per swept setting, overrides, run_dir (relative to
    `root`), error, seed, replications, seconds, then `<metric>.mean`, `<metric>.ci_low`, `<metric>.ci_high`."""
    root = Path(root)
    params = swept_keys(jobs, keys)
    reserved = {*JOB_COLUMNS, *TAIL_COLUMNS}
    params = [p for p in params if p not in reserved]
    rows: list[dict[str, Any]] = []
    metric_names: dict[str, None] = {}
    for j in jobs:
        mine = dict(kv for kv in (override_key_value(o) for o in j.overrides) if kv is not None)
        header, metrics = _metric_columns(j)
        metric_names.update(dict.fromkeys(metrics))
        row: dict[str, Any] = {"job": j.num, "status": j.status, "scenario": j.scenario}
        row.update({p: _value(mine.get(p)) for p in params})
        row.update(
            {
                "overrides": " ".join(j.overrides),
                "run_dir": _relative(j.run_dir, root),
                "error": j.error,
                "seed": header.get("seed"),
                "replications": header.get("replications"),
                "seconds": j.seconds,
            }
        )
        row.update(metrics)
        rows.append(row)
    columns = [*JOB_COLUMNS, *params, *TAIL_COLUMNS, *metric_names]
    table = pd.DataFrame(rows, columns=columns)
    for c in ("job", "seed", "replications"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype("Int64")
    table["seconds"] = pd.to_numeric(table["seconds"], errors="coerce").astype(float)
    for c in ("status", "scenario", "overrides", "run_dir", "error"):
        table[c] = table[c].astype("string")
    for p in params:
        table[p] = _typed(table[p])
    for m in metric_names:
        table[m] = pd.to_numeric(table[m], errors="coerce").astype(float)
    failures = table.loc[table["status"] != OK, list(FAILURE_COLUMNS)].reset_index(drop=True)
    return SweepTable(table=table, failures=failures, params=params, jobs=list(jobs))


def write_sweep_table(sweep_dir: str | Path, sweep: SweepTable) -> list[Path]:
    """Write sweep.parquet, sweep.csv and failures.csv (header only when every job finished) atomically."""
    out = Path(sweep_dir)
    table, failures = sweep.table, sweep.failures
    return [
        atomic_write(out / SWEEP_PARQUET, lambda tmp: table.to_parquet(tmp, index=False)),
        atomic_write(out / SWEEP_CSV, lambda tmp: table.to_csv(tmp, index=False)),
        atomic_write(out / FAILURES_CSV, lambda tmp: failures.to_csv(tmp, index=False)),
    ]


def job_label(params: Mapping[str, Any]) -> str:
    """A scenario label from swept settings: `strategy=conversion_push strategy.budget=50000`."""
    parts = []
    for k, v in params.items():
        if v is None or bool(pd.isna(v)):
            continue
        text = f"{v:g}" if isinstance(v, float) else str(v)
        parts.append(f"{k}={text}")
    return " ".join(parts)
