"""Scenario batches at simulation speed: many variants of one base scenario, built and checked first, simulated in
stacked passes of the fast engine on common random numbers, with shared counterfactuals simulated once.

`run_many(base, variants)` gives what `run_study` gives per variant (byte-identical metrics, funnel and time
series: the stacked engine walks every customer of every variant through the path it takes alone) and one tidy
table (the columns of `grid.run_grid`, which is `run_many` without a pool). Where the time goes in a small run is
fixed per-day Python work, so the engine advances up to `stack` variants' populations in one vectorised pass
(`engine.fast.stacked`): a day's rounds, calendar and ledger cost once per stack instead of once per variant. The
no-spend baseline of a budget grid is one scenario for every variant: it is simulated once and every variant's
incrementality is taken against it. `workers` > 1 hands stacks to worker processes (each gets whole stacks).
"""

from __future__ import annotations

import copyreg
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from journeysim.engine.fast.stacked import simulate_stacked, stack_key, stackable
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.errors import ConfigError
from journeysim.model.scenario import Scenario
from journeysim.study import pipeline
from journeysim.study.baseline import Baseline
from journeysim.study.incrementality import outcome_row, outcome_table, with_strategy
from journeysim.study.pipeline import BaselineSpec, StudyResult, resolve
from journeysim.study.run import replication_seeds, simulate
from journeysim.study.uncertainty import ReplicationScenarios
from journeysim.study.variants import Variant, apply, tidy_table

log = logging.getLogger(__name__)


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _proxy, (dict(proxy),)


# scenarios hold read-only mappings; worker processes receive scenarios and send studies back, so they pickle
copyreg.pickle(MappingProxyType, _reduce_proxy)

#: Variants simulated in one stacked pass: past a few dozen the pass is memory-bound and gains little more.
STACK = 32

#: `handle(position, study)`: what a worker keeps of a variant's study (default: the study itself); it runs in the
#: worker, so a CLI can write the job's files there instead of shipping results back.
Handle = Callable[[int, StudyResult], Any]


class VariantProblems(ConfigError):
    """Several variants break validation: every problem (`problems`), the first one as the error's own fields."""

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        first = problems[0]
        super().__init__(first.setting, first.problem, first.fix)
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(ValueError.__str__(p) for p in self.problems)


def build(base: Scenario, variants: Sequence[Variant]) -> list[Scenario]:
    """Every variant's scenario, all built (and so validated) before anything runs; every problem at once, each
    setting prefixed with the variant's position (`variants[3].strategy.plans.0.budget`)."""
    out: list[Scenario] = []
    problems: list[ConfigError] = []
    for i, v in enumerate(variants):
        try:
            out.append(apply(base, v))
        except ConfigError as exc:
            problems.append(ConfigError(f"variants[{i}].{exc.setting}", exc.problem, exc.fix))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise VariantProblems(problems)
    return out


def total_budget(total: float) -> Callable[[Scenario], Scenario]:
    """A transform that sets the strategy's total budget, every channel keeping its share (`budget=<total>` in the
    table's `transform` column); a strategy that spends nothing has no shares to keep and is left as it is."""

    def transform(scenario: Scenario) -> Scenario:
        st = scenario.strategy
        now = st.total_budget
        if now <= 0:
            return scenario
        plans = tuple(dataclasses.replace(p, budget=p.budget * (total / now)) for p in st.plans)
        return dataclasses.replace(scenario, strategy=dataclasses.replace(st, plans=plans))

    transform.__name__ = f"budget={total:g}"
    return transform


def _mode(plan: Plan) -> tuple[bool, bool]:
    """How the engine advances a plan (day by day or in one go, thinning or not): only equal modes stack exactly."""
    return plan.dynamics.needs_state, plan.thinning


