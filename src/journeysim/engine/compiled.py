"""Compiled loops for the touch log's two heaviest passes, used when numba is installed (`pip install
journeysim[fast]`): the same operations in the same order as the numpy code they stand in for, so a run gives the
same touches, byte for byte, with or without them (tests/engine/test_compiled.py). Nothing else needs them.

`JOURNEYSIM_COMPILED=0` in the environment turns them off (the numpy code runs).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

njit: Any
try:  # an optional extra: the numpy code is the reference and runs without it
    from numba import njit
except ImportError:  # pragma: no cover - depends on the environment
    njit = None

#: whether the compiled loops run (numba installed and not turned off)
ENABLED = njit is not None and os.environ.get("JOURNEYSIM_COMPILED", "1") != "0"


def _jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` compiled once per machine (numba's cache), or `fn` itself without numba."""
    return fn if njit is None else njit(cache=True, nogil=True)(fn)


@_jit
def _counting_sort(
    position: NDArray[np.int64], cursor: NDArray[np.int64], time: NDArray[np.float64], codes: NDArray[np.int16]
) -> tuple[NDArray[np.float64], NDArray[np.int16]]:  # pragma: no cover - compiled
    out_time = np.empty_like(time)
    out_codes = np.empty_like(codes)
    for i in range(position.size):
        at = cursor[position[i]]
        cursor[position[i]] = at + 1
        out_time[at] = time[i]
        out_codes[at] = codes[i]
    return out_time, out_codes


def by_position(
    position: NDArray[np.int64], counts: NDArray[np.int64], time: NDArray[np.float64], codes: NDArray[np.int16]
) -> tuple[NDArray[np.float64], NDArray[np.int16]]:
    """(time, codes) of records in recording order, stably sorted by roster `position` (`counts`: records per
    position): a counting sort in one pass."""
    cursor = np.cumsum(counts)
    cursor -= counts
    result: tuple[NDArray[np.float64], NDArray[np.int16]] = _counting_sort(position, cursor, time, codes)
    return result


@_jit
def _first_exposures(
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    first: NDArray[np.int64],
    last: NDArray[np.int64],
    draw: NDArray[np.float64],
    lam: NDArray[np.float64],
    base: NDArray[np.float64],
    tables: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]],
    per_cell: float,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:  # pragma: no cover - compiled
    cum, upper, rate, grid = tables
    cells = grid.size - 1
    n_days = lam.size
    seen = np.empty(start.size, np.int64)
    times = np.empty(start.size)
    k = 0
    for i in range(start.size):
        lo = lam[first[i]] * start[i]
        lo = lo + base[first[i]]
        span = lam[last[i]] * end[i]
        span = span + base[last[i]]
        span = span - lo
        if not draw[i] < span:
            continue
        at = lo + draw[i]
        cell = np.int64(at * per_cell)
        day = grid[cell if cell < cells else cells - 1]
        if upper[day] <= at or cum[day] > at:
            day = min(np.searchsorted(cum, at, side="right") - 1, n_days - 1)
        t = at - cum[day]
        t = t / rate[day]
        t = t + day
        t = max(t, start[i])
        if t >= end[i]:
            t = np.nextafter(end[i], -np.inf)
        seen[k] = i
        times[k] = t
        k += 1
    return seen[:k], times[:k]


def first_exposures(
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    first: NDArray[np.int64],
    last: NDArray[np.int64],
    draw: NDArray[np.float64],
    intensity: Any,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """`exposures._first`'s (position, time) for the stays [start, end) with their first and last days and one
    standard exponential `draw` each, at `intensity` (an `exposures.Intensity`)."""
    it = intensity
    result: tuple[NDArray[np.int64], NDArray[np.float64]] = _first_exposures(
        start, end, first, last, draw, it.lam, it.base, (it.cum, it.upper, it.rate, it.grid), it.per_cell
    )
    return result
