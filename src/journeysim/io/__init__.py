"""Run outputs written atomically and read back: the run directory contract, sweep tables, scenarios to compare."""

from __future__ import annotations

from journeysim.io.atomic import atomic_write, atomic_write_json, atomic_write_text
from journeysim.io.outputs import (
    BOTTLENECKS_FILE,
    CHANNELS_FILE,
    CONFIG_FILE,
    FUNNEL_FILE,
    INCREMENTALITY_FILE,
    METRICS_FILE,
    OPTIONAL_FILES,
    OUTPUT_FILES,
    REPORT_FILE,
    RUN_FILES,
    SAMPLES_FILE,
    STATUS_FILE,
    TIMESERIES_FILE,
    RunStatus,
    incrementality_document,
    metrics_document,
    samples_frame,
    write_incrementality,
    write_parquet,
    write_status,
)
from journeysim.io.writers import RUN_WRITERS, RunWriter, write_bottlenecks, write_run_outputs, write_study

__all__ = [
    "BOTTLENECKS_FILE",
    "CHANNELS_FILE",
    "CONFIG_FILE",
    "FUNNEL_FILE",
    "INCREMENTALITY_FILE",
    "METRICS_FILE",
    "OPTIONAL_FILES",
    "OUTPUT_FILES",
    "REPORT_FILE",
    "RUN_FILES",
    "RUN_WRITERS",
    "SAMPLES_FILE",
    "STATUS_FILE",
    "TIMESERIES_FILE",
    "RunStatus",
    "RunWriter",
    "atomic_write",
    "atomic_write_json",
    "atomic_write_text",
    "incrementality_document",
    "metrics_document",
    "samples_frame",
    "write_bottlenecks",
    "write_incrementality",
    "write_parquet",
    "write_run_outputs",
    "write_status",
    "write_study",
]
