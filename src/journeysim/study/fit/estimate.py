"""Rates and the arrival rate from stage counts: a Poisson quasi-likelihood on the exact conditional means.

Each period's counts (entries per stage, occupancy at its end) have expected values given the occupancy it starts
with (`model.expected`). The estimate maximises sum y log mu - mu over periods and observed counts (Fisher
scoring on log rates). The counts of one period are correlated (the same people enter interest and later
consideration), so the Poisson information alone would misstate the errors; the covariance is the sandwich
A^-1 B A^-1 with B the outer products of the per-period scores, which are martingale differences because each
period's mean is exact given what was seen before it; a P / (P - K) factor corrects for K fitted parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.errors import ConfigError
from journeysim.model.journey import Journey
from journeysim.study.fit.counts import SegmentCounts
from journeysim.study.fit.model import ARRIVALS, Parameters, expected

Z95 = 1.959963984540054
#: Scaled information with a condition number above this leaves some parameter combination undetermined.
MAX_CONDITION = 1e9
#: Rates are kept above exp(LOG_FLOOR) per day (a rate the data put at zero stays at this floor).
LOG_FLOOR = float(np.log(1e-7))


@dataclass(frozen=True)
class CountsFit:
    """One segment's fit: log-scale estimates `theta`, their covariance (free parameters; fixed ones have 0)."""

    segment: str
    params: Parameters
    theta: NDArray[np.float64]
    cov: NDArray[np.float64]
    free: NDArray[np.bool_]
    log_likelihood: float
    iterations: int
    mu: NDArray[np.float64]  # (P, 2S) fitted means
    observed: NDArray[np.float64]  # (P, 2S) the counts (NaN: not used)

    @property
    def rates(self) -> dict[str, dict[str, float]]:
        """Fitted per-day hazards `rates[from][to]`."""
        out: dict[str, dict[str, float]] = {}
        for k, (i, j) in enumerate(self.params.edges):
            out.setdefault(self.params.stages[i], {})[self.params.stages[j]] = float(np.exp(self.theta[k]))
        return out

    @property
    def arrivals_per_day(self) -> float:
        return float(np.exp(self.theta[-1]))

    def table(self) -> pd.DataFrame:
        """One row per parameter: estimate, standard error (delta method from the log scale), 95% CI (log scale)."""
        names = self.params.names()
        est = np.exp(self.theta)
        se_log = np.sqrt(np.clip(np.diag(self.cov), 0.0, None))
        rows = []
        at_zero = self.theta <= LOG_FLOOR + 1e-9
        # at zero, or so loose that a log-normal interval is meaningless: the delta-method interval, cut at 0
        delta = at_zero | (se_log > 2.0)
        for k, name in enumerate(names):
            src, _, dst = name.partition("->")
            rows.append(
                {
                    "segment": self.segment,
                    "parameter": "arrivals_per_day" if name == ARRIVALS else "rate",
                    "from_stage": "" if name == ARRIVALS else src,
                    "to_stage": "" if name == ARRIVALS else dst,
                    "estimate": est[k],
                    "se": est[k] * se_log[k],
                    "se_log": se_log[k],
                    "ci_low": 0.0 if delta[k] else est[k] * np.exp(-Z95 * se_log[k]),
                    "ci_high": est[k] * (1 + Z95 * se_log[k]) if delta[k] else est[k] * np.exp(Z95 * se_log[k]),
                    "fixed": not bool(self.free[k]),
                    "at_zero": bool(at_zero[k]),  # the data put this rate at zero: CI from the delta method
                }
            )
        return pd.DataFrame(rows)


def observations(counts: SegmentCounts, journey: Journey) -> NDArray[np.float64]:
    """(P, 2S): occupancy at the end of non-terminal stages, then entries where observed; NaN elsewhere."""
    occ = counts.occupancy_end.copy()
    occ[:, list(journey.terminal_indices)] = np.nan
    return np.hstack([occ, counts.entries])


def _start(counts: SegmentCounts, journey: Journey) -> NDArray[np.float64]:
    living = [i for i in range(journey.n_stages) if i not in journey.terminal_indices]
    missing = np.isnan(counts.occupancy_start[:, living])
    if missing.any():
        p, k = np.argwhere(missing)[0]
        raise ConfigError(
            "occupancy_start",
            f"segment '{counts.segment}': no occupancy for '{journey.stages[living[k]]}' at day {counts.starts[p]:g}",
            "give every non-terminal stage's occupancy at the start of every period (the model is conditioned on it)",
        )
    return np.nan_to_num(counts.occupancy_start)


def _initial(params: Parameters, counts: SegmentCounts, start: NDArray[np.float64]) -> NDArray[np.float64]:
    """Crude starting values: each stage's exits over its exposure, split evenly; arrivals from entry counts."""
    exposure = ((start + np.nan_to_num(counts.occupancy_end, nan=0.0)) / 2 * counts.lengths[:, None]).sum(axis=0)
    exits = np.nansum(start + np.nan_to_num(counts.entries) - np.nan_to_num(counts.occupancy_end), axis=0)
    out = np.empty(params.n)
    n_out = np.bincount([i for i, _ in params.edges], minlength=len(params.stages))
    for k, (i, _) in enumerate(params.edges):
        total = exits[i] / exposure[i] if exposure[i] > 0 and exits[i] > 0 else 0.05
        out[k] = np.log(max(total / n_out[i], 1e-4))
    seen = counts.entries[:, params.entry] / counts.lengths
    arrivals = float(np.mean(seen[~np.isnan(seen)])) if (~np.isnan(seen)).any() else 1.0
    out[-1] = np.log(max(arrivals, 1e-3))
    return out


