"""A whole study of one scenario, as a CLI run does it but without Hydra or files: the replications, the baseline on
the same seeds (and per-channel variants when asked), incrementality, and the bottleneck table with its notes.

The baseline step reuses the run's own per-replication outcomes instead of simulating the strategy again: the
numbers are identical (same seeds, same records), and a spending run simulates a third to a half less.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from journeysim.engine.records import Records
from journeysim.interventions import Strategy
from journeysim.metrics import MetricSummary
from journeysim.model.scenario import Scenario
from journeysim.study.baseline import Baseline, auto_baseline, baseline_simulations
from journeysim.study.bottleneck import ranked
from journeysim.study.incrementality import IncrementalResult, incremental, outcome_row, outcome_table
from journeysim.study.run import RunResult, run
from journeysim.study.saturation import saturation_warnings
from journeysim.study.uncertainty import ReplicationScenarios

log = logging.getLogger(__name__)

#: `progress(phase, done, total)`: phase "simulate" (in replications) or "baseline" (in simulations); called with
#: done = 0 when a phase starts, then after each step.
StudyProgress = Callable[[str, int, int], None]
#: `describe(phase, what)`: what starts running within a phase (the baseline phase's variants: "baseline",
#: "without <channel>", "<channel> +10%" for a budget step of 10%).
StudyStep = Callable[[str, str], None]
#: The baseline argument: a resolved `Baseline`, a `Strategy` to compare with, "auto" (no spend when the strategy
#: spends), or None (no baseline).
BaselineSpec = Baseline | Strategy | str | None


@dataclass
class StudyResult:
    """Everything a CLI run writes, in memory: the run, its incrementality against the baseline (None without one),
    the ranked bottleneck table and its notes (None when off or not applicable), and timings in seconds."""

    run: RunResult
    baseline: Baseline | None = None
    incrementality: IncrementalResult | None = None
    bottlenecks: pd.DataFrame | None = None
    bottleneck_notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # channels spending far past saturation (first replication)

    @property
    def scenario(self) -> Scenario:
        return self.run.scenario

    @property
    def metrics(self) -> dict[str, MetricSummary]:
        """The run's scalar metrics (metrics.json)."""
        return self.run.metrics

    def metrics_table(self) -> pd.DataFrame:
        """Metric name -> mean, std, ci_low, ci_high, replications."""
        return self.run.metrics_table()


def resolve(scenario: Scenario, baseline: BaselineSpec) -> Baseline | None:
    """The `Baseline` a baseline argument stands for (see `BaselineSpec`)."""
    if baseline is None or isinstance(baseline, Baseline):
        return baseline
    if isinstance(baseline, Strategy):
        return Baseline(baseline.name, baseline)
    if baseline == "auto":
        return auto_baseline(scenario)
    raise ValueError(f"baseline {baseline!r}: give a Baseline, a Strategy, 'auto' or None")


def _phase(progress: StudyProgress | None, phase: str, total: int) -> Callable[[int, int], None] | None:
    """Announce a phase and return the runner's `progress(done, total)` callback for it."""
    if progress is None:
        return None
    progress(phase, 0, total)
    return lambda done, of: progress(phase, done, of)


def run_study(
    scenario: Scenario,
    baseline: BaselineSpec = None,
    *,
    bottlenecks: bool = True,
    marginal_step: float = 0.1,
    keep_records: bool = False,
    progress: StudyProgress | None = None,
    describe: StudyStep | None = None,
    simulated: Sequence[Records] | None = None,
    baseline_outcomes: pd.DataFrame | None = None,
    touches: float | None = None,
) -> StudyResult:
    """Simulate `scenario`, compare it with `baseline` on the same seeds, and rank its bottlenecks (`bottlenecks`).

    The bottleneck finder is analytic and does not fit every journey; when it fails, the failure is logged and the
    study has no bottleneck table (a run is still good without it). `simulated` and `baseline_outcomes`: the
    run's records and the baseline's outcomes when a batch has simulated them already (`study.batch`).
    `touches`: keep the touch log of that share of customers (None: no touch log; docs/attribution.md).
    """
    resolved = resolve(scenario, baseline)
    timings: dict[str, float] = {}
    rows: list[dict[str, float]] = []
    warnings: list[str] = []
    observed = 0
    per_replication = ReplicationScenarios(scenario)  # each replication's parameter draw (the scenario without one)

    def observe(rec: Records) -> None:
        nonlocal observed
        if observed == 0:  # the dose hardly varies between replications: the first one tells
            warnings.extend(saturation_warnings(scenario, rec))
        observed += 1
        if resolved is not None:
            rows.append(outcome_row(rec, per_replication(observed - 1)))

    t0 = time.perf_counter()
    result = run(
        scenario,
        keep_records=keep_records,
        progress=_phase(progress, "simulate", scenario.settings.replications),
        observe=observe,
        simulated=simulated,
        touches=touches,
    )
    timings["simulate"] = time.perf_counter() - t0
    study = StudyResult(result, resolved, timings=timings, warnings=warnings)
    for line in warnings:
        log.warning(line)
    if resolved is not None:
        t1 = time.perf_counter()
        study.incrementality = incremental(
            scenario,
            baseline=resolved.strategy,
            channels=resolved.channels,
            marginal_step=marginal_step,
            progress=_phase(progress, "baseline", baseline_simulations(scenario, resolved)),
            scenario_outcomes=outcome_table(rows),
            describe=None if describe is None else (lambda what: describe("baseline", what)),
            baseline_outcomes=baseline_outcomes,
        )
        timings["baseline"] = time.perf_counter() - t1
    if bottlenecks:
        t2 = time.perf_counter()
        try:
            study.bottlenecks, study.bottleneck_notes = ranked(scenario)
        except Exception as exc:  # the analytic model may not apply to every journey; the run is still good
            log.warning("bottleneck finder skipped: %s", exc)
        timings["bottlenecks"] = time.perf_counter() - t2
    return study
