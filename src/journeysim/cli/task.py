"""One Hydra job: validate, run the study (`journeysim.study.pipeline.run_study`) with progress bars, write the
outputs (io's registered writers, then the report), print the summary, status.json last.

A job that fails at runtime records `status: failed` and its error in status.json. A single run then exits
non-zero (the exception propagates to Hydra); a sweep job returns instead, so the sweep goes on and the
aggregation at its end (`journeysim.cli.callbacks.CollectSweep`) lists it. An interrupt (Ctrl-C) stops both.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import traceback
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from journeysim.cli.progress import PhaseUpdate, SweepClock, replication_progress
from journeysim.cli.report import exit_bad_input, invalid_config_text
from journeysim.cli.state import STATE
from journeysim.cli.summary import print_summary
from journeysim.config.objective import objective_value
from journeysim.config.study import job_baseline
from journeysim.config.touches import touch_share
from journeysim.config.validate import InvalidConfig, validated
from journeysim.io.outputs import (
    BOTTLENECKS_FILE,
    CHARTS_DIR,
    OPTIONAL_FILES,
    REPORT_FILE,
    RUN_FILES,
    STATUS_FILE,
    RunStatus,
    write_status,
)
from journeysim.io.resume import Found, ResultExists, found, result_means
from journeysim.io.writers import write_study
from journeysim.metrics.catalogue import fmt, headline, label
from journeysim.metrics.summary import MetricSummary
from journeysim.model.scenario import Scenario
from journeysim.study.baseline import Baseline
from journeysim.study.pipeline import StudyResult, run_study

if TYPE_CHECKING:  # the report layer (and matplotlib, ~0.4 s to import) loads only when a report is rendered
    from journeysim.report import Section

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


#: Test-only hook: comma-separated job numbers (a single run is job 0) that fail on purpose after validation, to
#: exercise failure handling in sweeps end to end. Not a user setting; see tests/cli/test_cli_sweep.py.
FAIL_JOB_ENV = "JOURNEYSIM_FAIL_JOB"


def _inject_failure(job: int | None) -> None:
    wanted = os.environ.get(FAIL_JOB_ENV, "")
    if wanted and str(0 if job is None else job) in {w.strip() for w in wanted.split(",")}:
        raise RuntimeError(f"injected failure ({FAIL_JOB_ENV}={wanted}, test-only)")


def _loader() -> ConfigLoader | None:
    gh = GlobalHydra.instance()
    return gh.config_loader() if gh.is_initialized() else None


#: The metric means a job returns to Hydra when no `objective` is set.
HEADLINE = headline("task")


def job_return(
    means: Mapping[str, float], increments: Mapping[str, float] | None, objective: str | None
) -> float | dict[str, float]:
    """What the job returns to Hydra: the `objective` metric's mean (for optimising sweepers), else the headline
    metric means as a mapping."""
    if objective is not None:
        return objective_value(objective, means, increments)
    return {n: float(means[n]) for n in HEADLINE if n in means}


def _means(metrics: Mapping[str, MetricSummary]) -> dict[str, float]:
    return {k: float(v.mean) for k, v in metrics.items()}


def run_job(cfg: DictConfig) -> float | dict[str, float]:
    """The task function: everything one run (or one sweep job) does inside its Hydra run directory."""
    hc = cast(DictConfig, HydraConfig.get())
    out_dir = Path(hc.runtime.output_dir)
    overrides = [str(o) for o in hc.overrides.task]
    sweep = hc.mode == RunMode.MULTIRUN
    job = OmegaConf.select(hc, "job.num", default=None) if sweep else None
    started_at, t0 = _now(), time.perf_counter()
    prepared = STATE.prepared.pop(job, None) if sweep and job is not None else None  # by the batch launcher
    try:  # normally already done by the ValidateBeforeRun callback; kept for primary configs without it
        if prepared is None:
            scenario, resolved = validated(cfg, overrides=overrides)
            baseline = job_baseline(scenario, resolved, hc, _loader())
        else:
            scenario, resolved, baseline = prepared.scenario, prepared.resolved, prepared.baseline
    except InvalidConfig as exc:
        _remove_run_dir(out_dir)
        exit_bad_input([invalid_config_text(exc.problems)])
    STATE.started = True
    for note in (*scenario.strategy.notes, *(baseline.strategy.notes if baseline else ())):
        log.warning(note)
    config_yaml = OmegaConf.to_yaml(OmegaConf.create(resolved)) if prepared is None else prepared.config_yaml()
    objective = resolved.get("objective")
    here = found(out_dir, overrides, config_yaml)
    if here is Found.OTHER:  # normally refused before the run started (ValidateBeforeRun); nothing is written here
        raise ResultExists(out_dir)
    if here is Found.SAME and sweep:  # resuming a sweep: this job completed before
        log.info("job %s: kept the completed result in %s (same overrides and config); not rerun", job, out_dir)
        return job_return(*result_means(out_dir), objective)
    _clear_stale(out_dir)
    timings: dict[str, float] = {"validate": time.perf_counter() - t0}
    quiet = logging.DEBUG if sweep else logging.INFO  # a sweep job says it all in its one console line
    log.log(
        quiet,
        "scenario %s: %d replications x %d days%s -> %s",
        scenario.name,
        scenario.settings.replications,
        scenario.settings.horizon_days,
        f", baseline '{baseline.label}'" if baseline else "",
        out_dir,
    )
    try:
        _inject_failure(job)
        where = f"job {job + 1} of {STATE.sweep_jobs}: " if sweep and job is not None and STATE.sweep_jobs else ""
        study = None if prepared is None else prepared.study
        if study is None:
            study = _study(scenario, baseline, resolved.get("outputs") or {}, where, _sweep_clock(sweep, job))
        timings.update(study.timings)
        _write(out_dir, study, config_yaml, _report_asked(resolved.get("outputs") or {}, overrides), timings)
        timings["total"] = time.perf_counter() - t0
        _print(study, out_dir, _tables(resolved.get("outputs") or {}, sweep), where, timings["total"])
        files = [*_files(out_dir), STATUS_FILE]
        write_status(out_dir, RunStatus("ok", scenario.name, overrides, started_at, _now(), timings, files))
    except (Exception, KeyboardInterrupt) as exc:
        timings["total"] = time.perf_counter() - t0
        if _failed(exc, RunStatus("", scenario.name, overrides, started_at, "", timings), out_dir, sweep, job):
            return {}
        raise
    log.log(
        quiet,
        "done in %.2f s (%s)",
        timings["total"],
        ", ".join(f"{k} {v:.2f} s" for k, v in timings.items() if k != "total"),
    )
    inc = study.incrementality
    return job_return(_means(study.metrics), None if inc is None else _means(inc.metrics), objective)


def _study(
    scenario: Scenario, baseline: Baseline | None, outputs: Mapping[str, Any], where: str, clock: SweepClock | None
) -> StudyResult:
    """Run the study with a progress bar per phase (the replications, then the counterfactuals, each variant named),
    with time left, and in a sweep the sweep's jobs done and time left."""
    labels = {"simulate": f"{where}simulating {scenario.name}"}
    if baseline is not None:
        labels["baseline"] = f"{where}counterfactuals" if baseline.channels else f"{where}baseline '{baseline.label}'"
    with ExitStack() as stack:
        bars: dict[str, PhaseUpdate] = {}
        running: dict[str, str] = {}
        state: dict[str, tuple[int, int]] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in bars:
                stack.close()  # the previous phase's bar
                bars[phase] = stack.enter_context(replication_progress(total, labels.get(phase, phase), sweep=clock))
            state[phase] = (done, total)
            bars[phase](done, total, running.get(phase))

        def describe(phase: str, what: str) -> None:
            """Name the variant that starts now (shown at once, not after it finished)."""
            running[phase] = baseline.label if what == "baseline" and baseline is not None else what
            if phase in bars and baseline is not None and baseline.channels:
                bars[phase](*state[phase], running[phase])

        return run_study(
            scenario,
            baseline,
            bottlenecks=bool(outputs.get("bottlenecks", True)),
            progress=progress,
            describe=describe,
            touches=touch_share(outputs),
        )


