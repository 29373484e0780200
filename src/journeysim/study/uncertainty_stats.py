"""Decisions under parameter uncertainty: how much of a paired difference's spread is "we don't know the rates"
(between parameter draws) and how much "customers are random" (within a draw), the probability that a plan beats
the reference over the parameter uncertainty, and which uncertain parameter is worth measuring (EVPPI).

Input: tidy samples as for `journeysim.study.compare`, with `parameter_draw` and `parameter:<key>` columns
(`samples.parquet` of runs with `sim.parameter_uncertainty`). Estimators and their bias corrections:
docs/comparison.md, "Parameter uncertainty". Pure functions, no simulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from journeysim.metrics.catalogue import find
from journeysim.study.uncertainty import DRAW, PREFIX


def parameter_keys(samples: pd.DataFrame) -> list[str]:
    """The dotted keys whose values the samples record (columns `parameter:<key>`)."""
    return [str(c)[len(PREFIX) :] for c in samples.columns if str(c).startswith(PREFIX)]


def is_parameter_column(name: object) -> bool:
    """True for the draw index and parameter value columns (they are not metrics)."""
    return str(name) == DRAW or str(name).startswith(PREFIX)


def higher_is_better(metric: str) -> bool:
    """The catalogue's direction of a metric (columns journeysim does not define: higher is better)."""
    m = find(metric)
    return m is None or m.higher_is_better


@dataclass(frozen=True)
class Split:
    """A paired difference d (replications grouped by parameter draw) split by a one-way random-effects ANOVA."""

    mean: float  # mean of the draw means: the expected difference over the parameter uncertainty
    var_parameters: float  # sigma_p^2 = max(0, (MSB - MSW) / n0): variance of the true difference across draws
    var_simulation: float  # sigma_s^2 = MSW: variance of one replication's difference within a draw
    se_mean: float  # sd(draw means) / sqrt(D): standard error of `mean`, parameter spread included
    draws: int
    per_draw: float  # n0, the (unbalanced-ANOVA) replications per draw
    draw_means: NDArray[np.float64]
    draw_sizes: NDArray[np.float64]

    @property
    def share_parameters(self) -> float:
        """sigma_p^2 / (sigma_p^2 + sigma_s^2): the part of one replication's spread the unknown rates explain."""
        total = self.var_parameters + self.var_simulation
        return self.var_parameters / total if total > 0 else math.nan

    def shrunk(self) -> NDArray[np.float64]:
        """Draw means pulled towards `mean` so their spread is sigma_p (not sigma_p^2 + sigma_s^2 / n_j): each
        draw's true difference, the simulation noise taken out (variance-matching shrinkage)."""
        noise = self.var_simulation / self.draw_sizes if math.isfinite(self.var_simulation) else 0.0
        total = self.var_parameters + noise
        lam = np.sqrt(np.divide(self.var_parameters, total, out=np.ones_like(total), where=total > 0))
        return self.mean + lam * (self.draw_means - self.mean)


def split(d: NDArray[np.float64], draws: NDArray[np.int64]) -> Split:
    """The ANOVA split of the differences `d` by parameter draw; var_simulation is NaN with one replication per
    draw (then the spread cannot be told apart and var_parameters is NaN too)."""
    frame = pd.DataFrame({"d": d, "g": draws}).dropna()
    groups = frame.groupby("g", sort=True)["d"]
    means = np.asarray(groups.mean().to_numpy(float), dtype=np.float64)
    sizes = np.asarray(groups.size().to_numpy(float), dtype=np.float64)
    n, k = float(sizes.sum()), int(sizes.size)
    mean = float(means.mean()) if k else math.nan
    msw = math.nan
    if n > k:
        msw = float(((frame["d"] - groups.transform("mean")) ** 2).sum()) / (n - k)
    var_p, se, n0 = math.nan, math.nan, math.nan
    if k >= 2:
        grand = float(frame["d"].mean())
        msb = float((sizes * (means - grand) ** 2).sum()) / (k - 1)
        n0 = (n - float((sizes**2).sum()) / n) / (k - 1)
        if math.isfinite(msw):
            var_p = max(0.0, (msb - msw) / n0)
        se = float(means.std(ddof=1)) / math.sqrt(k)
    return Split(mean, var_p, msw, se, k, n0, means, sizes)


