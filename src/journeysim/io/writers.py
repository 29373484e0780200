"""The run directory's data files, one registered writer each, written in registration order by `write_study`.

A writer takes the run directory, the `StudyResult` and the resolved config's YAML, and returns the paths it wrote
(none when its part of the study is absent, e.g. no baseline). A new output is one function plus its registration.
The HTML report and status.json are written after these by the caller (the report layer sits above io).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from journeysim.io.atomic import atomic_write, atomic_write_json, atomic_write_text
from journeysim.io.outputs import (
    BOTTLENECKS_FILE,
    CONFIG_FILE,
    CUSTOMERS_FILE,
    EVENTS_FILE,
    FUNNEL_FILE,
    METRICS_FILE,
    SAMPLES_FILE,
    TIMESERIES_FILE,
    metrics_document,
    samples_columns,
    write_incrementality,
    write_parquet,
)
from journeysim.io.touches import write_touches
from journeysim.registry import Registry
from journeysim.study.pipeline import StudyResult
from journeysim.study.run import RunResult

#: (run directory, study, resolved config as YAML) -> the paths written.
RunWriter = Callable[[Path, StudyResult, str], list[Path]]
#: The run directory's data writers by name, in the order their files are written (see `RUN_FILES`).
RUN_WRITERS: Registry[RunWriter] = Registry("run output")


@RUN_WRITERS.register("config")
def _config(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    return [atomic_write_text(out / CONFIG_FILE, config_yaml)]


@RUN_WRITERS.register("funnel")
def _funnel(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    funnel = study.run.funnel
    return [atomic_write(out / FUNNEL_FILE, lambda tmp: funnel.to_csv(tmp, index=False))]


@RUN_WRITERS.register("timeseries")
def _timeseries(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    return [write_parquet(out / TIMESERIES_FILE, study.run.timeseries)]


@RUN_WRITERS.register("samples")
def _samples(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    return [write_parquet(out / SAMPLES_FILE, samples_columns(study.run, study.incrementality))]


@RUN_WRITERS.register("events")
def _events(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    """The ground-truth event log and customer table, when the run kept them (`sim.event_log`)."""
    frames = ((EVENTS_FILE, study.run.events), (CUSTOMERS_FILE, study.run.customers))
    return [write_parquet(out / name, frame) for name, frame in frames if frame is not None]


@RUN_WRITERS.register("metrics")
def _metrics(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    return [atomic_write_json(out / METRICS_FILE, metrics_document(study.run))]


@RUN_WRITERS.register("incrementality")
def _incrementality(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    if study.incrementality is None or study.baseline is None:
        return []
    return write_incrementality(out, study.incrementality, study.baseline.label)


@RUN_WRITERS.register("touches")
def _touches(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    """The touch log, path segments, path table and per-replication channel counterfactuals (`outputs.touches`)."""
    return write_touches(out, study.run, study.incrementality)


@RUN_WRITERS.register("bottlenecks")
def _bottlenecks(out: Path, study: StudyResult, config_yaml: str) -> list[Path]:
    return [] if study.bottlenecks is None else [write_bottlenecks(out, study.bottlenecks)]


def write_study(
    out_dir: str | Path, study: StudyResult, config_yaml: str, names: Sequence[str] | None = None
) -> list[Path]:
    """Write the study's data files (`names`, default every registered writer) into `out_dir`, each atomically, in
    registration order; returns the paths written."""
    out = Path(out_dir)
    wanted = RUN_WRITERS.names() if names is None else tuple(names)
    for name in wanted:
        RUN_WRITERS.get(name, "outputs")  # an unknown name is an error, not a silent skip
    paths: list[Path] = []
    for name in RUN_WRITERS.names():
        if name in wanted:
            paths += RUN_WRITERS.get(name)(out, study, config_yaml)
    return paths


#: The writers of a simulation's own files (no baseline, no bottlenecks): what `write_run_outputs` writes.
RUN_RESULT_WRITERS = ("config", "funnel", "timeseries", "samples", "events", "metrics")


def write_run_outputs(out_dir: str | Path, result: RunResult, config_yaml: str) -> list[Path]:
    """Write config.yaml, funnel.csv, timeseries.parquet, samples.parquet (events.parquet and customers.parquet when
    the run kept its event log) and metrics.json, each atomically."""
    return write_study(out_dir, StudyResult(result), config_yaml, RUN_RESULT_WRITERS)


def write_bottlenecks(out_dir: str | Path, table: pd.DataFrame) -> Path:
    """Write the ranked bottleneck table (`journeysim.study.bottleneck.ranked`) as bottlenecks.csv."""
    return atomic_write(Path(out_dir) / BOTTLENECKS_FILE, lambda tmp: table.to_csv(tmp, index=False))
