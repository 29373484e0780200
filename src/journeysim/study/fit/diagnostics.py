"""Where the Markov assumption fails: a held-out period check, drift between halves, and memory in the dwell.

- held-out: fit on the first periods, predict the last ones from their start occupancy; the Pearson dispersion
  (mean squared (y - mu) / sqrt(mu)) of the held-out counts against that of the fitted ones;
- drift: the rates fitted on each half of the periods, a Wald z on the log scale for each difference;
- memory (non-exponential dwell): under exponential dwell, how long people have been in a stage does not matter,
  so a stage's end-of-period occupancy residual must not depend on the share of its start occupancy that entered
  during the previous period (recent entrants). A slope t > 3 says recent entrants stay longer than old ones
  (dwell with shape > 1: `gamma`), t < -3 that they leave faster (`lognormal` or a mixture of segments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.errors import ConfigError
from journeysim.model.journey import Journey
from journeysim.study.fit.counts import SegmentCounts
from journeysim.study.fit.estimate import CountsFit, fit_counts, observations
from journeysim.study.fit.model import expected

#: |z| or |t| above this is flagged (about 1 in 370 under the model per test).
FLAG = 3.0
#: The memory check needs at least this many people in a stage on average (residuals scaled by sqrt(mu)).
MIN_PEOPLE = 30.0


@dataclass(frozen=True)
class Verdict:
    """One check: its name, the statistic, whether it fails, and the suggested model change."""

    check: str
    subject: str
    statistic: float
    fails: bool
    suggestion: str


def _dispersion(y: np.ndarray, mu: np.ndarray) -> float:
    use = ~np.isnan(y) & (mu > 0)
    return float(np.mean((y[use] - mu[use]) ** 2 / mu[use])) if use.any() else float("nan")


def held_out(fit: CountsFit, counts: SegmentCounts, journey: Journey, hold: int) -> tuple[Verdict, pd.DataFrame]:
    """Fit on all but the last `hold` periods, predict those; the verdict compares held-out and in-sample
    dispersion, the frame has the held-out predictions (period, index into the 2S observations, mu)."""
    head = counts.head(counts.n_periods - hold)
    early = fit_counts(head, journey)
    tail = slice(counts.n_periods - hold, counts.n_periods)
    mu, _ = expected(
        early.params, early.theta, np.nan_to_num(counts.occupancy_start[tail]), counts.lengths[tail], False
    )
    y = observations(counts, journey)[tail]
    inside, outside = _dispersion(early.observed, early.mu), _dispersion(y, mu)
    ratio = outside / inside if inside > 0 else float("nan")
    verdict = Verdict(
        "held-out",
        f"last {hold} periods",
        ratio,
        bool(ratio > 2.0),
        "the fit predicts later periods much worse than it fits earlier ones: rates drift or the arrivals are "
        "seasonal; fit recent periods only, or add seasonality (population.segments.*.seasonal_amplitude)"
        if ratio > 2.0
        else "held-out periods are predicted as well as fitted ones",
    )
    frame = pd.DataFrame(
        {
            "period": np.repeat(np.arange(tail.start, tail.stop), mu.shape[1]),
            "observation": np.tile(np.arange(mu.shape[1]), hold),
            "held_out_mean": mu.ravel(),
        }
    )
    return verdict, frame


def drift(counts: SegmentCounts, journey: Journey) -> list[Verdict]:
    """Rates fitted on the first and second half of the periods; one verdict per parameter."""
    half = counts.n_periods // 2
    second = SegmentCounts(
        counts.segment,
        counts.starts[half:],
        counts.ends[half:],
        counts.entries[half:],
        counts.occupancy_start[half:],
        counts.occupancy_end[half:],
    )
    try:
        a, b = fit_counts(counts.head(half), journey), fit_counts(second, journey)
    except ConfigError:
        return [Verdict("drift", "all rates", float("nan"), False, "too few periods to fit each half separately")]
    z = (b.theta - a.theta) / np.sqrt(np.diag(a.cov) + np.diag(b.cov) + 1e-300)
    out = []
    for name, zk in zip(a.params.names(), z, strict=True):
        fails = bool(abs(zk) > FLAG)
        out.append(
            Verdict(
                "drift",
                name,
                float(zk),
                fails,
                "this rate changed between the halves: fit the recent half, or model the change as a "
                "rate multiplier over time (strategy.rate_multipliers)"
                if fails
                else "stable",
            )
        )
    return out


def memory(fit: CountsFit, counts: SegmentCounts, journey: Journey) -> list[Verdict]:
    """Per non-terminal stage: the slope t of occupancy residuals on the share of recent entrants (see above)."""
    s = journey.n_stages
    out = []
    for i in range(s):
        if i in journey.terminal_indices:
            continue
        y, mu = fit.observed[1:, i], fit.mu[1:, i]
        share = counts.entries[:-1, i] / np.maximum(counts.occupancy_start[1:, i], 1.0)
        use = ~np.isnan(y) & ~np.isnan(share) & (mu > 0)
        if use.sum() < 5 or np.std(share[use]) == 0 or np.mean(mu[use]) < MIN_PEOPLE:
            continue  # too few periods, no variation, or too few people for the normal approximation
        r = (y[use] - mu[use]) / np.sqrt(mu[use])
        x = share[use] - share[use].mean()
        slope = float(x @ r / (x @ x))
        resid = r - slope * x
        se = float(np.sqrt(np.sum(x**2 * resid**2)) / (x @ x))  # heteroscedasticity-robust
        t = slope / se if se > 0 else 0.0
        stage = journey.stages[i]
        suggestion = "no sign of memory"
        if t > FLAG:
            suggestion = f"recent entrants stay longer: try journey.dwell.{stage}: {{kind: gamma, shape: 2}}"
        elif t < -FLAG:
            suggestion = (
                f"recent entrants leave faster: try journey.dwell.{stage}: {{kind: lognormal, shape: 1}} "
                "or split the segment (a mix of fast and slow people)"
            )
        out.append(Verdict("memory", stage, t, bool(abs(t) > FLAG), suggestion))
    return out


def verdicts(fit: CountsFit, counts: SegmentCounts, journey: Journey) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All checks of one segment as a table (segment, check, subject, statistic, fails, suggestion), and the
    held-out predictions."""
    hold = max(2, counts.n_periods // 5)
    rows: list[Verdict] = []
    frame = pd.DataFrame(columns=["period", "observation", "held_out_mean"])
    try:
        v, frame = held_out(fit, counts, journey, hold)
        rows.append(v)
    except ConfigError as exc:
        rows.append(Verdict("held-out", f"last {hold} periods", float("nan"), False, f"not checked: {exc.problem}"))
    rows += drift(counts, journey) + memory(fit, counts, journey)
    table = pd.DataFrame([{"segment": counts.segment, **v.__dict__} for v in rows])
    return table, frame.assign(segment=counts.segment)
