"""Sorts of millions of rows by value sorts of packed keys: numpy sorts values with SIMD, argsorts much slower, so
an order is packed into the low bits of a value and split back after one value sort (same order, 3-7x faster)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def stable_order(key: NDArray[np.int64]) -> NDArray[np.intp]:
    """The stable argsort of non-negative integer `key` (`stable_sort`)."""
    return stable_sort(key)[0]


def stable_sort(key: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """(the stable argsort of non-negative integer `key`, `key` in that order): one sort of the values of the unique
    keys key << b | i (2^b > n), each split back into key and i; the same order as numpy's stable (merge) sort,
    about seven times as fast on millions of rows."""
    n = key.size
    bits = max(n - 1, 1).bit_length()
    if n == 0 or int(key.max()) >= 1 << (63 - bits):
        order = np.argsort(key, kind="stable")
        return order, key[order].astype(np.int64, copy=False)
    packed = key.astype(np.int64) << bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    sorted_key = packed >> bits
    packed &= (1 << bits) - 1
    return packed, sorted_key


def time_order(time: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """(an order of non-negative finite `time`, `near`): `time[order]` ascends except possibly within runs of
    neighbours flagged in `near` (near[i]: rows i and i + 1 of the order may be out of order or tied). One value sort
    of floor(time x scale) << b | i, the scaled time taking the bits the row number leaves; distinct times closer
    than 1 / scale share a key, so the caller re-sorts the flagged runs (a few, and every exact tie)."""
    n = time.size
    bits = max(n - 1, 1).bit_length()
    top = float(time.max()) if n else 0.0
    if n == 0 or not np.isfinite(top) or float(time.min()) < 0.0 or bits > 40:
        order = np.argsort(time)
        ordered = time[order]
        return order, ordered[1:] <= ordered[:-1] if n else np.zeros(0, bool)
    scale = float(1 << (62 - bits)) / (top + 1.0)  # floor(top x scale) < 2^(62 - b): the packed key fits in int64
    packed = (time * scale).astype(np.int64)
    packed <<= bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    coarse = packed >> bits
    near = coarse[1:] == coarse[:-1]
    packed &= (1 << bits) - 1
    return packed, near


def in_runs(near: NDArray[np.bool_]) -> NDArray[np.intp]:
    """The positions of an order that lie in a run of neighbours flagged by `time_order` (both ends of each pair)."""
    flagged = np.zeros(near.size + 1, bool)
    flagged[1:] |= near
    flagged[:-1] |= near
    return np.flatnonzero(flagged)
