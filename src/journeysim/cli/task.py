"""One Hydra job: validate, simulate with a progress bar, write the outputs, print the summary, status.json last."""

from __future__ import annotations

import logging
import shutil
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from journeysim.cli.progress import replication_progress
from journeysim.cli.report import exit_bad_input, invalid_config_text
from journeysim.cli.state import STATE
from journeysim.cli.summary import print_summary
from journeysim.config.validate import InvalidConfig, resolved_container, validate
from journeysim.io.outputs import OUTPUT_FILES, RunStatus, write_run_outputs, write_status
from journeysim.report import run_report
from journeysim.runner import RunResult, run

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _console() -> Console:
    # Without a terminal rich assumes 80 columns; the funnel table needs a little more.
    return Console() if sys.stdout.isatty() else Console(width=110)


def _remove_run_dir(out_dir: Path) -> None:
    """Remove a run directory Hydra made for a job that turned out invalid, and its parents if left empty."""
    shutil.rmtree(out_dir, ignore_errors=True)
    cwd = Path.cwd().resolve()
    parent = out_dir.resolve().parent
    while parent != cwd and cwd in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def headline(result: RunResult) -> dict[str, float]:
    """Headline metric means, returned to Hydra as the job's return value."""
    names = ("conversion_rate", "purchases", "revenue", "clv")
    return {n: float(result.metrics[n].mean) for n in names if n in result.metrics}


def run_job(cfg: DictConfig) -> dict[str, float]:
    """The task function: everything one run (or one sweep job) does inside its Hydra run directory."""
    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    overrides = [str(o) for o in hc.overrides.task]
    started_at, t0 = _now(), time.perf_counter()
    try:  # normally already done by the ValidateBeforeRun callback; kept for primary configs without it
        scenario = validate(cfg, overrides=overrides)
    except InvalidConfig as exc:
        _remove_run_dir(out_dir)
        exit_bad_input([invalid_config_text(exc.problems)])
    STATE.started = True
    resolved = resolved_container(cfg)
    timings: dict[str, float] = {"validate": time.perf_counter() - t0}
    log.info(
        "scenario %s: %d replications x %d days -> %s",
        scenario.name,
        scenario.settings.replications,
        scenario.settings.horizon_days,
        out_dir,
    )
    try:
        t1 = time.perf_counter()
        with replication_progress(scenario.settings.replications, f"simulating {scenario.name}") as progress:
            result = run(scenario, progress=progress)
        timings["simulate"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        write_run_outputs(out_dir, result, OmegaConf.to_yaml(OmegaConf.create(resolved)))
        timings["write"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        run_report(result, out_dir, title=scenario.name)
        timings["report"] = time.perf_counter() - t3
        print_summary(_console(), result, str(out_dir))
        timings["total"] = time.perf_counter() - t0
        write_status(
            out_dir,
            RunStatus("ok", scenario.name, overrides, started_at, _now(), timings, list(OUTPUT_FILES)),
        )
    except (Exception, KeyboardInterrupt) as exc:
        timings["total"] = time.perf_counter() - t0
        outcome = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip() or type(exc).__name__
        files = sorted(p.name for p in out_dir.glob("*") if p.name in OUTPUT_FILES)
        write_status(out_dir, RunStatus(outcome, scenario.name, overrides, started_at, _now(), timings, files, error))
        log.error("run %s: %s (details in %s)", outcome, error, out_dir)
        raise
    log.info(
        "done in %.2f s (simulate %.2f s, write %.2f s, report %.2f s)",
        timings["total"],
        timings["simulate"],
        timings["write"],
        timings["report"],
    )
    return headline(result)
