"""Compiled loops for the touch log's heaviest passes, used when numba is installed (`pip install
journeysim[fast]`): the same operations in the same order as the numpy code they stand in for, so a run gives the
same touches and paths, byte for byte, with or without them (tests/engine/test_compiled.py). Nothing else needs
them.

numba is imported, and each loop compiled (or loaded from numba's cache next to this file), on the loop's first
call, so a run that keeps no touch log pays nothing for it. `JOURNEYSIM_COMPILED=0` in the environment turns
them off (the numpy code runs).
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: whether numba is installed (found, not imported: importing it costs a run ~0.15 s)
AVAILABLE = importlib.util.find_spec("numba") is not None
#: whether the compiled loops may run (numba installed and not turned off); `enabled()` says whether they do
ENABLED = AVAILABLE and os.environ.get("JOURNEYSIM_COMPILED", "1") != "0"
_njit: Callable[..., Any] | None = None
_broken = False  # numba is installed but does not import (e.g. it does not support this numpy yet)


def enabled() -> bool:
    """Whether the compiled loops run: `ENABLED` and numba imports. An installed numba that does not import
    (say, too old for this numpy) turns them off with one warning: the numpy code gives the same touches."""
    global _njit, _broken
    if not ENABLED or _broken:
        return False
    if _njit is None:
        try:
            from numba import njit
        except Exception as exc:  # any failure to load numba: the numpy code runs
            _broken = True
            warnings.warn(f"numba does not load ({exc}); the touch log runs on numpy alone", stacklevel=2)
            return False
        _njit = njit
    return True


class _Lazy:
    """A loop compiled by numba on its first call (numba's cache makes that a load after the first run); call
    it only where `enabled()` holds."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.compiled: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self.compiled is None:
            assert _njit is not None, "compiled loops run only where compiled.enabled()"
            self.compiled = _njit(cache=True, nogil=True)(self.fn)
        return self.compiled(*args)


def _jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, compiled on its first call."""
    return _Lazy(fn)


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
    position: NDArray[np.int64], cursor: NDArray[np.int64], time: NDArray[np.float64], codes: NDArray[np.int16]
) -> tuple[NDArray[np.float64], NDArray[np.int16]]:
    """(time, codes) of records in recording order, stably sorted by roster `position` (`cursor`: each position's
    first slot in that order, advanced in place): a counting sort in one pass."""
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


@_jit
def _stays(
    c0: int,
    moves: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int16], NDArray[np.int16]],
    sampled: NDArray[np.bool_],
    start_stage: NDArray[np.int16],
    entry_time: NDArray[np.float64],
    n_stages: int,
    horizon: float,
) -> tuple[NDArray[np.int64], NDArray[np.int16], NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover
    customer, time, src, dst = moves
    n_mv, n_cust = customer.size, sampled.size
    arrived = np.zeros(n_cust, np.bool_)
    for i in range(n_mv):
        if src[i] == n_stages:
            arrived[customer[i] - c0] = True
    n_first = 0
    for c in range(n_cust):
        if sampled[c] and not arrived[c]:
            n_first += 1
    cust = np.empty(n_first + n_mv, np.int64)
    stage = np.empty(n_first + n_mv, dst.dtype)
    start = np.empty(n_first + n_mv)
    end = np.empty(n_first + n_mv)
    k, j = 0, 0
    for c in range(n_cust):
        if sampled[c] and not arrived[c]:
            while j < n_mv and customer[j] < c + c0:
                j += 1
            cust[k], stage[k], start[k] = c + c0, start_stage[c], entry_time[c]
            end[k] = time[j] if j < n_mv and customer[j] == c + c0 else horizon
            k += 1
    for i in range(n_mv):
        cust[k + i], stage[k + i], start[k + i] = customer[i], dst[i], time[i]
        end[k + i] = time[i + 1] if i + 1 < n_mv and customer[i + 1] == customer[i] else horizon
    return cust, stage, start, end


def stays(
    c0: int,
    c1: int,
    moves: Any,
    sampled: NDArray[np.bool_],
    start_stage: NDArray[np.integer],
    entry_time: NDArray[np.float64],
    n_stages: int,
    horizon: int,
) -> tuple[NDArray[Any], ...]:
    """`touches._stays`'s (customer, stage, start, end) of customers c0 <= c < c1 from their `moves` (an
    `engine.moves.Moves`, by customer then time) in one pass."""
    result: tuple[NDArray[Any], ...] = _stays(
        c0,
        (moves.customer, moves.time, moves.src, moves.dst),
        sampled[c0:c1],
        start_stage[c0:c1],
        entry_time[c0:c1].astype(float, copy=False),
        n_stages,
        float(horizon),
    )
    return result


@_jit
def _lifted(
    cell: NDArray[np.int64], compact: NDArray[np.int64], time: NDArray[np.float64], days: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    idx = np.empty(cell.size, np.int64)
    key = np.empty(cell.size, np.int64)
    k = 0
    for i in range(cell.size):
        row = compact[cell[i]]
        if row >= 0:
            idx[k] = i
            key[k] = row * days + min(np.int64(time[i]), days - 1)
            k += 1
    return idx[:k], key[:k]


def lifted(
    cell: NDArray[np.int64], compact: NDArray[np.int64], time: NDArray[np.float64], days: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`touch_causes.CauseTable.keys`'s (move index, table row) of the moves whose flat `cell` a channel lifts."""
    result: tuple[NDArray[np.int64], NDArray[np.int64]] = _lifted(cell, compact, time, days)
    return result