def _sweep_clock(sweep: bool, job: int | None) -> SweepClock | None:
    """The sweep's clock in this process (started by its first job; jobs run in order, so job k finds k done);
    None outside a sweep or when the sweep's size is unknown (a sweeper that decides jobs as it goes)."""
    if not sweep or job is None or not STATE.sweep_jobs:
        return None
    clock = STATE.sweep_clock
    if clock is None or job == 0 or clock.jobs != STATE.sweep_jobs:
        clock = STATE.sweep_clock = SweepClock(STATE.sweep_jobs)
    clock.finished = job
    return clock


def _write(
    out_dir: Path, study: StudyResult, config_yaml: str, outputs: Mapping[str, Any], timings: dict[str, float]
) -> None:
    """The data files (io's registered writers), then the HTML report with the incrementality and bottleneck
    sections when `outputs.report` (default true)."""
    t0 = time.perf_counter()
    write_study(out_dir, study, config_yaml)
    timings["write"] = time.perf_counter() - t0
    if outputs.get("report", True):
        from journeysim.report import run_report

        t1 = time.perf_counter()
        run_report(study.run, out_dir, title=study.scenario.name, sections=_sections(study))
        timings["report"] = time.perf_counter() - t1


def _report_asked(outputs: Mapping[str, Any], overrides: list[str]) -> Mapping[str, Any]:
    """The outputs settings a job renders with: in a batch launcher's sweep, report.html only where asked
    (`outputs.report=true` on the command line, or the launcher's `reports: true`); elsewhere as configured."""
    if STATE.batch_reports is None or STATE.batch_reports or "outputs.report=true" in overrides:
        return outputs
    return {**outputs, "report": False}