def simulate_many(
    scenarios: Sequence[Scenario | ReplicationScenarios],
    seed: np.random.SeedSequence,
    stack: int = STACK,
    replication: int = 0,
) -> list[Records]:
    """Replication `replication` of every scenario on `seed` (common random numbers; with parameter uncertainty,
    each scenario's draw for that replication): stackable ones with the same journey, seed and engine mode in
    stacked passes of up to `stack`, the rest alone. Records in the scenarios' order. Callers that loop over
    replications pass `ReplicationScenarios`, built once, so that each draw's scenario is built once."""
    out: list[Records | None] = [None] * len(scenarios)
    groups: dict[tuple[object, ...], list[tuple[int, Plan]]] = {}
    for i, base in enumerate(scenarios):
        sc = (base if isinstance(base, ReplicationScenarios) else ReplicationScenarios(base))(replication)
        if not stackable(sc):
            out[i] = simulate(sc, seed)
            continue
        plan = Plan.compile(sc, seed)
        groups.setdefault((*stack_key(sc), *_mode(plan)), []).append((i, plan))
    for members in groups.values():
        for start in range(0, len(members), stack):
            part = members[start : start + stack]
            for (i, _), rec in zip(part, simulate_stacked([p for _, p in part]), strict=True):
                out[i] = rec
    return [r for r in out if r is not None]


@dataclass
class _Counterfactuals:
    """The distinct baseline scenarios of a batch, each simulated once: its outcomes per replication."""

    scenarios: list[Scenario] = field(default_factory=list)
    outcomes: list[pd.DataFrame] = field(default_factory=list)

    def index(self, scenario: Scenario) -> int:
        """The position of an equal scenario (added when new)."""
        for i, known in enumerate(self.scenarios):
            if known == scenario:
                return i
        self.scenarios.append(scenario)
        return len(self.scenarios) - 1


def _baselines(
    scenarios: Sequence[Scenario], resolved: Sequence[Baseline | None], stack: int
) -> tuple[list[int | None], list[pd.DataFrame]]:
    """Per variant the index of its shared baseline (None: no baseline, or per-channel variants asked, which
    `incremental` runs itself), and each distinct baseline's outcomes, simulated once, replication by replication."""
    shared = _Counterfactuals()
    which: list[int | None] = []
    for sc, b in zip(scenarios, resolved, strict=True):
        which.append(None if b is None or b.channels else shared.index(with_strategy(sc, b.strategy)))
    outcomes = [pd.DataFrame()] * len(shared.scenarios)
    for members in _by_seeds(shared.scenarios):
        rows: list[list[dict[str, float]]] = [[] for _ in members]
        per = [ReplicationScenarios(shared.scenarios[i]) for i in members]
        for r, seq in enumerate(replication_seeds(shared.scenarios[members[0]])):
            recs = simulate_many(per, seq, stack, r)
            for k, rec in enumerate(recs):
                rows[k].append(outcome_row(rec, per[k](r)))
        for k, i in enumerate(members):
            outcomes[i] = outcome_table(rows[k])
    return which, outcomes


def _by_seeds(scenarios: Sequence[Scenario]) -> list[list[int]]:
    """Positions grouped by (seed, replications): the scenarios that share every replication's random numbers."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, sc in enumerate(scenarios):
        groups.setdefault((sc.settings.seed, sc.settings.replications), []).append(i)
    return list(groups.values())


@dataclass
class _Job:
    """A worker's share: variants (positions, scenarios, baselines, shared baseline outcomes) on the same seeds."""

    positions: list[int]
    scenarios: list[Scenario]
    baselines: list[Baseline | None]
    against: list[pd.DataFrame | None]
    bottlenecks: list[bool]


def _run_job(job: _Job, stack: int, handle: Handle | None) -> tuple[list[tuple[int, Any]], float, float]:
    """Simulate a job's variants (stacked) and study each one; (position, handled study) pairs, the seconds spent
    simulating and in all."""
    t0 = time.perf_counter()
    seeds = replication_seeds(job.scenarios[0])
    per = [ReplicationScenarios(sc) for sc in job.scenarios]
    per_rep = [simulate_many(per, seq, stack, r) for r, seq in enumerate(seeds)]
    simulating = time.perf_counter() - t0
    out = []
    for m, (pos, sc) in enumerate(zip(job.positions, job.scenarios, strict=True)):
        study = pipeline.run_study(
            sc,
            job.baselines[m],
            bottlenecks=job.bottlenecks[m],
            simulated=[recs[m] for recs in per_rep],
            baseline_outcomes=job.against[m],
        )
        study.timings["simulate"] += simulating / len(job.scenarios)  # its share of the stacked pass
        out.append((pos, study if handle is None else handle(pos, study)))
    return out, simulating, time.perf_counter() - t0


