"""Resuming: a run directory that already holds a completed result is kept when it is the same job, and never
overwritten by another one.

A result is *completed* when its status.json says `ok` and every file it lists is present (files are written
atomically and status.json last, so a killed run never looks completed). It is *the same job* when status.json
records the same task overrides and config.yaml the same resolved config. Nothing here imports Hydra.
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from journeysim.io.atomic import atomic_write
from journeysim.io.outputs import CONFIG_FILE
from journeysim.io.rundir import load_yaml, read_incrementality, read_metrics, read_status


class Found(enum.Enum):
    """What a run directory holds, seen from a job about to write into it."""

    NOTHING = "nothing"  # no completed result (absent, unfinished, failed, interrupted or killed): run the job
    SAME = "same"  # the completed result of this very job: keep it
    OTHER = "other"  # the completed result of another job or config: never overwrite it


class ResultExists(RuntimeError):
    """A job would write into a directory holding the completed result of another job or config."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        super().__init__(
            f"{run_dir} holds the completed result of another run (other overrides or config); "
            "journeysim never overwrites a completed result"
        )


def _completed_status(run_dir: str | Path) -> dict[str, Any] | None:
    """status.json of a completed result (status `ok`, every file it lists present), else None."""
    status = read_status(run_dir)
    if status is None or status.get("status") != "ok":
        return None
    files = status.get("files") or ()
    return status if all((Path(run_dir) / str(name)).is_file() for name in files) else None


def completed(run_dir: str | Path) -> bool:
    """True when `run_dir` holds a completed result: status `ok` and every file status.json lists present."""
    return _completed_status(run_dir) is not None


def _config(text: str) -> object:
    try:
        return load_yaml(text)
    except yaml.YAMLError:
        return None


def found(run_dir: str | Path, overrides: Sequence[str], config_yaml: str | Callable[[], str]) -> Found:
    """Whether `run_dir` holds nothing completed, this job's completed result (same overrides and resolved config
    as `config_yaml`, the text of config.yaml, or a function making it when needed), or another job's."""
    status = _completed_status(run_dir)
    if status is None:
        return Found.NOTHING
    if [str(o) for o in status.get("overrides") or ()] != [str(o) for o in overrides]:
        return Found.OTHER
    try:
        old = _config((Path(run_dir) / CONFIG_FILE).read_text(encoding="utf-8"))
    except OSError:
        return Found.OTHER
    new = _config(config_yaml if isinstance(config_yaml, str) else config_yaml())
    return Found.SAME if old is not None and old == new else Found.OTHER


def result_means(run_dir: str | Path) -> tuple[dict[str, float], dict[str, float] | None]:
    """Metric means of a completed run (None -> NaN), and its incrementality means when it has a baseline."""

    def means(doc: dict | None) -> dict[str, float]:
        entries = (doc or {}).get("metrics") or {}
        return {
            str(k): float(v["mean"]) if isinstance(v, dict) and isinstance(v.get("mean"), (int, float)) else math.nan
            for k, v in entries.items()
        }

    inc = read_incrementality(run_dir)
    return means(read_metrics(run_dir)), None if inc is None else means(inc)


#: What Hydra's launchers rewrite in every job directory, kept jobs included, before journeysim can keep them.
_HYDRA_RECORDS = (".hydra/*.yaml", "*.log")


def kept_records(sweep_dir: str | Path) -> dict[Path, tuple[bytes, int]]:
    """Bytes and modification time (ns) of the Hydra records and logs of every completed job under `sweep_dir`."""
    out: dict[Path, tuple[bytes, int]] = {}
    root = Path(sweep_dir)
    jobs = [p for p in root.iterdir() if p.is_dir() and completed(p)] if root.is_dir() else []
    for job in jobs:
        for pattern in _HYDRA_RECORDS:
            for path in job.glob(pattern):
                if path.is_file():
                    out[path] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def restore_records(records: dict[Path, tuple[bytes, int]]) -> None:
    """Put kept jobs' records back exactly as they were (content and modification time), so nothing of them changes."""
    for path, (data, mtime_ns) in records.items():
        try:
            if not path.is_file() or path.read_bytes() != data:
                atomic_write(path, lambda tmp, data=data: tmp.write_bytes(data))  # type: ignore[misc]
            os.utime(path, ns=(mtime_ns, mtime_ns))
        except OSError:
            continue
