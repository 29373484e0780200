"""Summaries across replications: mean, sample standard deviation and a Student-t confidence interval that stays
in the metric's range (a share's interval never leaves [0, 1]; the range comes from the metric catalogue)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from journeysim.metrics.catalogue import range_of


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True)
class MetricSummary:
    """One metric over R replications; `replications` counts the non-NaN values the summary is based on."""

    mean: float
    std: float
    ci_low: float
    ci_high: float
    replications: int

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-safe view: floats, with NaN / infinity as None."""
        return {
            "mean": _json_float(self.mean),
            "std": _json_float(self.std),
            "ci_low": _json_float(self.ci_low),
            "ci_high": _json_float(self.ci_high),
            "replications": int(self.replications),
        }


def summarise_one(
    values: ArrayLike, level: float = 0.95, bounds: tuple[float, float] = (-math.inf, math.inf)
) -> MetricSummary:
    """Summarise one metric's replication values, ignoring NaNs.

    std uses ddof=1; the CI is mean +- t_{(1+level)/2, n-1} std / sqrt(n), clipped to `bounds` (the metric's
    range: an end past it is set to it, since the true mean cannot lie outside; e.g. a conversion rate's
    [-1.6%, 12.9%] reads [0%, 12.9%]). With one value std is 0 and the CI collapses to [mean, mean] (no spread
    can be estimated); with none every field is NaN and replications 0.
    """
    x = np.asarray(values, dtype=float).ravel()
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return MetricSummary(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(np.mean(x))
    if n == 1:
        return MetricSummary(mean, 0.0, mean, mean, 1)
    std = float(np.std(x, ddof=1))
    half = float(special.stdtrit(n - 1, 0.5 + level / 2.0)) * std / math.sqrt(n)  # Student t quantile
    low, high = bounds
    return MetricSummary(mean, std, min(max(mean - half, low), high), max(min(mean + half, high), low), n)


def summarise(samples: Mapping[str, ArrayLike], level: float = 0.95) -> dict[str, MetricSummary]:
    """Per metric name, the summary of its values over replications (same order as `samples`), each interval
    within the metric's range (`catalogue.range_of`; unbounded for names the catalogue does not know)."""
    return {name: summarise_one(values, level, range_of(name)) for name, values in samples.items()}