def _jobs(
    scenarios: Sequence[Scenario],
    resolved: Sequence[Baseline | None],
    against: list[pd.DataFrame | None],
    stack: int,
    workers: int,
    bottlenecks: Sequence[bool] | None = None,
) -> list[_Job]:
    """Split the variants into jobs of at most `stack` on the same seeds, evenly over `workers`."""
    jobs = []
    for group in _by_seeds(scenarios):
        per_worker = -(-len(group) // max(1, workers))
        size = -(-per_worker // -(-per_worker // stack))  # equal jobs, none above `stack`
        for start in range(0, len(group), size):
            part = group[start : start + size]
            flags = [bool(bottlenecks and bottlenecks[i]) for i in part]
            jobs.append(
                _Job(part, [scenarios[i] for i in part], [resolved[i] for i in part], [against[i] for i in part], flags)
            )
    return jobs


def study_scenarios(
    scenarios: Sequence[Scenario],
    baselines: Sequence[Baseline | None],
    bottlenecks: Sequence[bool],
    stack: int = STACK,
) -> tuple[list[StudyResult], dict[str, float]]:
    """Studies of built scenarios with resolved baselines, in this process (a CLI worker's batch): the shared
    baselines once, the rest in stacked passes; and the seconds spent (`baseline`, `simulate`, `work`)."""
    t0 = time.perf_counter()
    which, shared = _baselines(scenarios, baselines, stack)
    against = [None if w is None else shared[w] for w in which]
    timings = {"baseline": time.perf_counter() - t0, "simulate": 0.0, "work": 0.0}
    out: list[Any] = [None] * len(scenarios)
    for job in _jobs(scenarios, baselines, against, stack, 1, bottlenecks):
        pairs, simulating, work = _run_job(job, stack, None)
        timings["simulate"] += simulating
        timings["work"] += work
        for pos, study in pairs:
            out[pos] = study
    return out, timings


@dataclass
class BatchResult:
    """A batch: the tidy table, each variant's study (or what `handle` kept), and where the time went (seconds:
    `wall`, `baseline` (shared counterfactuals), `simulate` and `work` summed over the workers' jobs)."""

    table: pd.DataFrame
    studies: list[Any]
    timings: dict[str, float] = field(default_factory=dict)


def run_many(
    base: Scenario,
    variants: Sequence[Variant],
    *,
    baseline: BaselineSpec = "auto",
    workers: int = 1,
    stack: int = STACK,
    handle: Handle | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Run every variant of `base` (dotted overrides or transforms, see `study.variants`) as `run_study` would
    (without the bottleneck table), on common random numbers, in stacked passes of up to `stack` variants.

    All variants are built first (a bad one raises `ConfigError` before anything runs; several: `VariantProblems`).
    Variants whose baseline is the same scenario share it, simulated once. `workers` > 1 spreads the jobs over
    processes; `handle(position, study)` runs there and its value is kept instead of the study (`table` is then
    empty unless it returns the study). `progress(done, total)` counts variants.
    """
    t0 = time.perf_counter()
    scenarios = build(base, variants)
    resolved = [resolve(sc, baseline) for sc in scenarios]
    which, shared = _baselines(scenarios, resolved, stack)
    against = [None if w is None else shared[w] for w in which]
    timings = {"baseline": time.perf_counter() - t0, "simulate": 0.0, "work": 0.0}
    jobs = _jobs(scenarios, resolved, against, stack, workers)
    results: list[Any] = [None] * len(scenarios)
    done = 0

    def collect(part: tuple[list[tuple[int, Any]], float, float]) -> None:
        nonlocal done
        pairs, simulating, work = part
        timings["simulate"] += simulating
        timings["work"] += work
        for pos, value in pairs:
            results[pos] = value
        done += len(pairs)
        if progress is not None:
            progress(done, len(scenarios))

    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            collect(_run_job(job, stack, handle))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            for part in pool.map(_run_job, jobs, [stack] * len(jobs), [handle] * len(jobs)):
                collect(part)
    timings["wall"] = time.perf_counter() - t0
    studies = [r for r in results if isinstance(r, StudyResult)]
    table = tidy_table(variants, scenarios, results) if len(studies) == len(results) else pd.DataFrame()
    return BatchResult(table, results, timings)
