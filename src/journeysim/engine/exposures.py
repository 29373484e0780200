"""The touch log's exposure draws (engine.touches, docs/attribution.md): the first exposure in each stay in a
channel's audience, at the channel's daily intensity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from journeysim.engine import compiled

#: cells per day of the intensity grid that finds the day of an exposure (`Intensity.day_at`)
GRID_PER_DAY = 32


class Intensity:
    """A channel's exposure intensity: `lam` per day (constant within a day) and its integral `cum` from day 0 to
    each day boundary, with a grid over the integral that finds the day of an intensity value in a few steps."""

    def __init__(self, lam: NDArray[np.float64]) -> None:
        self.lam = lam
        self.cum = np.concatenate([[0.0], np.cumsum(lam)])
        self.last = lam.size - 1
        self.upper = np.append(self.cum[1 : self.last + 1], np.inf)  # cum[d + 1], none after the last day
        self.rate = np.where(lam > 0, lam, 1.0)  # the divisor from intensity to time within a day
        self.base = self.cum[:-1] - np.arange(lam.size) * lam  # the integral to time t in day d: base[d] + t lam[d]
        top = float(self.cum[-1])
        self.cells = GRID_PER_DAY * lam.size
        self.per_cell = self.cells / top if top > 0 else 0.0
        points = np.arange(self.cells + 1) * (top / self.cells)
        self.grid = np.minimum(np.searchsorted(self.cum, points, side="right") - 1, self.last)

    def day_at(self, at: NDArray[np.float64]) -> NDArray[np.int64]:
        """`np.minimum(np.searchsorted(cum, at, side="right") - 1, last)`, the day of intensity `at` (the last day d
        with cum[d] <= at, within the horizon): the day at the start of `at`'s grid cell, right unless the cell
        holds a day boundary below `at` (or rounding moved `at` a cell up); those few by a binary search."""
        cell = (at * self.per_cell).astype(np.int64)
        np.minimum(cell, self.cells - 1, out=cell)
        day = self.grid.take(cell)
        (wrong,) = np.nonzero((self.upper.take(day) <= at) | (self.cum.take(day) > at))
        if wrong.size:
            at = at.take(wrong)
            day[wrong] = np.minimum(np.searchsorted(self.cum, at, side="right") - 1, self.last)
        return day


@dataclass(frozen=True)
class Audience:
    """One channel's audience: the runs [first, stop) of consecutive row codes in it, and its `intensity`."""

    runs: tuple[tuple[int, int], ...]
    intensity: Intensity

    @classmethod
    def of(cls, member: NDArray[np.bool_], intensity: Intensity) -> Audience:
        """The audience of the rows where `member` holds."""
        edge = np.diff(np.concatenate([[0], member.astype(np.int8), [0]]))
        return cls(
            tuple(zip(np.flatnonzero(edge > 0).tolist(), np.flatnonzero(edge < 0).tolist(), strict=True)), intensity
        )


def first_exposures(
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    rows: NDArray[np.intp],
    audiences: list[Audience],
    horizon: int,
    rng: np.random.Generator,
) -> list[tuple[NDArray[np.intp], NDArray[np.float64]]]:
    """Per channel, (stay, time) of its first exposure in each stay [start, end) in its audience (`rows`: each
    stay's row code; stays that end where they start must have a row no audience has). The stays are ordered by
    row once, so a channel's stays are a few slices; the draws come channel by channel, run by run, in that order."""
    order = np.argsort(rows.astype(np.int16), kind="stable")  # a radix sort: the row codes are few
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=int(rows.max(initial=0)) + 2))])
    stays = _Stays(start.take(order), end.take(order), horizon)
    got = []
    for aud in audiences:
        mine = []
        for r0, r1 in aud.runs:
            a, b = int(bounds[min(r0, bounds.size - 1)]), int(bounds[min(r1, bounds.size - 1)])
            if b > a:
                which, t = _first(stays, a, b, aud.intensity, rng)
                which += a
                mine.append((order.take(which), t))
        got.append(_joined(mine))
    return got


class _Stays:
    """Stays [start, end) and the days they start and end on (the horizon's last day for the horizon itself)."""

    def __init__(self, start: NDArray[np.float64], end: NDArray[np.float64], horizon: int) -> None:
        self.start, self.end = start, end
        self.first = start.astype(np.int64)  # a stay with end > start starts before the horizon
        self.last = end.astype(np.int64)
        np.minimum(self.last, horizon - 1, out=self.last)


def _first(
    stays: _Stays, a: int, b: int, it: Intensity, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """(position from a, time) of the first exposure in the stays a ... b - 1 that have one at intensity `it`: the
    integrated intensity over the stay against a standard exponential draw each."""
    start, end, first, last = stays.start[a:b], stays.end[a:b], stays.first[a:b], stays.last[a:b]
    if compiled.enabled():  # the same operations in one compiled loop
        return compiled.first_exposures(start, end, first, last, rng.standard_exponential(start.size), it)
    lo = it.lam.take(first)  # the intensity integrated from 0 to the stay's start: base[d] + t lam[d]
    lo *= start
    lo += it.base.take(first)
    span = it.lam.take(last)  # ... and to its end, less the start's
    span *= end
    span += it.base.take(last)
    span -= lo
    draw = rng.standard_exponential(start.size)
    (seen,) = np.nonzero(draw < span)
    at = lo.take(seen)  # the first exposure, in intensity units
    at += draw.take(seen)
    day = it.day_at(at)
    at -= it.cum.take(day)
    at /= it.rate.take(day)
    at += day
    np.maximum(at, start.take(seen), out=at)  # = np.clip(t, start, nextafter(end, -inf)): a time inside the stay,
    end = end.take(seen)  # nextafter only where needed (it is slow)
    (over,) = np.nonzero(at >= end)
    at[over] = np.nextafter(end[over], -np.inf)
    return seen, at


def _joined(parts: list[tuple[NDArray[np.intp], NDArray[np.float64]]]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """One channel's (stay, time) pairs from its runs, in run order."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, np.intp), np.zeros(0)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
