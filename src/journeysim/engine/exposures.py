"""The touch log's exposure draws (engine.touches, docs/attribution.md): the first exposure in each stay in a
channel's audience, at the channel's daily intensity, in blocks of stays that keep their temporaries in cache."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: stays per block: a block's temporaries stay small (a few MB), in cache and off huge pages
BLOCK = 1 << 17
#: cells per day of the intensity grid that finds the day of an exposure (`Intensity.day_at`)
GRID_PER_DAY = 8
#: steps up from the grid's guess before a binary search takes over
STEPS = 3


class Intensity:
    """A channel's exposure intensity: `lam` per day (constant within a day) and its integral `cum` from day 0 to
    each day boundary, with a grid over the integral that finds the day of an intensity value in a few steps."""

    def __init__(self, lam: NDArray[np.float64]) -> None:
        self.lam = lam
        self.cum = np.concatenate([[0.0], np.cumsum(lam)])
        self.last = lam.size - 1
        self.upper = np.append(self.cum[1 : self.last + 1], np.inf)  # cum[d + 1], none after the last day
        self.rate = np.where(lam > 0, lam, 1.0)  # the divisor from intensity to time within a day
        top = float(self.cum[-1])
        self.cells = GRID_PER_DAY * lam.size
        self.per_cell = self.cells / top if top > 0 else 0.0
        points = np.arange(self.cells + 1) * (top / self.cells)
        self.grid = np.minimum(np.searchsorted(self.cum, points, side="right") - 1, self.last)

    def day_at(self, at: NDArray[np.float64], first: NDArray[np.int64]) -> NDArray[np.int64]:
        """The day of intensity `at` (the last day d with cum[d] <= at, within the horizon), given a day `first`
        with cum[first] <= at (overwritten): most exposures fall on the stay's first day, so only the others are
        searched."""
        day = first
        (later,) = np.nonzero(self.upper[day] <= at)
        if later.size:
            day[later] = self._search(at[later])
        return day

    def _search(self, at: NDArray[np.float64]) -> NDArray[np.int64]:
        """`np.minimum(np.searchsorted(cum, at, side="right") - 1, last)`: the grid cell's first day, a few steps
        up, and a binary search for what that leaves (a day is right when cum[d] <= at < cum[d + 1]: exact)."""
        cell = np.minimum((at * self.per_cell).astype(np.int64), self.cells - 1)
        day = self.grid[cell]
        for _ in range(STEPS):
            (up,) = np.nonzero(self.upper[day] <= at)
            if not up.size:
                break
            day[up] += 1
        (wrong,) = np.nonzero((self.cum[day] > at) | (self.upper[day] <= at))
        if wrong.size:
            day[wrong] = np.minimum(np.searchsorted(self.cum, at[wrong], side="right") - 1, self.last)
        return day


class Stays:
    """Stays: customer, stage, start and end, and the first exposure in some of them."""

    def __init__(
        self,
        cust: NDArray[np.int64],
        stage: NDArray[np.integer],
        start: NDArray[np.float64],
        end: NDArray[np.float64],
        horizon: int,
    ) -> None:
        self.cust, self.stage, self.start, self.end, self.horizon = cust, stage, start, end, horizon

    def first_exposures(
        self, inside: NDArray[np.intp], intensity: Intensity, rng: np.random.Generator
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """(stay, time) of the first exposure in stays `inside`, block by block (the draws come in the same order
        as in one pass)."""
        got = [self.first_exposure(inside[i : i + BLOCK], intensity, rng) for i in range(0, inside.size, BLOCK)]
        if not got:
            return np.zeros(0, np.intp), np.zeros(0)
        return np.concatenate([g[0] for g in got]), np.concatenate([g[1] for g in got])

    def first_exposure(
        self, inside: NDArray[np.intp], intensity: Intensity, rng: np.random.Generator
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """(stay, time) of the first exposure in stays `inside` at the channel's `intensity`."""
        lam, cum = intensity.lam, intensity.cum
        start, end = self.start[inside], self.end[inside]
        first = start.astype(np.int64)  # a stay with end > start starts before the horizon: its day, as `_day_of`
        lo = cum[first] + (start - first) * lam[first]  # the intensity integrated from 0 to the stay's start
        d = _day_of(end, self.horizon)
        hi = cum[d] + (end - d) * lam[d]  # ... and to its end
        at = lo + rng.standard_exponential(inside.size)  # the first exposure of the stay, in intensity units
        seen = at < hi
        which, at = inside[seen], at[seen]
        day = intensity.day_at(at, first[seen])
        t = day + (at - cum[day]) / intensity.rate[day]
        np.maximum(t, start[seen], out=t)  # = np.clip(t, start, nextafter(end, -inf)): a time inside the stay,
        end = end[seen]  # nextafter only where needed (it is slow)
        (over,) = np.nonzero(t >= end)
        t[over] = np.nextafter(end[over], -np.inf)
        return which, t


def _day_of(t: NDArray[np.float64], horizon: int) -> NDArray[np.int64]:
    """The day each time falls in (the last day for the horizon itself)."""
    return np.minimum(t.astype(np.int64), horizon - 1)
