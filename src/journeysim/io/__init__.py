"""Run outputs written atomically: metrics.json, funnel.csv, timeseries.parquet, config.yaml, status.json last."""

from __future__ import annotations

from journeysim.io.atomic import atomic_write, atomic_write_json, atomic_write_text
from journeysim.io.outputs import (
    CONFIG_FILE,
    FUNNEL_FILE,
    METRICS_FILE,
    OUTPUT_FILES,
    STATUS_FILE,
    TIMESERIES_FILE,
    RunStatus,
    metrics_document,
    write_run_outputs,
    write_status,
)

__all__ = [
    "CONFIG_FILE",
    "FUNNEL_FILE",
    "METRICS_FILE",
    "OUTPUT_FILES",
    "STATUS_FILE",
    "TIMESERIES_FILE",
    "RunStatus",
    "atomic_write",
    "atomic_write_json",
    "atomic_write_text",
    "metrics_document",
    "write_run_outputs",
    "write_status",
]