def _better(values: NDArray[np.float64], higher: bool) -> float:
    """The share of `values` (differences scenario - reference) in which the scenario is better, ties halved."""
    v = values if higher else -values
    return float(((v > 0) + 0.5 * (v == 0)).mean()) if v.size else math.nan


def _predictive(mean: float, spread: float, df: int, higher: bool) -> float:
    """P(true difference favours the scenario) when it is mean + spread * t_df (the interval's own reference)."""
    if spread == 0:
        return 0.5 if mean == 0 else float((mean > 0) == higher)
    return float(stats.t.cdf((mean if higher else -mean) / spread, df))


def p_better_noise(s: Split, n: int, higher: bool) -> float:
    """What simulation noise alone says: P(expected difference favours the scenario) from a t reference with the
    within-draw variance only, as if the rates were known (df = N - D)."""
    df = n - s.draws
    if df < 1 or not math.isfinite(s.var_simulation):
        return math.nan
    se = math.sqrt(s.var_simulation / n)
    if se == 0:
        return 0.5 if s.mean == 0 else float((s.mean > 0) == higher)
    t = s.mean / se if higher else -s.mean / se
    return float(stats.t.cdf(t, df))


def evppi(d: NDArray[np.float64], x: NDArray[np.float64], draws: NDArray[np.int64], higher: bool) -> float:
    """Expected value of partial perfect information of one parameter for choosing between a scenario and the
    reference (Strong & Oakley 2014): E_x[max(g(x), 0)] - max(E[g], 0), g(x) = E[d | x] fitted by a cubic
    polynomial (fewer degrees with fewer distinct values) over the replications, averaged over draws."""
    v = d if higher else -d
    frame = pd.DataFrame({"v": v, "x": x, "g": draws}).dropna()
    per_draw = frame.groupby("g", sort=True)["x"].first().to_numpy(float)
    distinct = np.unique(per_draw).size
    if distinct < 2:
        return 0.0
    fit = np.polynomial.Polynomial.fit(frame["x"].to_numpy(float), frame["v"].to_numpy(float), min(3, distinct - 1))
    g = fit(per_draw)
    return max(0.0, float(np.maximum(g, 0.0).mean()) - max(float(g.mean()), 0.0))


def _pair(samples: pd.DataFrame, scenario: str, reference: str, metric: str) -> pd.DataFrame | None:
    """Replications of both (joined on replication) with d = scenario - reference, the draw and the parameters;
    None when the two do not share each replication's parameter draw."""
    cols = ["replication", DRAW, metric, *[PREFIX + k for k in parameter_keys(samples)]]
    a = samples.loc[samples["scenario"].astype(str) == scenario, cols].set_index("replication")
    b = samples.loc[samples["scenario"].astype(str) == reference, ["replication", DRAW, metric]]
    b = b.set_index("replication").rename(columns={DRAW: f"{DRAW}_ref", metric: f"{metric}_ref"})
    both = a.join(b, how="inner")
    if both.empty or (both[DRAW] != both[f"{DRAW}_ref"]).any() or both[DRAW].isna().any():
        return None
    both["d"] = both[metric].astype(float) - both[f"{metric}_ref"].astype(float)
    return both.dropna(subset=["d"])


def _varies(*columns: NDArray[np.float64]) -> bool:
    return all(np.unique(c[np.isfinite(c)]).size > 1 for c in columns)


