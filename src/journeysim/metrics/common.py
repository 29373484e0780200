"""Shared helpers for metrics: NaN-safe ratios and per-customer masks used by several metric modules."""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.records import Records

T = TypeVar("T")

#: per-customer arrays several metrics need (masks, spans), by what and the arrays they are computed from: each
#: entry keeps weak references to its sources and counts only while those very arrays are alive
_MEMO: dict[tuple[str, tuple[int, ...]], tuple[tuple[weakref.ref[Any], ...], Any]] = {}
_MEMO_KEPT = 16


def memo(what: str, sources: tuple[NDArray[Any], ...], compute: Callable[[], T]) -> T:
    """`compute()`, remembered for `what` of these very source arrays (a replication's metrics ask for the same
    masks a dozen times); treat the result as read-only. Records are not changed after a run, so the value is the
    one `compute()` gives again (arrays come back read-only)."""
    key = (what, tuple(id(a) for a in sources))
    hit = _MEMO.get(key)
    if hit is not None and all(r() is a for r, a in zip(hit[0], sources, strict=True)):
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    for part in value if isinstance(value, tuple) else (value,):
        if isinstance(part, np.ndarray):
            part.flags.writeable = False  # shared from now on: an in-place change would raise, not spread
    for dead in [k for k, (refs, _) in _MEMO.items() if any(r() is None for r in refs)]:
        del _MEMO[dead]  # its records are gone: nothing can ask again, so its arrays are not kept alive
    if len(_MEMO) >= _MEMO_KEPT:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = (tuple(weakref.ref(a) for a in sources), value)
    return value


def ratio(numerator: float, denominator: float) -> float:
    """`numerator / denominator` as a float; NaN (never an exception) when the denominator is zero or NaN."""
    num, den = float(numerator), float(denominator)
    if den == 0.0 or math.isnan(den) or math.isnan(num):
        return math.nan
    return num / den


def in_stages(stages: NDArray[np.int16], members: tuple[int, ...]) -> NDArray[np.bool_]:
    """Per customer: is the given stage index one of `members` (a lookup table, cheaper than `np.isin`)."""
    size = max(int(stages.max(initial=0)), *members, 0) + 1
    table = np.zeros(size, dtype=bool)
    table[list(members)] = True
    return table[stages]


#: (256, 8): bit k of each byte value
_BYTE_BITS = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(np.int64)


#: bit patterns of at most this many bits are counted by one histogram of the patterns
PATTERN_BITS = 12


@functools.lru_cache(maxsize=16)
def pattern_bits(n: int) -> NDArray[np.int64]:
    """(2**n, n): bit k of each pattern."""
    return ((np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.int64)


def bit_counts(bits: NDArray[np.uint64], n: int) -> NDArray[np.int64]:
    """Per bit s < n: how many of `bits` have it set (exact; a histogram of each byte's 256 values weighted by the
    value's bits: one pass per 8 bits instead of one per bit)."""
    if n <= PATTERN_BITS and (bits.size == 0 or int(bits.max()) < (1 << n)):  # a histogram of the patterns
        return np.bincount(bits.astype(np.intp), minlength=1 << n) @ pattern_bits(n)
    out = np.zeros(n, dtype=np.int64)
    as_bytes = np.ascontiguousarray(bits, dtype="<u8").view(np.uint8).reshape(-1, 8)
    for b in range(min(8, -(-n // 8))):
        width = min(8, n - 8 * b)
        hist = np.bincount(as_bytes[:, b], minlength=256)
        out[8 * b : 8 * b + width] = hist @ _BYTE_BITS[:, :width]
    return out


def prospect_mask(records: Records) -> NDArray[np.bool_]:
    """Customers who started in a pre-purchase stage (the acquisition cohort)."""
    start = records.customers.start_stage
    return memo(f"prospect{records.pre_purchase}", (start,), lambda: in_stages(start, records.pre_purchase))


def buyer_mask(records: Records) -> NDArray[np.bool_]:
    """Customers with at least one purchase within the horizon."""
    purchases = records.customers.purchases
    return memo("buyer", (purchases,), lambda: purchases >= 1)


def ended_terminal_mask(records: Records) -> NDArray[np.bool_]:
    """Customers whose stage at the end of the horizon is terminal (churned / lost)."""
    final = records.customers.final_stage
    return memo(f"terminal{records.terminal}", (final,), lambda: in_stages(final, records.terminal))
