"""Replications: run a scenario R times on independent spawned seed streams and summarise every metric."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.analytic.lifetime import lifetime_view
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.engine.registry import ENGINES
from journeysim.engine.streams import LogSample
from journeysim.engine.touches import touch_log_sample
from journeysim.metrics import MetricSummary, funnel_table, scalar_metrics, summarise, timeseries_frame
from journeysim.metrics.timeseries import with_dates
from journeysim.model.scenario import Scenario
from journeysim.study.attribution.log import replication_touches
from journeysim.study.uncertainty import ReplicationScenarios


def simulate(
    scenario: Scenario, seed: np.random.SeedSequence, event_log: bool | None = None, touches: float | None = None
) -> Records:
    """One replication with the engine the settings name (`event_log`: keep the event log whatever they say;
    `touches`: also the moves of that share of customers the touch log samples, `touch_log_sample`)."""
    engine = ENGINES.get(scenario.settings.engine, "sim.engine")
    keep = scenario.settings.event_log if event_log is None else event_log
    log: bool | LogSample = keep
    if touches is not None:
        log = touch_log_sample(seed, touches, record_all=keep)
    return engine(Plan.compile(scenario, seed), event_log=log)


def daily_media(rec: Records) -> dict[str, NDArray[np.float64]]:
    """Per-day media columns for the time series: spend, delivered and bought impressions, people reached and spend
    not delivered (wasted) per channel, total spend and wasted spend, referrals."""
    out: dict[str, NDArray[np.float64]] = {}
    media = rec.media
    for c, name in enumerate(media.channels):
        out[f"spend.{name}"] = media.spend[:, c]
        out[f"impressions.{name}"] = media.impressions[:, c]
        out[f"reached.{name}"] = media.reach[:, c]
        out[f"bought.{name}"] = media.bought[:, c]
        out[f"wasted_spend.{name}"] = media.wasted_spend[:, c]
    out["spend"] = media.spend.sum(axis=1) if media.channels else np.zeros(rec.horizon_days)
    out["wasted_spend"] = media.wasted_spend.sum(axis=1) if media.channels else np.zeros(rec.horizon_days)
    if rec.referrals is not None:
        out["referrals"] = rec.referrals.astype(float)
    return out


def replication_seeds(scenario: Scenario) -> list[np.random.SeedSequence]:
    """One child seed sequence per replication, spawned from the scenario's root seed."""
    return np.random.SeedSequence(scenario.settings.seed).spawn(scenario.settings.replications)


@dataclass
class RunResult:
    """Summaries across replications plus the per-replication samples (and records when kept)."""

    scenario: Scenario
    metrics: dict[str, MetricSummary]
    samples: pd.DataFrame  # one row per replication, one column per scalar metric
    funnel: pd.DataFrame  # per stage, mean over replications
    timeseries: pd.DataFrame  # per day (and segment), mean over replications
    transitions: NDArray[np.float64] | None = None  # (S + 1, S) mean transitions over the horizon; row S = arrivals
    records: list[Records] = field(default_factory=list)
    events: pd.DataFrame | None = None  # with sim.event_log: every transition of every replication (ground truth)
    customers: pd.DataFrame | None = None  # with sim.event_log: one row per customer and replication
    parameters: pd.DataFrame | None = None  # with sim.parameter_uncertainty: each replication's draw and values
    touches: pd.DataFrame | None = None  # with outputs.touches: the touch log of every replication
    paths: pd.DataFrame | None = None  # with outputs.touches: one row per customer path segment and replication

    def metrics_table(self) -> pd.DataFrame:
        """Metric name -> mean, std, ci_low, ci_high, replications."""
        return pd.DataFrame({k: v.to_dict() for k, v in self.metrics.items()}).T


def customer_frame(rec: Records, replication: int) -> pd.DataFrame:
    """The replication's customers (`Records.customers`) as a table with stage and segment names."""
    c = rec.customers
    stages = pd.CategoricalDtype(list(rec.stages))
    segments = pd.CategoricalDtype(list(rec.segments))
    return pd.DataFrame(
        {
            "replication": np.full(len(c), replication, dtype=np.int64),
            "customer": np.arange(len(c), dtype=np.int64),
            "segment": pd.Categorical.from_codes(c.segment.astype(np.int64), dtype=segments),
            "start_stage": pd.Categorical.from_codes(c.start_stage.astype(np.int64), dtype=stages),
            "entry_time": c.entry_time.astype(float),
            "first_purchase": c.first_purchase.astype(float),
            "purchases": c.purchases.astype(np.int64),
            "final_stage": pd.Categorical.from_codes(c.final_stage.astype(np.int64), dtype=stages),
            **{f"effect_{name}": values for name, values in c.effects.items()},  # per-customer random effects
        }
    )