def value_of_information(samples: pd.DataFrame, scenario: str, reference: str, metric: str) -> pd.DataFrame:
    """Per uncertain parameter: EVPPI (in the metric's unit), Spearman's rank correlation of the parameter with the
    draw means of the difference, and the EVPPI as a share of the EVPI; sorted, most valuable first."""
    both = _pair(samples, scenario, reference, metric)
    cols = ["parameter", "evppi", "evppi_share", "spearman"]
    if both is None or both.empty:
        return pd.DataFrame(columns=cols)
    higher = higher_is_better(metric)
    d, g = both["d"].to_numpy(float), both[DRAW].to_numpy(np.int64)
    s = split(d, g)
    shrunk = s.shrunk()
    v = shrunk if higher else -shrunk
    evpi = max(0.0, float(np.maximum(v, 0.0).mean()) - max(float(v.mean()), 0.0))
    rows = []
    for key in parameter_keys(samples):
        x = both[PREFIX + key].to_numpy(float)
        per_draw = both.groupby(DRAW, sort=True)[PREFIX + key].first().to_numpy(float)
        rho = float(stats.spearmanr(per_draw, s.draw_means).statistic) if _varies(per_draw, s.draw_means) else 0.0
        value = evppi(d, x, g, higher)
        rows.append(
            {"parameter": key, "evppi": value, "evppi_share": value / evpi if evpi > 0 else math.nan, "spearman": rho}
        )
    out = pd.DataFrame(rows, columns=cols)
    out["order"] = out["spearman"].abs().fillna(0.0)
    out = out.sort_values(["evppi", "order"], ascending=False, kind="stable").drop(columns="order")
    return out.reset_index(drop=True)


def decision_row(samples: pd.DataFrame, scenario: str, reference: str, metric: str, level: float = 0.95) -> dict:
    """One row of the decision table (see `decision_table`)."""
    both = _pair(samples, scenario, reference, metric)
    row: dict[str, object] = {"scenario": scenario, "reference": reference, "metric": metric}
    if both is None or both.empty:
        return row
    higher = higher_is_better(metric)
    d, g = both["d"].to_numpy(float), both[DRAW].to_numpy(np.int64)
    s = split(d, g)
    shrunk = s.shrunk()
    v = shrunk if higher else -shrunk
    half, p_t = math.nan, math.nan
    if s.draws >= 2 and math.isfinite(s.var_parameters):
        spread = math.sqrt(s.var_parameters + s.se_mean**2)  # the true difference's spread over the parameters
        half = float(stats.t.ppf(0.5 + level / 2, s.draws - 1)) * spread
        p_t = _predictive(s.mean, spread, s.draws - 1, higher)
    voi = value_of_information(samples, scenario, reference, metric)
    top = voi.iloc[0] if len(voi) else None
    row.update(
        {
            "difference": s.mean,
            "uncertainty_low": s.mean - half,
            "uncertainty_high": s.mean + half,
            "p_better": p_t,
            "p_better_draws": _better(shrunk, higher) if math.isfinite(s.var_parameters) else math.nan,
            "p_better_noise": p_better_noise(s, len(d), higher),
            "var_parameters": s.var_parameters,
            "var_simulation": s.var_simulation,
            "share_parameters": s.share_parameters,
            "draws": s.draws,
            "per_draw": s.per_draw,
            "evpi": max(0.0, float(np.maximum(v, 0.0).mean()) - max(float(v.mean()), 0.0)),
            "most_valuable_parameter": None if top is None else str(top["parameter"]),
            "evppi": math.nan if top is None else float(top["evppi"]),
        }
    )
    return row


DECISION_COLUMNS = (
    "scenario",
    "reference",
    "metric",
    "difference",
    "uncertainty_low",
    "uncertainty_high",
    "p_better",
    "p_better_draws",
    "p_better_noise",
    "var_parameters",
    "var_simulation",
    "share_parameters",
    "draws",
    "per_draw",
    "evpi",
    "most_valuable_parameter",
    "evppi",
)


def decision_table(
    samples: pd.DataFrame, reference: str, metrics: Sequence[str], scenarios: Sequence[str]
) -> pd.DataFrame:
    """Per scenario (other than `reference`) and metric: the expected difference, its 95% uncertainty interval
    over the parameters, P(better) with parameter uncertainty and from simulation noise alone, the variance split,
    EVPI and the parameter with the largest EVPPI. Empty when the samples have no parameter draws."""
    if DRAW not in samples.columns:
        return pd.DataFrame(columns=list(DECISION_COLUMNS))
    rows = [decision_row(samples, sc, reference, m) for sc in scenarios if sc != reference for m in metrics]
    return pd.DataFrame(rows, columns=list(DECISION_COLUMNS))


