"""Closed forms for media carry-over (geometric adstock) across periods of a plan.

The engine's adstock is linear in the day's exposures, a_t = e_t + decay a_{t-1} (`interventions.media`), so money
spent in one period raises the adstock of every later day by a decayed tail. `carry_matrix` says how much of one
cell's money (a channel in a period) lands in a later period's adstock, as money of that period's own: the
**effective dose** of a period is its own money plus the carried-in tails. `response_path` is the engine's
deterministic response, day by day, for a channel whose exposures are known (a fixed audience, no frequency cap).
`carried_doses` gives the effective dose of every day of every period (the matrix is its mean over the period).
See docs/optimize.md ("Carry-over between periods").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from journeysim.interventions.media import RESPONSES, geometric_adstock


def response_path(
    exposures: ArrayLike, decay: float, half_saturation: float, slope: float = 1.0, kind: str = "hill"
) -> NDArray[np.float64]:
    """The response r_t in [0, 1] on each day: the channel's curve (`media.RESPONSES[kind]`) of the adstocked
    exposures per person a_t = e_t + decay a_{t-1}, as the engine computes it from a zero start."""
    adstock = geometric_adstock(exposures, decay)
    curve = RESPONSES.get(kind, "response.kind")
    return np.clip(np.asarray(curve(adstock, half_saturation, slope), float), 0.0, 1.0)


def period_adstock(daily: ArrayLike, decay: float, spans: Sequence[tuple[int, int]]) -> NDArray[np.float64]:
    """The adstock of the daily doses `daily` (D,) summed over the days [start, end) of each span."""
    a = geometric_adstock(daily, decay)
    return np.array([float(a[s:e].sum()) for s, e in spans])


def carried_doses(
    daily: NDArray[np.float64],
    decay: Sequence[float],
    spans: Sequence[tuple[int, int]],
    channel: Sequence[int],
) -> NDArray[np.float64]:
    """G (K, L): the effective dose of each cell on each day of the cells' periods laid end to end (cell l's
    days first, in order, then the next cell's), per unit of each cell's money: G[k, t] is the adstock one unit of
    cell k's money leaves on day t in money of the cell whose period holds t (its own adstock averages 1 over its
    period). Zero across channels and before k's first day. The dose of a day is x @ G[:, t].

    `daily` (K, D): each cell's money per day for one unit of money (its days and pacing); `decay`: each cell's
    channel's adstock; `spans`: each cell's period as days [start, end); `channel`: each cell's channel index.
    """
    k = len(spans)
    adstock = np.vstack([geometric_adstock(daily[i], decay[i]) for i in range(k)])
    cols = []
    for j, (s, e) in enumerate(spans):
        own = float(adstock[j, s:e].mean())
        same = np.array([channel[i] == channel[j] for i in range(k)])
        cols.append(np.where(same[:, None], adstock[:, s:e], 0.0) / own if own > 0 else np.zeros((k, e - s)))
    return np.hstack(cols)


def carry_matrix(
    daily: NDArray[np.float64],
    decay: Sequence[float],
    spans: Sequence[tuple[int, int]],
    channel: Sequence[int],
) -> NDArray[np.float64]:
    """M (K, K) for K cells: M[k, l] is the money of cell l whose adstock, summed over l's period, equals what one
    unit of cell k's money carries into that period (cells of one channel; zero across channels, and for l before
    k since adstock only carries forward). The effective dose of cell l is (x @ M)[l]; M[l, l] = 1, and M is the
    identity with no carry-over (decay 0).

    `daily` (K, D): each cell's money per day for one unit of money (its days and pacing); `decay`: each cell's
    channel's adstock; `spans`: each cell's period as days [start, end); `channel`: each cell's channel index.
    """
    k = len(spans)
    summed = np.vstack([period_adstock(daily[i], decay[i], spans) for i in range(k)])  # (K cells, K periods)
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            own = summed[j, j]
            if channel[i] == channel[j] and own > 0:
                out[i, j] = 1.0 if i == j else summed[i, j] / own
    return out
