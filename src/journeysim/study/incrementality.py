"""Counterfactual incrementality: a scenario against its baseline on the same random numbers (ground truth).

Every replication of the scenario is paired with the same replication of its baseline (no spend, or a named
baseline strategy), run on the same seed, so the paired difference is the effect of the strategy with most of
the noise cancelled (common random numbers). Per channel: the removal effect (the scenario minus the scenario
without that channel) and the marginal ROAS of a small budget step. Definitions: docs/comparison.md.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from journeysim.errors import ConfigError
from journeysim.interventions import Strategy
from journeysim.metrics import MetricSummary, summarise
from journeysim.metrics.catalogue import names
from journeysim.model.scenario import Scenario
from journeysim.study.outcomes import (
    LIFETIME_OUTCOMES,
    OUTCOMES,
    check_channel,
    outcome_row,
    outcome_table,
    outcomes,
    with_budget_step,
    with_strategy,
    without_channel,
)
from journeysim.study.run import replication_seeds

__all__ = [
    "LIFETIME_OUTCOMES",
    "OUTCOMES",
    "IncrementalResult",
    "incremental",
    "incremental_table",
    "outcome_row",
    "outcome_table",
    "outcomes",
    "ratio_interval",
    "with_budget_step",
    "with_strategy",
    "without_channel",
]


def _ratio_of(num: NDArray[Any], den: NDArray[Any]) -> NDArray[np.float64]:
    """`_ratio` on arrays (the same numbers)."""
    with np.errstate(all="ignore"):
        return np.asarray(num / np.where(den > 0, den, np.nan), dtype=float)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Element-wise num / den, NaN where the denominator is not positive (the ratio is then undefined)."""
    return (num / den.where(den > 0)).astype(float)


@dataclass(frozen=True)
class RatioInterval:
    """A pooled ratio (ratio of mean numerator to mean denominator), its Fieller interval and why either is n/a."""

    estimate: float
    low: float
    high: float
    note: str


#: what each kind of difference is taken against, for the notes
_AGAINST = {
    "incremental": "its baseline",
    "removal": "the scenario without the channel",
    "marginal": "the scenario before the budget step",
}


def _words(column: str) -> str:
    return column.replace("_", " ")


def _no_denominator(den_name: str, mean: float) -> str:
    """Why a ratio per unit of `den_name` is n/a when its mean is not positive, in the planner's words."""
    kind, _, base = den_name.partition("_")
    what = _words(base) or _words(kind)
    against = _AGAINST.get(kind, "its reference")
    verb = "is below" if mean < 0 else "equals"
    return (
        f"no {_words(den_name)}: the scenario's {what} {verb} that of {against} (mean {_words(den_name)} "
        f"{mean:,.4g}), so the ratio per unit of it is undefined"
    )


def ratio_interval(
    num: pd.Series | NDArray[np.float64],
    den: pd.Series | NDArray[np.float64],
    num_name: str = "numerator",
    den_name: str = "denominator",
    level: float = 0.95,
) -> RatioInterval:
    """The pooled ratio mean(num) / mean(den) over the replications where both are known, with Fieller's interval.

    Fieller: the ratios R with (a - R b)^2 <= t^2 (s_aa - 2 R s_ab + R^2 s_bb), a and b the means, s the
    (co)variances of the means, t = t_{(1+level)/2, n-1}. When the denominator's own interval excludes zero
    (b^2 > t^2 s_bb) this is the bounded interval between the two roots, which never contains a sign the data
    rule out (a positive cost keeps a positive interval); otherwise the interval is unbounded and left NaN with
    a note. With one replication the interval collapses to the estimate. Every NaN carries its reason in `note`.
    """
    x, y = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n == 0:
        return RatioInterval(math.nan, math.nan, math.nan, "no replication with both values")
    a, b = float(x.mean()), float(y.mean())
    if b <= 0:
        return RatioInterval(math.nan, math.nan, math.nan, _no_denominator(den_name, b))
    r = a / b
    if n == 1:
        return RatioInterval(r, r, r, "one replication: no interval (run 2 or more)")
    t2 = float(stats.t.ppf(0.5 + level / 2, n - 1)) ** 2
    cov = np.cov(np.vstack([x, y]), ddof=1) / n
    qa, qb, qc = b * b - t2 * cov[1, 1], a * b - t2 * cov[0, 1], a * a - t2 * cov[0, 0]
    if qa <= 0:
        note = (
            f"interval unbounded: the {_words(den_name)} is not clearly above zero over {n} replications "
            "(Fieller); run more replications"
        )
        return RatioInterval(r, math.nan, math.nan, note)
    root = math.sqrt(max(qb * qb - qa * qc, 0.0))
    return RatioInterval(r, float((qb - root) / qa), float((qb + root) / qa), "")


