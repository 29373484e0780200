"""Reading a run directory back: its status, metrics header and per-replication samples, tolerant of partial runs.

A run that is still going (or was killed) has no status.json yet; a failed run has no metrics. Readers here
return None for what is missing instead of raising, so a sweep or a comparison can list what it skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from journeysim.io.outputs import (
    INCREMENTALITY_FILE,
    METRICS_FILE,
    SAMPLES_FILE,
    STATUS_FILE,
)

#: The `.hydra` folder Hydra writes into every run and sweep job directory when the job starts.
HYDRA_DIR = ".hydra"


def read_json(path: str | Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when the file is missing, unreadable or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` through libyaml where PyYAML has it (the same data, ~10x faster on the `.hydra` records a
    sweep of hundreds of jobs reads back)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_status(run_dir: str | Path) -> dict[str, Any] | None:
    """status.json of a run (None while the run has not finished, or when it was killed)."""
    return read_json(Path(run_dir) / STATUS_FILE)


def read_metrics(run_dir: str | Path) -> dict[str, Any] | None:
    """metrics.json of a run (header and per-metric summaries), or None."""
    return read_json(Path(run_dir) / METRICS_FILE)


def read_incrementality(run_dir: str | Path) -> dict[str, Any] | None:
    """incrementality.json of a run with a counterfactual baseline, or None."""
    return read_json(Path(run_dir) / INCREMENTALITY_FILE)


def read_samples(run_dir: str | Path) -> pd.DataFrame | None:
    """samples.parquet of a run (columns replication, seed, metrics...), or None when it has none."""
    path = Path(run_dir) / SAMPLES_FILE
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError):
        return None


def is_run_dir(path: str | Path) -> bool:
    """True for a directory a journeysim run (or sweep job) writes into: it has its outputs or Hydra's `.hydra`."""
    p = Path(path)
    return p.is_dir() and any((p / name).exists() for name in (SAMPLES_FILE, METRICS_FILE, STATUS_FILE, HYDRA_DIR))


def summary_columns(summaries: dict[str, Any], fields: tuple[str, ...] = ("mean", "ci_low", "ci_high")) -> dict:
    """Flatten `{metric: {mean, ci_low, ...}}` into `{"metric.mean": x, "metric.ci_low": y, ...}` (None -> NaN)."""
    out: dict[str, float] = {}
    for name, entry in summaries.items():
        if not isinstance(entry, dict):
            continue
        for f in fields:
            value = entry.get(f)
            out[f"{name}.{f}"] = float(value) if isinstance(value, (int, float)) else float("nan")
    return out