def voi_table(samples: pd.DataFrame, reference: str, metrics: Sequence[str], scenarios: Sequence[str]) -> pd.DataFrame:
    """`value_of_information` for every scenario (other than `reference`) and metric, tidy."""
    frames = []
    for sc in scenarios:
        if sc == reference:
            continue
        for m in metrics:
            voi = value_of_information(samples, sc, reference, m)
            if len(voi):
                frames.append(voi.assign(scenario=sc, reference=reference, metric=m))
    cols = ["scenario", "reference", "metric", "parameter", "evppi", "evppi_share", "spearman"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def p_best_parameters(samples: pd.DataFrame, metric: str, scenarios: Sequence[str]) -> NDArray[np.float64]:
    """Per scenario: the share of parameter draws in which its true mean is the best, the simulation noise taken
    out of each draw by shrinking its difference from the scenario with the best mean (`Split.shrunk`); NaN when
    the scenarios do not share their draws."""
    higher = higher_is_better(metric)
    k = len(scenarios)
    if DRAW not in samples.columns or k == 0:
        return np.full(k, math.nan)
    means = [float(samples.loc[samples["scenario"].astype(str) == sc, metric].mean()) for sc in scenarios]
    lead = int(np.nanargmax(means) if higher else np.nanargmin(means))
    columns: list[NDArray[np.float64]] = []
    for sc in scenarios:
        if sc == scenarios[lead]:
            columns.append(np.array([]))
            continue
        both = _pair(samples, sc, scenarios[lead], metric)
        if both is None or both.empty:
            return np.full(k, math.nan)
        s = split(both["d"].to_numpy(float), both[DRAW].to_numpy(np.int64))
        if not math.isfinite(s.var_parameters):
            return np.full(k, math.nan)
        columns.append(s.shrunk())
    size = max((c.size for c in columns), default=0)
    if size == 0 or any(c.size not in (0, size) for c in columns):
        return np.full(k, math.nan)
    values = np.column_stack([c if c.size else np.zeros(size) for c in columns])
    v = values if higher else -values
    win = (v == v.max(axis=1, keepdims=True)).astype(float)
    return np.asarray((win / win.sum(axis=1, keepdims=True)).mean(axis=0), dtype=np.float64)


def paired_by_draw(x: pd.Series, y: pd.Series, draws: pd.Series, level: float) -> dict[str, float | int | str]:
    """The paired comparison when replications come in parameter draws: the difference is the mean of the draw
    means of d = x - y, its CI and p-value a t over the D draw means (replications within a draw share their
    parameters, so they are not independent evidence about the expected difference)."""
    both = pd.concat({"x": x, "y": y, "g": draws}, axis=1, join="inner").dropna()
    d = both["x"] - both["y"]
    means = d.groupby(both["g"]).mean().to_numpy(float)
    k = int(means.size)
    diff = float(means.mean()) if k else math.nan
    half, p = math.nan, math.nan
    if k >= 2:
        sd = float(means.std(ddof=1))
        half = float(stats.t.ppf(0.5 + level / 2, k - 1)) * sd / math.sqrt(k)
        if sd > 0:
            p = float(2 * stats.t.sf(abs(diff) / (sd / math.sqrt(k)), k - 1))
    n = len(both)
    x_mean = float(both["x"].mean()) if n else math.nan
    y_mean = float(both["y"].mean()) if n else math.nan
    return difference_row(x_mean, y_mean, diff, half, p, (n, n), "paired t over parameter draws")


def difference_row(
    mean: float, reference_mean: float, diff: float, half: float, p: float, sizes: tuple[int, int], test: str
) -> dict[str, float | int | str]:
    """One row of `paired_differences`: the two means, the difference with its CI (diff -/+ `half`), the p-value,
    the two sample sizes and the test's name (the same columns whichever test made it)."""
    return {
        "mean": mean,
        "reference_mean": reference_mean,
        "difference": diff,
        "ci_low": diff - half,
        "ci_high": diff + half,
        "p_value": p,
        "n": sizes[0],
        "reference_n": sizes[1],
        "test": test,
    }