def _sections(study: StudyResult) -> list[Section]:
    """The report's extra sections: incrementality (with a baseline), bottlenecks (when the table was computed)."""
    from journeysim.cli.baseline import incrementality_section
    from journeysim.cli.bottlenecks import bottleneck_section

    sections: list[Section] = []
    if study.incrementality is not None and study.baseline is not None:
        sections.append(incrementality_section(study.incrementality, study.baseline.label))
    if study.bottlenecks is not None:
        sections.append(bottleneck_section(study.scenario, study.bottlenecks, study.bottleneck_notes))
    return sections


def _tables(outputs: Mapping[str, Any], sweep: bool) -> bool:
    """`outputs.tables`: the full console tables (default: in a single run, not per sweep job)."""
    tables = outputs.get("tables")
    return not sweep if tables is None else bool(tables)


#: What a sweep job's one console line shows: the run's metrics, then its increments over the baseline.
JOB_LINE = ("new_buyers", "purchases", "revenue", "profit")
JOB_LINE_INCREMENTAL = ("incremental_profit", "iroas")


def job_line(study: StudyResult, out_dir: Path, where: str, seconds: float) -> str:
    """One line for a sweep job: its headline numbers (means), the increments over its baseline, time, directory."""
    parts = [f"{label(n)} {fmt(n, study.metrics[n].mean)}" for n in JOB_LINE if n in study.metrics]
    inc = study.incrementality
    if inc is not None and study.baseline is not None:
        more = [
            f"{label(n).split(' (')[0]} {fmt(n, inc.metrics[n].mean)}" for n in JOB_LINE_INCREMENTAL if n in inc.metrics
        ]
        parts.append(f"vs '{study.baseline.label}': {', '.join(more)}")
    return f"{where or 'run: '}{', '.join(parts)} ({seconds:.1f} s) -> {out_dir}"


def _print(study: StudyResult, out_dir: Path, tables: bool = True, where: str = "", seconds: float = 0.0) -> None:
    """The console summary: funnel and metrics, the incrementality tables, where the outputs are; without
    `tables`, one line (`job_line`)."""
    console = _console()
    if not tables:
        console.print(job_line(study, out_dir, where, seconds), markup=False, highlight=False, soft_wrap=True)
        return
    print_summary(console, study.run)
    if study.incrementality is not None and study.baseline is not None:
        from journeysim.cli.baseline import channels_table, incrementality_table

        console.print(incrementality_table(study.incrementality, study.baseline.label))
        per_channel = channels_table(study.incrementality)
        if per_channel is not None:
            console.print(per_channel)
    console.print(f"Outputs: {out_dir}", markup=False, highlight=False)


def _failed(exc: BaseException, status: RunStatus, out_dir: Path, sweep: bool, job: int | None) -> bool:
    """Record a failed or interrupted run in status.json; True when a sweep should go on without this job."""
    status.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
    status.finished_at = _now()
    status.files = _files(out_dir)
    status.error = "".join(traceback.format_exception_only(type(exc), exc)).strip() or type(exc).__name__
    status.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    write_status(out_dir, status)
    log.error("run %s: %s (details in %s)", status.status, status.error, out_dir / STATUS_FILE)
    if sweep and status.status == "failed":
        # Keep the sweep going: Hydra's basic sweeper re-raises a job's exception after the batch and skips
        # on_multirun_end. The error is in status.json; the sweep table lists it and the sweep exits 1.
        sys.stderr.write(f"journeysim: sweep job {job} failed: {status.error} ({out_dir})\n")
        return True
    return False


def _clear_stale(out_dir: Path) -> None:
    """In a reused run directory, remove what this run may not rewrite (status first: the run is not done)."""
    for name in (STATUS_FILE, *OPTIONAL_FILES, BOTTLENECKS_FILE, REPORT_FILE):
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / CHARTS_DIR, ignore_errors=True)


def _files(out_dir: Path) -> list[str]:
    """The run's output files present in `out_dir` (status.json aside), in the order they are written."""
    return [name for name in RUN_FILES if name != STATUS_FILE and (out_dir / name).is_file()]
