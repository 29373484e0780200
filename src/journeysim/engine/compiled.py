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
def _next_customer(i: int, j: int, t_cust: NDArray[np.int64], p_cust: NDArray[np.int64]) -> int:  # pragma: no cover
    """The customer of the next record: touch i or purchase j, whichever customer comes first."""
    return t_cust[i] if j >= p_cust.size or (i < t_cust.size and t_cust[i] < p_cust[j]) else p_cust[j]


@_jit
def _touch_next(
    i: int, j: int, c: int, t: tuple[NDArray[np.int64], NDArray[np.float64]], p: tuple[Any, ...]
) -> int:  # pragma: no cover - compiled
    """1: customer c's next record is touch i, 0: purchase j (a purchase at a touch's key comes after it), -1: c
    has none left."""
    t_cust, t_key = t
    p_cust, p_key = p[0], p[1]
    touch = i < t_cust.size and t_cust[i] == c
    bought = j < p_cust.size and p_cust[j] == c
    if touch and not (bought and p_key[j] < t_key[i]):
        return 1
    return 0 if bought else -1


@_jit
def _segments(
    t: tuple[NDArray[np.int64], NDArray[np.float64]],
    p: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]],
    out: tuple[Any, ...],
) -> int:  # pragma: no cover - compiled
    """Walk the merge of touches `t` (customer, key) and purchases `p` (customer, key, time), writing the rows
    and per-touch columns into `out` (None for a counting pass); the number of rows."""
    n_t, n_p = t[0].size, p[0].size
    i = j = r = 0
    while i < n_t or j < n_p:
        c = _next_customer(i, j, t[0], p[0])
        k = 0  # the customer's segment: its purchases so far
        open_at = -1  # the row of the segment being filled, -1 before its first touch
        step = _touch_next(i, j, c, t, p)
        while step >= 0:
            if step == 1:
                if open_at < 0:  # a segment's first touch opens its row
                    open_at = r
                    if out is not None:
                        out[0][r], out[1][r], out[2][r] = c, k, i
                    r += 1
                if out is not None:
                    out[3][open_at] += 1
                    out[5][i] = k
                i += 1
            else:  # the purchase closes segment k: its row, touched or not
                if open_at < 0:
                    if out is not None:
                        out[0][r], out[1][r], out[4][r] = c, k, j
                    r += 1
                elif out is not None:
                    out[4][open_at] = j
                    for m in range(out[2][open_at], i):
                        out[6][m] = True
                        out[7][m] = p[2][j]
                k += 1
                open_at = -1
                j += 1
            step = _touch_next(i, j, c, t, p)
    return r


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
    t, p = (t_cust, t_key), (p_cust, p_key, p_time)
    rows = _segments(t, p, None)
    out = (
        np.empty(rows, np.int64),  # customer
        np.empty(rows, np.int64),  # segment number
        np.zeros(rows, np.int64),  # first touch
        np.zeros(rows, np.int64),  # touches
        np.full(rows, -1, np.int64),  # converting purchase
        np.empty(t_cust.size, np.int64),  # per touch: segment number
        np.zeros(t_cust.size, np.bool_),  # converted
        np.full(t_cust.size, np.nan),  # conversion time
    )
    _segments(t, p, out)
    return out
