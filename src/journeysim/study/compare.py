"""Comparison statistics on tidy per-replication samples: summaries, paired differences, rankings.

Input everywhere: a DataFrame with a `scenario` column, a `replication` column (the seed index; with common
random numbers, equal indices are paired draws) and one column per metric, e.g. `RunResult.samples` of several
runs with a scenario column added. An optional `seed` column (the root seed) is used to check that rows with the
same replication index really share random numbers. Pure functions, no simulation. Formulas: docs/comparison.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from journeysim.errors import ConfigError, did_you_mean
from journeysim.metrics import MetricSummary, summarise_one
from journeysim.metrics.catalogue import range_of
from journeysim.study.uncertainty import DRAW
from journeysim.study.uncertainty_stats import difference_row, is_parameter_column, p_best_parameters, paired_by_draw

SCENARIO = "scenario"
REPLICATION = "replication"
SEED = "seed"
_KEYS = (SCENARIO, REPLICATION, SEED)


def _check(samples: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    """The metric columns to use (default: every numeric column that is not a key); errors name the fix."""
    for col in (SCENARIO, REPLICATION):
        if col not in samples.columns:
            raise ConfigError(
                "samples",
                f"has no '{col}' column",
                "give one row per (scenario, replication) with columns scenario, replication, metrics",
            )
    if metrics is None:
        return [
            c
            for c in samples.columns
            if c not in _KEYS and not is_parameter_column(c) and pd.api.types.is_numeric_dtype(samples[c])
        ]
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    for m in names:
        if m not in samples.columns or m in _KEYS:
            options = [c for c in samples.columns if c not in _KEYS]
            raise ConfigError(
                "metrics",
                f"unknown metric '{m}'{did_you_mean(str(m), options)}",
                f"use columns of the samples: {', '.join(map(str, options))}",
            )
    return names


def _scenarios(samples: pd.DataFrame) -> list[str]:
    """Scenario names in order of first appearance."""
    return [str(s) for s in pd.unique(samples[SCENARIO].astype(str))]


def scenario_rows(samples: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each scenario's rows (in their order), found in one pass instead of one filter per scenario and metric."""
    key = samples[SCENARIO].astype(str)
    return {str(sc): rows for sc, rows in samples.groupby(key, sort=False)}


def _rows(samples: pd.DataFrame, scenario: str, groups: dict[str, pd.DataFrame] | None) -> pd.DataFrame:
    if groups is not None:
        return groups.get(scenario, samples.iloc[:0])
    return samples[samples[SCENARIO].astype(str) == scenario]


def _by_replication(
    samples: pd.DataFrame, scenario: str, metric: str, groups: dict[str, pd.DataFrame] | None = None
) -> pd.Series:
    """One scenario's metric values indexed by replication (duplicated replications are an input error)."""
    rows = _rows(samples, scenario, groups)
    if rows[REPLICATION].duplicated().any():
        raise ConfigError(
            "samples",
            f"scenario '{scenario}' repeats a replication index",
            "give each (scenario, replication) once, e.g. one sweep job per scenario",
        )
    return pd.Series(rows[metric].to_numpy(dtype=float), index=rows[REPLICATION].to_numpy())


def _series(groups: dict[str, pd.DataFrame], scenario: str, metric: str) -> pd.Series:
    """`_by_replication` without its duplicate check (done once per scenario by the caller)."""
    rows = groups[scenario]
    return pd.Series(rows[metric].to_numpy(dtype=float), index=rows[REPLICATION].to_numpy())


def _seeds(
    samples: pd.DataFrame, scenario: str, column: str = SEED, groups: dict[str, pd.DataFrame] | None = None
) -> pd.Series | None:
    if column not in samples.columns:
        return None
    rows = _rows(samples, scenario, groups)
    return pd.Series(rows[column].to_numpy(), index=rows[REPLICATION].to_numpy())


def pairs(samples: pd.DataFrame, a: str, b: str, groups: dict[str, pd.DataFrame] | None = None) -> bool:
    """True when scenarios `a` and `b` have the same replication indices (and the same seeds and parameter draws,
    if given).

    Only then are their rows common-random-number pairs; otherwise comparisons fall back to independent samples.
    `groups` (optional, from `scenario_rows`) saves filtering the samples again.
    """
    ra = _rows(samples, a, groups)[REPLICATION]
    rb = _rows(samples, b, groups)[REPLICATION]
    if ra.empty or set(ra) != set(rb) or ra.duplicated().any() or rb.duplicated().any():
        return False
    for column in (SEED, DRAW):
        sa, sb = _seeds(samples, a, column, groups), _seeds(samples, b, column, groups)
        if sa is not None and sb is not None and not (sa.sort_index().to_numpy() == sb.sort_index().to_numpy()).all():
            return False
    return True