def event_frame(rec: Records, replication: int) -> pd.DataFrame:
    """The replication's event log (one row per transition, arrivals included) with its replication and the
    customer's segment; empty when the log was not kept."""
    events = (
        rec.events if rec.events is not None else pd.DataFrame(columns=["customer", "time", "from_stage", "to_stage"])
    )
    codes = rec.customers.segment[events["customer"].to_numpy(dtype=np.intp)].astype(np.int64)
    segment = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(rec.segments)))
    out = events.reset_index(drop=True)
    out.insert(0, "replication", np.full(len(out), replication, dtype=np.int64))
    out.insert(2, "segment", pd.Series(segment, index=out.index))
    return out


def _mean_frame(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    both = pd.concat(frames, ignore_index=True)
    grouped = both.groupby(keys, sort=False, observed=True)
    out = grouped.mean(numeric_only=True)
    text = [c for c in both.columns if c not in keys and c not in out.columns]
    if text:  # labels such as the funnel position are the same in every replication
        out = out.join(grouped[text].first())
    return out.reset_index()[frames[0].columns]


def sample_table(samples: list[dict[str, float]]) -> tuple[pd.DataFrame, dict[str, NDArray[np.float64]]]:
    """The replications' metrics as `pd.DataFrame(samples)` (index `replication`) and its columns by name: from
    one float matrix when every replication has the same metrics as floats (~50x less than pandas' per-column
    work), else through pandas."""
    names = list(samples[0]) if samples else []
    if names and all(list(s) == names and all(type(v) is float for v in s.values()) for s in samples):
        matrix = np.array([list(s.values()) for s in samples], dtype=np.float64)
        table = pd.DataFrame(matrix, columns=names)
        columns = {name: matrix[:, k] for k, name in enumerate(names)}
    else:
        table = pd.DataFrame(samples)
        columns = {c: table[c].to_numpy() for c in table.columns}
    table.index.name = "replication"
    return table, columns


def run(
    scenario: Scenario,
    *,
    keep_records: bool = False,
    progress: Callable[[int, int], None] | None = None,
    observe: Callable[[Records], None] | None = None,
    simulated: Sequence[Records] | None = None,
    touches: float | None = None,
) -> RunResult:
    """Run every replication; `progress(done, total)` is called after each one, and `observe(records)` with each
    replication's records in order (e.g. to keep the outcomes a baseline comparison needs without keeping them).
    `simulated`: the replications' records when already simulated on the same seeds (a stacked batch pass).
    `touches`: keep the touch log and customer paths of that share of customers (None: no touch log)."""
    seeds = replication_seeds(scenario)
    scenarios = ReplicationScenarios(scenario)  # the scenario itself unless parameters are drawn per replication
    samples: list[dict[str, float]] = []
    funnels: list[pd.DataFrame] = []
    series: list[pd.DataFrame] = []
    kept: list[Records] = []
    events: list[pd.DataFrame] = []
    customers: list[pd.DataFrame] = []
    transitions = None
    logged: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    for i, seq in enumerate(seeds):
        sc = scenarios(i)
        if simulated is None or touches is not None:  # a touch log needs the event log a stacked pass does not keep
            rec = simulate(sc, seq, event_log=scenario.settings.event_log, touches=touches)
        else:
            rec = simulated[i]
        if touches is not None:
            logged.append(replication_touches(sc, rec, seq, touches, i))
        if scenario.settings.event_log:
            events.append(event_frame(rec, i))
            customers.append(customer_frame(rec, i))
        samples.append(scalar_metrics(rec, spend=rec.spend, lifetime=lifetime_view(sc, rec)))
        funnels.append(funnel_table(rec))
        series.append(timeseries_frame(rec, extra=daily_media(rec)))
        counts = rec.transition_counts().astype(float)
        transitions = counts if transitions is None else transitions + counts
        if keep_records:
            kept.append(rec)
        if observe is not None:
            observe(rec)
        if progress is not None:
            progress(i + 1, len(seeds))
    table, columns = sample_table(samples)
    return RunResult(
        scenario=scenario,
        metrics=summarise(columns),
        samples=table,
        funnel=_mean_frame(funnels, ["stage"]),
        timeseries=with_dates(_mean_frame(series, ["day", "segment"]), scenario.settings.start_date),
        transitions=None if transitions is None else transitions / len(seeds),
        records=kept,
        events=pd.concat(events, ignore_index=True) if events else None,
        customers=pd.concat(customers, ignore_index=True) if customers else None,
        parameters=scenarios.table(),
        touches=pd.concat([t for t, _ in logged], ignore_index=True) if logged else None,
        paths=pd.concat([p for _, p in logged], ignore_index=True) if logged else None,
    )
