"""The run directory contract (README "Outputs"): which files a run writes and what is in them.

`metrics.json` holds a small header and, per scalar metric, mean, std, 95% CI and replications;
`samples.parquet` one row per replication (the values behind those summaries, for paired comparisons);
`funnel.csv` one row per stage; `timeseries.parquet` one row per day and segment; `config.yaml` the resolved
config; `bottlenecks.csv` the ranked bottleneck table; `incrementality.json` (and `channels.csv`) the run against
its counterfactual baseline when it has one; `status.json` is written last and says whether the run finished,
with timings and any error. The writers of the data files are registered in `journeysim.io.writers`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from journeysim import __version__
from journeysim.io.arrow import write_columns, write_frame
from journeysim.io.atomic import atomic_write, atomic_write_json

if TYPE_CHECKING:
    from journeysim.study.incrementality import IncrementalResult
    from journeysim.study.run import RunResult

METRICS_FILE = "metrics.json"
SAMPLES_FILE = "samples.parquet"
FUNNEL_FILE = "funnel.csv"
TIMESERIES_FILE = "timeseries.parquet"
CONFIG_FILE = "config.yaml"
STATUS_FILE = "status.json"
REPORT_FILE = "report.html"
BOTTLENECKS_FILE = "bottlenecks.csv"
INCREMENTALITY_FILE = "incrementality.json"
CHANNELS_FILE = "channels.csv"
EVENTS_FILE = "events.parquet"
CUSTOMERS_FILE = "customers.parquet"
TOUCHES_FILE = "touches.parquet"
PATH_SEGMENTS_FILE = "path_segments.parquet"
PATHS_FILE = "paths.csv"
CHANNEL_REMOVAL_FILE = "channel_removal.csv"
#: the report's chart images (written with report.html)
CHARTS_DIR = "charts"
#: the touch log, its customer paths and the per-replication channel counterfactuals (`outputs.touches`)
TOUCH_FILES = (TOUCHES_FILE, PATH_SEGMENTS_FILE, PATHS_FILE, CHANNEL_REMOVAL_FILE)
#: Every file a successful run leaves in its directory (status.json comes last).
OUTPUT_FILES = (
    METRICS_FILE,
    SAMPLES_FILE,
    FUNNEL_FILE,
    TIMESERIES_FILE,
    CONFIG_FILE,
    BOTTLENECKS_FILE,
    REPORT_FILE,
    STATUS_FILE,
)
#: Files a run writes only when asked: the ground-truth event log and customer table (`sim.event_log`), the
#: counterfactual baseline (`baseline`, `baseline_channels`).
OPTIONAL_FILES = (EVENTS_FILE, CUSTOMERS_FILE, INCREMENTALITY_FILE, CHANNELS_FILE, *TOUCH_FILES)
#: Every file name a run may write, in the order it writes them.
RUN_FILES = (
    CONFIG_FILE,
    FUNNEL_FILE,
    TIMESERIES_FILE,
    SAMPLES_FILE,
    EVENTS_FILE,
    CUSTOMERS_FILE,
    METRICS_FILE,
    INCREMENTALITY_FILE,
    CHANNELS_FILE,
    BOTTLENECKS_FILE,
    REPORT_FILE,
    STATUS_FILE,
)


def _json_number(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def metrics_document(result: RunResult) -> dict[str, Any]:
    """The content of metrics.json: header (scenario, seed, replications, version) and the metric summaries."""
    s = result.scenario.settings
    return {
        "scenario": result.scenario.name,
        "journey": result.scenario.journey.name,
        "segments": list(result.scenario.population.names),
        "seed": int(s.seed),
        "replications": int(s.replications),
        "horizon_days": int(s.horizon_days),
        "engine": s.engine,
        "journeysim_version": __version__,
        "metrics": {name: {k: _json_number(v) for k, v in m.to_dict().items()} for name, m in result.metrics.items()},
    }


def samples_frame(result: RunResult, incrementality: IncrementalResult | None = None) -> pd.DataFrame:
    """One row per replication: `replication` (the index of its spawned seed), `seed` (the run's root seed), then
    with parameter uncertainty `parameter_draw` and `parameter:<key>` values, then every scalar metric and, with a
    baseline, the paired incremental metrics of that replication (so `compare`
    can rank by incremental profit). Equal `seed` and `replication` mean the same random numbers (CRN)."""
    return pd.DataFrame(samples_columns(result, incrementality), copy=False)


def samples_columns(result: RunResult, incrementality: IncrementalResult | None = None) -> dict[str, Any]:
    """The columns of `samples_frame`, by name (numpy or pandas arrays)."""
    n = len(result.samples)
    columns: dict[str, Any] = {
        "replication": np.arange(n, dtype=np.int64),
        "seed": np.full(n, int(result.scenario.settings.seed), dtype=np.int64),
    }
    if result.parameters is not None:  # sim.parameter_uncertainty: each replication's draw and parameter values
        params = result.parameters.reset_index(drop=True)
        for col in params.columns:
            _new_column(columns, str(col), params[col].to_numpy())
    for name, values in result.samples.items():
        _new_column(columns, str(name), values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array)
    if incrementality is not None:
        inc = incrementality.replications
        for name in incrementality.summary.index:
            columns[str(name)] = inc[name].to_numpy(dtype=float)  # replaces a column of the same name in place
    return columns


def _new_column(columns: dict[str, Any], name: str, values: Any) -> None:
    """Add a column to the samples' columns, refusing a duplicate as `DataFrame.insert` does."""
    if name in columns:
        raise ValueError(f"cannot insert {name}, already exists")
    columns[name] = values


def write_parquet(path: Path, frame: pd.DataFrame | Mapping[str, Any]) -> Path:
    """Write `frame` as Parquet (no index), atomically; a mapping of columns is written as their frame would be."""
    if isinstance(frame, pd.DataFrame):
        return atomic_write(path, lambda tmp: write_frame(tmp, frame))
    return atomic_write(path, lambda tmp: write_columns(tmp, frame))


def _summary_records(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """A summary frame (index metric; mean, std, ci_low, ci_high, replications, pooled) as strict-JSON dicts."""
    out: dict[str, dict[str, Any]] = {}
    for metric, row in frame.to_dict("index").items():
        skip = ("replications", "note")
        entry: dict[str, Any] = {str(k): _json_number(float(v)) for k, v in row.items() if k not in skip}
        entry["replications"] = int(row["replications"])
        if row.get("note"):  # why the ratio or its interval is null
            entry["note"] = str(row["note"])
        out[str(metric)] = entry
    return out


def incrementality_document(result: IncrementalResult, baseline: str) -> dict[str, Any]:
    """The content of incrementality.json: which baseline, then per incremental metric its summary (and per
    channel, when computed, the removal effect and marginal step summaries)."""
    s = result.scenario.settings
    doc: dict[str, Any] = {
        "scenario": result.scenario.name,
        "baseline": baseline,
        "baseline_strategy": result.baseline.strategy.name,
        "seed": int(s.seed),
        "replications": int(s.replications),
        "journeysim_version": __version__,
        "metrics": _summary_records(result.summary),
    }
    if not result.channel_summary.empty:
        doc["marginal_step"] = float(result.marginal_step)
        doc["channels"] = {
            str(name): _summary_records(part.set_index("metric").drop(columns="channel"))
            for name, part in result.channel_summary.groupby("channel", sort=False)
        }
    return doc


def write_incrementality(out_dir: str | Path, result: IncrementalResult, baseline: str) -> list[Path]:
    """Write incrementality.json, and channels.csv (tidy: channel, metric, summary) when channels were computed."""
    out = Path(out_dir)
    paths = [atomic_write_json(out / INCREMENTALITY_FILE, incrementality_document(result, baseline))]
    if not result.channel_summary.empty:
        table = result.channel_summary
        paths.append(atomic_write(out / CHANNELS_FILE, lambda tmp: table.to_csv(tmp, index=False)))
    return paths


@dataclass
class RunStatus:
    """The content of status.json: outcome, the overrides that made the run, timings in seconds, any error."""

    status: str  # "ok", "failed" or "interrupted"
    scenario: str
    overrides: Sequence[str] = ()
    started_at: str = ""
    finished_at: str = ""
    timings_s: Mapping[str, float] = field(default_factory=dict)
    files: Sequence[str] = ()
    error: str | None = None
    journeysim_version: str = __version__
    traceback: str | None = None  # on failure: where it happened, for whoever debugs it


def write_status(out_dir: str | Path, status: RunStatus) -> Path:
    """Write status.json atomically; call it last, once everything else is in place."""
    data = asdict(status)
    data["overrides"] = list(status.overrides)
    data["files"] = list(status.files)
    data["timings_s"] = {k: round(float(v), 4) for k, v in status.timings_s.items()}
    return atomic_write_json(Path(out_dir) / STATUS_FILE, data)