#: ratio columns -> (numerator, denominator) columns, for the pooled ratio-of-means estimate
_RATIOS = {
    "iroas": ("incremental_revenue", "incremental_spend"),
    "incremental_cac": ("incremental_spend", "incremental_new_buyers"),
    "incremental_roi": ("incremental_profit", "incremental_spend"),
    "removal_iroas": ("removal_revenue", "removal_spend"),
    "marginal_roas": ("marginal_revenue", "marginal_spend"),
    "marginal_roi": ("marginal_profit", "marginal_spend"),
    "incremental_lifetime_roi": ("incremental_lifetime_profit", "incremental_spend"),
}


def _summary_frame(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Per column: mean, std, 95% CI and replications (NaNs skipped), `pooled` for ratio columns and `note`.

    Differences get the t interval; ratios the Fieller interval of the pooled ratio (`ratio_interval`), and a
    note says why a ratio or its interval is n/a ('' when both are known).
    """
    columns = [c for c in columns if c in table]  # lifetime columns only where the outcomes carry them
    values = {c: table[c].to_numpy(dtype=float) for c in columns}
    summ = summarise(values)
    if not summ:
        raise KeyError("replications")  # nothing to summarise (as the frame of no columns has no such column)
    fields = ("mean", "std", "ci_low", "ci_high")
    # numpy columns, then one frame (per-column pandas work costs ~0.1 ms each); not finite is NaN, as in JSON
    cols: dict[str, Any] = {f: np.array([_finite(getattr(s, f)) for s in summ.values()]) for f in fields}
    cols["replications"] = np.array([s.replications for s in summ.values()], dtype=np.int64)
    pooled, notes = np.full(len(summ), math.nan), [""] * len(summ)
    low, high = cols["ci_low"], cols["ci_high"]
    for i, c in enumerate(summ):  # the ratio rows' pooled estimate, interval and note
        if c in _RATIOS:
            num, den = _RATIOS[c]
            interval = ratio_interval(values.get(num, table[num]), values.get(den, table[den]), num, den)
            pooled[i], low[i], high[i], notes[i] = interval.estimate, interval.low, interval.high, interval.note
    cols["pooled"] = pooled
    cols["note"] = notes
    return pd.DataFrame(cols, index=pd.Index(list(summ), name="metric"))


def _finite(x: float) -> float:
    return float(x) if math.isfinite(x) else math.nan


def incremental_table(scenario: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Per replication: both outcomes, their differences and the incremental ratios (paired by replication).

    incremental_X = X(scenario) - X(baseline); iroas = incremental revenue / incremental spend; incremental_cac =
    incremental spend / incremental new buyers; incremental_roi = (incremental margin - incremental spend) /
    incremental spend. A ratio is NaN in a replication where its denominator is not positive.
    """
    idx = scenario.index
    own = {c: scenario[c].to_numpy() for c in scenario.columns}
    base = {c: baseline[c].reindex(idx).to_numpy() for c in baseline.columns}  # paired by replication
    cols: dict[str, NDArray[Any]] = {}  # numpy columns, then one frame: per-column pandas work costs ~0.1 ms each
    for c in OUTCOMES:
        cols[c] = own[c]
        cols[f"baseline_{c}"] = base[c]
    for c in OUTCOMES:
        cols[f"incremental_{c}"] = own[c] - base[c]
    cols["incremental_profit"] = cols["incremental_margin"] - cols["incremental_spend"]
    cols["iroas"] = _ratio_of(cols["incremental_revenue"], cols["incremental_spend"])
    cols["incremental_cac"] = _ratio_of(cols["incremental_spend"], cols["incremental_new_buyers"])
    cols["incremental_roi"] = _ratio_of(cols["incremental_profit"], cols["incremental_spend"])
    if all(c in own and c in base for c in LIFETIME_OUTCOMES):
        cols["incremental_future_margin"] = own["future_margin"] - base["future_margin"]
        cols["incremental_lifetime_margin"] = cols["incremental_margin"] + cols["incremental_future_margin"]
        cols["incremental_lifetime_profit"] = cols["incremental_lifetime_margin"] - cols["incremental_spend"]
        cols["incremental_lifetime_roi"] = _ratio_of(cols["incremental_lifetime_profit"], cols["incremental_spend"])
    return pd.DataFrame(cols, index=idx)


@dataclass
class IncrementalResult:
    """A scenario against its counterfactual baseline on common random numbers, per replication and summarised.

    `replications`: one row per replication (outcomes, baseline outcomes, incremental values and ratios).
    `summary`: per incremental metric mean, std, ci_low, ci_high, replications and, for ratios, `pooled` (ratio of
    the mean numerator to the mean denominator, the recommended point estimate). `channels`: one row per
    (channel, replication) with the removal effect and the marginal step; `channel_summary` summarises it per
    channel and metric (tidy, long).
    """

    scenario: Scenario
    baseline: Scenario
    replications: pd.DataFrame
    summary: pd.DataFrame
    channels: pd.DataFrame
    channel_summary: pd.DataFrame
    marginal_step: float

    @property
    def metrics(self) -> dict[str, MetricSummary]:
        """The summary as `MetricSummary` objects (the shape `metrics.json` uses)."""
        s = self.summary  # column by column (a row at a time costs ~0.1 ms a metric)
        fields = [s[c].tolist() for c in ("mean", "std", "ci_low", "ci_high", "replications")]
        return {
            str(k): MetricSummary(mean, std, low, high, int(n))
            for k, mean, std, low, high, n in zip(s.index, *fields, strict=True)
        }


#: summarised per-replication columns of the scenario-vs-baseline table (catalogue family "incremental")
INCREMENTAL_METRICS = names("incremental")

#: summarised per-replication columns of the per-channel table (catalogue family "channel")
CHANNEL_METRICS = names("channel")


def _checked(table: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Outcomes given by the caller: one row per replication with every outcome column."""
    if len(table) != replications or not set(OUTCOMES) <= set(table.columns):
        raise ValueError(f"scenario_outcomes needs {replications} rows with columns {', '.join(OUTCOMES)}")
    return table


def _channel_rows(
    name: str,
    budget: float,
    step: float,
    full: pd.DataFrame,
    removed: pd.DataFrame,
    stepped: pd.DataFrame | None,
) -> pd.DataFrame:
    out = pd.DataFrame(index=full.index)
    out.insert(0, "channel", name)
    out["budget"] = budget
    for c in OUTCOMES:
        out[f"removal_{c}"] = full[c] - removed[c]
    out["removal_iroas"] = _ratio(out["removal_revenue"], out["removal_spend"])
    out["marginal_budget"] = budget * step
    for c in OUTCOMES:
        out[f"marginal_{c}"] = (stepped[c] - full[c]) if stepped is not None else math.nan
    out["marginal_profit"] = out["marginal_margin"] - out["marginal_spend"]
    out["marginal_roas"] = _ratio(out["marginal_revenue"], out["marginal_spend"])
    out["marginal_roi"] = _ratio(out["marginal_profit"], out["marginal_spend"])
    return out.reset_index()


@functools.lru_cache(maxsize=8)
def _empty_frame(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def _empty(*columns: str) -> pd.DataFrame:
    """`pd.DataFrame(columns=columns)`, copied from one made once (a study without channels asks for two)."""
    return _empty_frame(columns).copy()


def _channel_summary(per_channel: pd.DataFrame) -> pd.DataFrame:
    """The per-channel table summarised per channel and metric (tidy, long); empty with its columns when none."""
    parts = []
    for name, group in per_channel.groupby("channel", sort=False):
        part = _summary_frame(group, CHANNEL_METRICS).reset_index()
        part.insert(0, "channel", name)
        parts.append(part)
    if not parts:
        return _empty("channel", "metric", "mean", "std", "ci_low", "ci_high", "replications", "pooled", "note")
    return pd.concat(parts, ignore_index=True)


def incremental(
    scenario: Scenario,
    baseline: Strategy | None = None,
    channels: bool | Sequence[str] = True,
    marginal_step: float = 0.1,
    *,
    progress: Callable[[int, int], None] | None = None,
    scenario_outcomes: pd.DataFrame | None = None,
    describe: Callable[[str], None] | None = None,
    baseline_outcomes: pd.DataFrame | None = None,
) -> IncrementalResult:
    """Run `scenario` and its counterfactual (default: the same scenario with no spend, `Strategy()`) on the same
    seeds in every replication, and report incremental purchases, new buyers, revenue, margin, iROAS, incremental
    CAC and ROI. With `channels` (True: every channel of the strategy, or a list of names), also the removal
    effect of each channel and its marginal ROAS for a budget step of `marginal_step` x its budget.

    Cost: (2 + 2 x channels) x replications simulations; `progress(done, total)` (in simulations) is called after
    each variant's replications. `scenario_outcomes`: the scenario's own outcomes on its replication seeds
    (`outcome_table` of a `run` observed with `outcome_row`), when already simulated; they are reused, saving
    one simulation per replication, with identical results. `describe(what)` is called before each variant runs
    ("strategy", "baseline", "without <channel>", "<channel> +10%"), for progress displays. `baseline_outcomes`:
    the baseline's outcomes on the same seeds, when already simulated (a batch shares one baseline).
    """
    if not (math.isfinite(marginal_step) and marginal_step > 0):
        raise ConfigError(
            "marginal_step",
            f"{marginal_step!r} is not a number > 0",
            "give the budget step as a fraction of the channel's budget, e.g. 0.1",
        )
    base = with_strategy(scenario, baseline if baseline is not None else Strategy())
    if channels is True:
        names = [p.channel for p in scenario.strategy.plans]
    elif channels is False:
        names = []
    else:
        names = list(channels)
        for n in names:
            check_channel(scenario, n)
    seeds = replication_seeds(scenario)
    budgets = {p.channel: p.budget for p in scenario.strategy.plans}
    total = (
        int(baseline_outcomes is None) + (scenario_outcomes is None) + len(names) + sum(budgets[n] > 0 for n in names)
    ) * len(seeds)
    done = 0

    def run(sc: Scenario, what: str) -> pd.DataFrame:
        nonlocal done
        if describe is not None:
            describe(what)
        table = outcomes(sc, seeds)
        done += len(seeds)
        if progress is not None:
            progress(done, total)
        return table

    full = run(scenario, "strategy") if scenario_outcomes is None else _checked(scenario_outcomes, len(seeds))
    against = run(base, "baseline") if baseline_outcomes is None else _checked(baseline_outcomes, len(seeds))
    table = incremental_table(full, against)
    table = table.reset_index()
    frames = []
    for n in names:
        removed = run(without_channel(scenario, n), f"without {n}")
        stepped = (
            run(with_budget_step(scenario, n, marginal_step), f"{n} +{marginal_step:.0%}") if budgets[n] > 0 else None
        )
        frames.append(_channel_rows(n, budgets[n], marginal_step, full, removed, stepped))
    per_channel = (
        pd.concat(frames, ignore_index=True)
        if frames
        else _empty("replication", "channel", "budget", "marginal_budget", *CHANNEL_METRICS)
    )
    return IncrementalResult(
        scenario=scenario,
        baseline=base,
        replications=table,
        summary=_summary_frame(table, INCREMENTAL_METRICS),
        channels=per_channel,
        channel_summary=_channel_summary(per_channel),
        marginal_step=marginal_step,
    )
