"""Path strings (`c1 > c2 > c3`) of many path segments, each distinct path joined once.

A million segments hold a few ten thousand distinct paths, so joining every segment's channel names costs most
of the time. A segment of up to `WORD` touches packs into one 64-bit word (one byte per touch, the channel's
number from 1, zero bytes past its end); the words are factorized, each distinct word is joined once, and the
segments take their string from those. Longer segments (rare) are joined one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

SEPARATOR = " > "
#: touches a packed word holds (one byte each)
WORD = 8
#: the word's bytes of a segment of k touches (k = 0 ... WORD), little-endian: the first touch in the lowest byte
_KEEP = np.array([(1 << (8 * k)) - 1 for k in range(WORD + 1)], dtype=np.uint64)


def path_strings(
    codes: NDArray[np.integer], names: Sequence[str], starts: NDArray[np.integer], lens: NDArray[np.integer]
) -> pa.StringArray:
    """One path string per segment: segment i is the touches `starts[i]` ... `starts[i] + lens[i] - 1`, whose
    channels are `names[codes[touch]]`, joined by `SEPARATOR` (an empty segment: "")."""
    if len(names) >= 256:  # a channel number does not fit a byte: every segment joined on its own
        return _joined(codes, names, starts, lens)
    words = packed_words(codes, starts, lens)
    index, distinct = pd.factorize(words)
    (long,) = np.nonzero(lens > WORD)
    strings = [_unpacked(distinct, names)]
    if long.size:  # their words hold only their first WORD touches: a string each, after the distinct ones
        index[long] = distinct.size + np.arange(long.size)
        strings.append(_joined(codes, names, starts[long], lens[long]))
    return pa.concat_arrays(strings).take(pa.array(index))


def packed_words(codes: NDArray[np.integer], starts: NDArray[np.integer], lens: NDArray[np.integer]) -> NDArray[Any]:
    """Each segment's first `WORD` channel numbers (code + 1) packed in a uint64, a byte each, the first touch in
    the lowest byte; the bytes past the segment's end are zero (a segment of more touches keeps its first WORD)."""
    step = np.zeros(codes.size + WORD, np.uint8)  # zero past the last touch: an 8-byte read never leaves it
    step[: codes.size] = codes + 1
    at = np.ndarray((codes.size + 1,), dtype="<u8", buffer=step, strides=(1,))  # the 8 bytes from each touch on
    words: NDArray[Any] = at[starts]
    words &= _KEEP[np.minimum(lens, WORD)]
    return words


def _unpacked(words: NDArray[Any], names: Sequence[str]) -> pa.StringArray:
    """The path string of each packed word."""
    steps = np.ascontiguousarray(words, dtype="<u8").view(np.uint8).reshape(-1, WORD)
    kept = steps != 0  # a word's touches are its first nonzero bytes
    offsets = np.zeros(words.size + 1, np.int64)
    np.cumsum(kept.sum(axis=1), out=offsets[1:])
    return _join(steps[kept].astype(np.int64) - 1, names, offsets)


def _joined(
    codes: NDArray[np.integer], names: Sequence[str], starts: NDArray[np.integer], lens: NDArray[np.integer]
) -> pa.StringArray:
    """The path string of each segment, joined on its own."""
    offsets = np.zeros(starts.size + 1, np.int64)
    np.cumsum(lens, out=offsets[1:])
    touch = np.arange(offsets[-1], dtype=np.int64) + np.repeat(starts - offsets[:-1], lens)
    return _join(codes[touch].astype(np.int64), names, offsets)


def _join(codes: NDArray[np.int64], names: Sequence[str], offsets: NDArray[np.int64]) -> pa.StringArray:
    """`names[codes]` cut at `offsets` into lists, each joined by SEPARATOR."""
    step = pa.array(list(names), pa.string()).take(pa.array(codes))
    lists = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), step)
    joined: pa.StringArray = pc.binary_join(lists, SEPARATOR)
    return joined