def summary_table(samples: pd.DataFrame, metrics: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Per scenario and metric: mean, std (ddof 1), t confidence interval and n (NaNs skipped), tidy and long.

    Columns: scenario, metric, mean, std, ci_low, ci_high, n. The interval is mean -/+ t_{(1+level)/2, n-1} std /
    sqrt(n), as in `metrics.summarise`.
    """
    names = _check(samples, metrics)
    rows = []
    groups = scenario_rows(samples)
    for sc in _scenarios(samples):
        part = groups[sc]
        for m in names:
            s = summarise_one(part[m].to_numpy(dtype=float), level, range_of(m))
            rows.append(
                {
                    "scenario": sc,
                    "metric": m,
                    "mean": s.mean,
                    "std": s.std,
                    "ci_low": s.ci_low,
                    "ci_high": s.ci_high,
                    "n": s.replications,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "metric", "mean", "std", "ci_low", "ci_high", "n"])


def _paired(a: pd.Series, b: pd.Series, level: float) -> dict[str, float | int | str]:
    if a.index.equals(b.index) and a.index.is_unique:  # the usual case: the inner join keeps every row in order
        av, bv = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        keep = ~(np.isnan(av) | np.isnan(bv))
        x, y = av[keep], bv[keep]
    else:
        both = pd.concat([a, b], axis=1, join="inner").dropna()
        x, y = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
    d = x - y
    n = int(d.size)
    diff = float(d.mean()) if n else math.nan
    half, p = math.nan, math.nan
    if n == 1:
        half = 0.0
    elif n >= 2:
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * float(d.std(ddof=1)) / math.sqrt(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # identical samples: 0 / 0 gives NaN, as we want
            p = float(stats.ttest_rel(x, y).pvalue)
    means = (float(x.mean()), float(y.mean())) if n else (math.nan, math.nan)
    return difference_row(*means, diff, half, p, (n, n), "paired t")


def _welch(a: pd.Series, b: pd.Series, level: float) -> dict[str, float | int | str]:
    x, y = a.dropna().to_numpy(), b.dropna().to_numpy()
    nx, ny = int(x.size), int(y.size)
    diff = float(x.mean() - y.mean()) if nx and ny else math.nan
    half, p = math.nan, math.nan
    if nx >= 2 and ny >= 2:
        vx, vy = float(x.var(ddof=1)) / nx, float(y.var(ddof=1)) / ny
        se2 = vx + vy
        if se2 > 0:
            df = se2**2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))  # Welch-Satterthwaite
            half = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(se2)
            p = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
        else:
            half = 0.0
            p = math.nan if diff == 0 else 0.0
    x_mean = float(x.mean()) if nx else math.nan
    y_mean = float(y.mean()) if ny else math.nan
    return difference_row(x_mean, y_mean, diff, half, p, (nx, ny), "Welch t")


def paired_differences(
    samples: pd.DataFrame,
    reference: str,
    metrics: Sequence[str] | None = None,
    level: float = 0.95,
    paired: bool | None = None,
) -> pd.DataFrame:
    """Every other scenario minus `reference`, per metric: difference of means, its CI, p-value, relative change.

    Paired by replication when the two scenarios have the same replication indices (and seeds, if a `seed` column
    is given): difference = mean of the per-replication differences d, CI = mean(d) -/+ t_{n-1} sd(d) / sqrt(n),
    p from the paired t-test (`scipy.stats.ttest_rel`); replications with a NaN on either side are dropped.
    Otherwise (or with `paired=False`) Welch's unequal-variance t: CI with Welch-Satterthwaite degrees of freedom,
    p from `scipy.stats.ttest_ind(equal_var=False)`. `paired=True` insists on pairs and raises if they do not pair.
    With a `parameter_draw` column (runs with `sim.parameter_uncertainty`) the paired CI and p are a t over the
    draws' mean differences (`uncertainty_stats.paired_by_draw`). relative_difference = difference / reference
    mean (NaN when that is 0). Columns: scenario, reference, metric,
    mean, reference_mean, difference, ci_low, ci_high, p_value, relative_difference, n, reference_n, test.
    """
    names = _check(samples, metrics)
    scenarios = _scenarios(samples)
    if reference not in scenarios:
        raise ConfigError(
            "reference",
            f"unknown scenario '{reference}'{did_you_mean(reference, scenarios)}",
            f"use one of {', '.join(scenarios)}",
        )
    rows = []
    groups = scenario_rows(samples)
    for sc in scenarios:  # the input check of _by_replication, once per scenario rather than per metric
        _by_replication(samples, sc, REPLICATION, groups)
    for sc in scenarios:
        if sc == reference:
            continue
        can_pair = pairs(samples, sc, reference, groups)
        if paired and not can_pair:
            raise ConfigError(
                "paired",
                f"scenarios '{sc}' and '{reference}' do not pair by replication (different "
                "replication indices or seeds)",
                "run both with the same seed and replications, or pass paired=None to fall back to Welch's test",
            )
        use_pairs = can_pair if paired is None else bool(paired)
        for m in names:
            a, b = _series(groups, sc, m), _series(groups, reference, m)
            draws = _seeds(samples, sc, DRAW, groups) if use_pairs else None
            if draws is not None and draws.notna().all():  # parameter draws: a t over the draws' mean differences
                row = paired_by_draw(a, b, draws, level)
            else:
                row = _paired(a, b, level) if use_pairs else _welch(a, b, level)
            ref_mean = float(row["reference_mean"])
            rel = float(row["difference"]) / ref_mean if ref_mean != 0 and math.isfinite(ref_mean) else math.nan
            rows.append({"scenario": sc, "reference": reference, "metric": m, **row, "relative_difference": rel})
    cols = [
        "scenario",
        "reference",
        "metric",
        "mean",
        "reference_mean",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
        "relative_difference",
        "n",
        "reference_n",
        "test",
    ]
    return pd.DataFrame(rows, columns=cols)


def _share_best(values: NDArray[np.float64], higher_is_better: bool) -> NDArray[np.float64]:
    """Rows are draws, columns scenarios: the share of rows in which each column is best, ties split equally."""
    v = values if higher_is_better else -values
    best = v.max(axis=1, keepdims=True)
    win = (v == best).astype(float)
    return np.asarray((win / win.sum(axis=1, keepdims=True)).mean(axis=0), dtype=np.float64)


def _normal_draws(rng: np.random.Generator, cov: NDArray[np.float64], draws: int) -> NDArray[np.float64]:
    """`draws` rows of N(0, cov); a sample covariance of fewer replications than scenarios is singular, and its
    eigenvalues come out of `eigh` as tiny negatives by rounding: they are set to 0 (not warned about)."""
    values, vectors = np.linalg.eigh((cov + cov.T) / 2.0)
    factor = vectors * np.sqrt(np.clip(values, 0.0, None))
    z = rng.standard_normal((draws, cov.shape[0]))
    return np.asarray(z @ factor.T, dtype=np.float64)


#: below this many replications a probability of being best is withheld by the console and the report
MIN_REPLICATIONS_FOR_P_BEST = 5


def p_best_note(n: int) -> str:
    """Why a probability of being best from `n` replications means little ('' from 5 replications on)."""
    if n >= MIN_REPLICATIONS_FOR_P_BEST:
        return ""
    return (
        f"only {n} replication(s) per scenario: p_best can only be a multiple of 1/{max(n, 1)} and the t reference "
        f"has {max(n - 1, 0)} degree(s) of freedom, so a probability of being best means little; run "
        f"sim.replications={MIN_REPLICATIONS_FOR_P_BEST} or more"
    )


def _t_draws(
    rng: np.random.Generator,
    centre: NDArray[np.float64],
    cov: NDArray[np.float64],
    df: NDArray[np.float64],
    draws: int,
    paired: bool,
) -> NDArray[np.float64]:
    """Draws of the mean vector from a multivariate t: one shared `df` (paired) scales a correlated normal draw;
    independent scenarios each get their own t_{df_i} (df = n - 1, the uncertainty of the estimated spread)."""
    if paired:
        scale = np.sqrt(df[0] / rng.chisquare(df[0], draws))[:, None]
        return centre + _normal_draws(rng, cov, draws) * scale
    se = np.sqrt(np.diag(cov))
    return centre + rng.standard_t(df, size=(draws, df.size)) * se


def _p_best_reference(
    wide: pd.DataFrame, summ: dict[str, MetricSummary], paired: bool, higher: bool, draws: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(p_best_t, p_best_normal): the probability that each true mean is best, under a t and a normal reference."""
    k = len(summ)
    means = np.array([s.mean for s in summ.values()])
    if k == 1:
        return np.ones(1), np.ones(1)
    if not np.all(np.isfinite(means)):
        return np.full(k, math.nan), np.full(k, math.nan)
    if paired and len(wide) >= 2:
        cov = np.atleast_2d(np.cov(wide.to_numpy(), rowvar=False, ddof=1)) / len(wide)
        centre = wide.to_numpy().mean(axis=0)
        df = np.full(k, float(len(wide) - 1))
    else:
        cov = np.diag([s.std**2 / s.replications for s in summ.values()])
        centre = means
        df = np.array([float(s.replications - 1) for s in summ.values()])
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    p_normal = _share_best(centre + _normal_draws(rng, cov, draws), higher)
    if np.any(df < 1):
        return np.full(k, math.nan), p_normal
    shared = paired and len(wide) >= 2
    t_rng = np.random.default_rng(np.random.SeedSequence(seed))
    p_t = _share_best(_t_draws(t_rng, centre, cov, df, draws, shared), higher)
    return p_t, p_normal


def rank_scenarios(
    samples: pd.DataFrame,
    metric: str,
    higher_is_better: bool = True,
    *,
    draws: int = 200_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Scenarios ranked by the mean of `metric` (rank 1 = best), with three probabilities of being best.

    `p_best`: the share of replications in which the scenario has the best value, over the replications every
    scenario has (paired by replication; ties split equally); NaN when there is no such replication. It answers
    "how often does this scenario win a single run" and does not shrink with more replications.
    `p_best_t`: the probability that the scenario's true mean is the best, with the vector of sample means taken
    as multivariate t with n - 1 degrees of freedom (covariance of the paired samples / n when all scenarios pair,
    else independent var_i / n_i and t_{n_i - 1}), estimated with `draws` draws from a fixed `seed`; NaN with
    fewer than 2 replications. `p_best_normal`: the same with a normal reference (a large-n approximation that
    overstates certainty for few replications). `note`: why the probabilities mean little (fewer than 5
    replications; `p_best_note`), else ''. With parameter draws also `p_best_parameters` (the share of draws in
    which its true mean is best). Columns: rank, scenario, mean, std, n, p_best, p_best_t, p_best_normal,
    [p_best_parameters,] note.
    """
    _check(samples, [metric])
    scenarios = _scenarios(samples)
    groups = scenario_rows(samples)
    series = {sc: _by_replication(samples, sc, metric, groups) for sc in scenarios}
    summ = {sc: summarise_one(s.to_numpy()) for sc, s in series.items()}
    wide = pd.concat(series, axis=1, join="inner").dropna()
    all_pair = all(pairs(samples, sc, scenarios[0], groups) for sc in scenarios[1:])
    k = len(scenarios)
    p_best = _share_best(wide.to_numpy(), higher_is_better) if len(wide) else np.full(k, math.nan)
    p_t, p_normal = _p_best_reference(wide, summ, all_pair, higher_is_better, draws, seed)
    n = [summ[sc].replications for sc in scenarios]
    out = pd.DataFrame(
        {
            "scenario": scenarios,
            "mean": [summ[sc].mean for sc in scenarios],
            "std": [summ[sc].std for sc in scenarios],
            "n": n,
            "p_best": p_best,
            "p_best_t": p_t,
            "p_best_normal": p_normal,
            "note": [p_best_note(min(n)) for _ in scenarios],
        }
    )
    if DRAW in samples.columns:  # parameter uncertainty: the share of parameter draws in which each is best
        out.insert(len(out.columns) - 1, "p_best_parameters", p_best_parameters(samples, metric, scenarios))
    key = out["mean"] if higher_is_better else -out["mean"]
    out.insert(0, "rank", key.rank(ascending=False, method="min", na_option="bottom").astype(int))
    return out.sort_values(["rank", "scenario"], kind="stable").reset_index(drop=True)