@_jit
def _in_band(
    idx: NDArray[np.int64],
    key: NDArray[np.int64],
    u: NDArray[np.float64],
    organic: NDArray[np.float64],
    share: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:  # pragma: no cover - compiled
    hit = np.empty(idx.size, np.int64)
    channel = np.empty(idx.size, np.int64)
    n_channels = share.shape[1]
    k = 0
    for i in range(idx.size):
        o = organic[key[i]]
        if u[i] >= o:
            v = (u[i] - o) / (1.0 - o)
            c = 0
            for j in range(n_channels):
                if v >= share[key[i], j]:
                    c += 1
            hit[k] = idx[i]
            channel[k] = min(c, n_channels - 1)
            k += 1
    return hit[:k], channel[:k]


def in_band(
    idx: NDArray[np.int64],
    key: NDArray[np.int64],
    u: NDArray[np.float64],
    organic: NDArray[np.float64],
    share: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`touch_causes.CauseTable.caused`'s (move index, channel) of the lifted moves whose uniform `u` fell in a
    channel's band."""
    result: tuple[NDArray[np.int64], NDArray[np.int64]] = _in_band(idx, key, u, organic, share)
    return result


@_jit
def _segments(
    t_cust: NDArray[np.int64],
    t_key: NDArray[np.float64],
    p_cust: NDArray[np.int64],
    p_key: NDArray[np.float64],
    p_time: NDArray[np.float64],
) -> tuple[Any, ...]:  # pragma: no cover - compiled
    n_t, n_p = t_cust.size, p_cust.size
    rows = 0  # first pass: the rows (a segment with touches, or a purchase's own)
    i = j = 0
    while i < n_t or j < n_p:
        c = t_cust[i] if j >= n_p or (i < n_t and t_cust[i] < p_cust[j]) else p_cust[j]
        open_seg = False
        while (i < n_t and t_cust[i] == c) or (j < n_p and p_cust[j] == c):
            if i < n_t and t_cust[i] == c and not (j < n_p and p_cust[j] == c and p_key[j] < t_key[i]):
                if not open_seg:
                    open_seg = True
                    rows += 1
                i += 1
            else:
                if not open_seg:
                    rows += 1
                open_seg = False
                j += 1
    customer = np.empty(rows, np.int64)
    number = np.empty(rows, np.int64)
    start = np.zeros(rows, np.int64)
    count = np.zeros(rows, np.int64)
    purchase = np.full(rows, -1, np.int64)
    t_number = np.empty(n_t, np.int64)
    t_converted = np.zeros(n_t, np.bool_)
    t_time = np.full(n_t, np.nan)
    i = j = r = 0
    while i < n_t or j < n_p:
        c = t_cust[i] if j >= n_p or (i < n_t and t_cust[i] < p_cust[j]) else p_cust[j]
        k = 0  # the customer's segment: its purchases so far
        open_at = -1  # the row of the segment being filled, -1 before its first touch
        while (i < n_t and t_cust[i] == c) or (j < n_p and p_cust[j] == c):
            if i < n_t and t_cust[i] == c and not (j < n_p and p_cust[j] == c and p_key[j] < t_key[i]):
                if open_at < 0:  # a segment's first touch opens its row
                    open_at = r
                    customer[r], number[r], start[r] = c, k, i
                    r += 1
                count[open_at] += 1
                t_number[i] = k
                i += 1
            else:  # the purchase closes segment k: its row, touched or not
                if open_at < 0:
                    customer[r], number[r], purchase[r] = c, k, j
                    r += 1
                else:
                    purchase[open_at] = j
                    for m in range(start[open_at], i):
                        t_converted[m] = True
                        t_time[m] = p_time[j]
                k += 1
                open_at = -1
                j += 1
    return customer, number, start, count, purchase, t_number, t_converted, t_time


def segments(
    t_cust: NDArray[np.int64],
    t_key: NDArray[np.float64],
    p_cust: NDArray[np.int64],
    p_key: NDArray[np.float64],
    p_time: NDArray[np.float64],
) -> tuple[NDArray[Any], ...]:
    """Path segments in one merge of touches and purchases, both by customer then key: per row (by customer, then
    segment) its customer, segment number, first touch, touches and converting purchase (-1: none); per touch
    its segment number, whether that converts and when (NaN: never). A purchase closes the customer's segment
    before the first touch with a greater key (a touch at the purchase's key belongs to it); a segment without
    touches is a purchase's own row."""
    result: tuple[NDArray[Any], ...] = _segments(t_cust, t_key, p_cust, p_key, p_time)
    return result