def _score_info(
    y: NDArray[np.float64], mu: NDArray[np.float64], jac: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Log-likelihood, per-period scores (P, K) and the expected information (K, K)."""
    use = ~np.isnan(y)
    m = np.maximum(mu, 1e-12)
    yy = np.where(use, y, 0.0)
    ll = float(np.sum(np.where(use, yy * np.log(m) - m, 0.0)))
    w = np.where(use, yy / m - 1.0, 0.0)
    scores = np.einsum("po,pok->pk", w, jac)
    info = np.einsum("po,pok,pol->kl", np.where(use, 1.0 / m, 0.0), jac, jac)
    return ll, scores, info, use


def _check_identified(info: NDArray[np.float64], names: list[str], segment: str) -> None:
    """Refuse when some combination of parameters leaves the expected counts unchanged (or nearly so)."""
    d = np.sqrt(np.clip(np.diag(info), 1e-300, None))
    scaled = info / np.outer(d, d)
    values, vectors = np.linalg.eigh(scaled)
    if values[0] <= values[-1] / MAX_CONDITION or np.any(np.diag(info) <= 0):
        weak = vectors[:, 0]
        involved = [names[k] for k in np.argsort(-np.abs(weak))[:4] if abs(weak[k]) > 0.2]
        raise ConfigError(
            "counts",
            f"segment '{segment}': the counts cannot tell apart {', '.join(involved)} (any mix of them fits the "
            "same counts)",
            "give entries for the stages these rates lead to (occupancy alone says how fast people leave a stage, "
            "not where they go), or fix some of these rates with --rates",
        )


def _maximise(
    params: Parameters,
    theta: NDArray[np.float64],
    free: NDArray[np.bool_],
    start: NDArray[np.float64],
    y: NDArray[np.float64],
    lengths: NDArray[np.float64],
    max_iter: int,
    segment: str,
) -> tuple[Any, ...]:
    """Fisher scoring with step halving on the free log parameters; identifiability checked before and after."""
    names = [n for n, f in zip(params.names(), free, strict=True) if f]
    mu, jac = expected(params, theta, start, lengths)
    assert jac is not None
    ll, scores, info, use = _score_info(y, mu, jac[:, :, free])
    _check_identified(info, names, segment)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        step = np.clip(np.linalg.solve(info, scores.sum(axis=0)), -2.0, 2.0)
        t = 1.0
        while True:
            trial = theta.copy()
            trial[free] += t * step
            trial = np.maximum(trial, LOG_FLOOR)
            mu_t, jac_t = expected(params, trial, start, lengths)
            assert jac_t is not None
            ll_t, scores_t, info_t, _ = _score_info(y, mu_t, jac_t[:, :, free])
            if ll_t >= ll - 1e-9 or t < 1e-4:
                break
            t /= 2
        moved, gained = np.max(np.abs(trial - theta)), abs(ll_t - ll)
        theta, mu, ll, scores, info = trial, mu_t, ll_t, scores_t, info_t
        if moved < 1e-8 or gained < 1e-9 * abs(ll):
            break
    _check_identified(info, names, segment)
    return theta, mu, ll, scores, info, use, iterations


def fit_counts(
    counts: SegmentCounts,
    journey: Journey,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    max_iter: int = 40,
) -> CountsFit:
    """Fit one segment's rates and arrival rate to its counts (see the module docstring)."""
    params = Parameters.of(journey)
    names = params.names()
    start = _start(counts, journey)
    y = observations(counts, journey)
    theta = _initial(params, counts, start)
    free = np.ones(params.n, dtype=bool)
    for src, row in (fixed or {}).items():
        for dst, value in row.items():
            key = f"{src}->{dst}"
            if key not in names:
                raise ConfigError("--rates", f"'{key}' is not a rate of journey '{journey.name}'", "use its edges")
            theta[names.index(key)] = np.log(value)
            free[names.index(key)] = False
    k = int(free.sum())
    if counts.n_periods < k + 2:
        raise ConfigError(
            "period_start",
            f"segment '{counts.segment}': {counts.n_periods} periods are too few for {k} parameters",
            f"give at least {k + 2} periods (e.g. daily instead of weekly counts, or a longer history), or fix "
            "known rates with --rates",
        )
    state = _maximise(params, theta, free, start, y, counts.lengths, max_iter, counts.segment)
    theta, mu, ll, scores, info, use, iterations = state
    inv = np.linalg.inv(info)
    periods = counts.n_periods
    meat = scores.T @ scores * periods / max(periods - k, 1)
    cov = np.zeros((params.n, params.n))
    cov[np.ix_(free, free)] = inv @ meat @ inv
    return CountsFit(counts.segment, params, theta, cov, free, ll, iterations, mu, np.where(use, y, np.nan))
