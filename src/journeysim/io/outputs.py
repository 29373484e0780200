"""The run directory contract (README "Outputs"): which files a run writes and what is in them.

`metrics.json` holds a small header and, per scalar metric, mean, std, 95% CI and replications;
`funnel.csv` one row per stage; `timeseries.parquet` one row per day and segment; `config.yaml` the resolved
config; `status.json` is written last and says whether the run finished, with timings and any error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journeysim import __version__
from journeysim.io.atomic import atomic_write, atomic_write_json, atomic_write_text

if TYPE_CHECKING:
    from journeysim.runner import RunResult

METRICS_FILE = "metrics.json"
FUNNEL_FILE = "funnel.csv"
TIMESERIES_FILE = "timeseries.parquet"
CONFIG_FILE = "config.yaml"
STATUS_FILE = "status.json"
#: Every file a successful run leaves in its directory (status.json comes last).
REPORT_FILE = "report.html"
OUTPUT_FILES = (METRICS_FILE, FUNNEL_FILE, TIMESERIES_FILE, CONFIG_FILE, REPORT_FILE, STATUS_FILE)


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


def write_run_outputs(out_dir: str | Path, result: RunResult, config_yaml: str) -> list[Path]:
    """Write metrics.json, funnel.csv, timeseries.parquet and config.yaml (each atomically) into `out_dir`."""
    out = Path(out_dir)
    return [
        atomic_write_text(out / CONFIG_FILE, config_yaml),
        atomic_write(out / FUNNEL_FILE, lambda tmp: result.funnel.to_csv(tmp, index=False)),
        atomic_write(out / TIMESERIES_FILE, lambda tmp: result.timeseries.to_parquet(tmp, index=False)),
        atomic_write_json(out / METRICS_FILE, metrics_document(result)),
    ]


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


def write_status(out_dir: str | Path, status: RunStatus) -> Path:
    """Write status.json atomically; call it last, once everything else is in place."""
    data = asdict(status)
    data["overrides"] = list(status.overrides)
    data["files"] = list(status.files)
    data["timings_s"] = {k: round(float(v), 4) for k, v in status.timings_s.items()}
    return atomic_write_json(Path(out_dir) / STATUS_FILE, data)
