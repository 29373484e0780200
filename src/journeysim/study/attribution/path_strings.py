"""Path strings (`c1 > c2 > c3`) of many path segments, each distinct path joined once.

A million segments hold a few ten thousand distinct paths, so joining every segment's channel names costs most
of the time. A segment of up to `WORD` touches packs into one 64-bit word (one byte per touch, the channel's
number from 1, zero bytes past its end); the words are dictionary-encoded, each distinct word is joined once, and
the segments take their string from those. A longer segment (rare) joins its first WORD touches' string to its
rest's, found the same way; with more channels than a byte numbers, every segment is joined on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
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
    return _distinct(_eight_bytes(codes), names, starts, lens)


def packed_words(codes: NDArray[np.integer], starts: NDArray[np.integer], lens: NDArray[np.integer]) -> NDArray[Any]:
    """Each segment's first `WORD` channel numbers (code + 1) packed in a uint64, a byte each, the first touch in
    the lowest byte; the bytes past the segment's end are zero (a segment of more touches keeps its first WORD)."""
    return _words(_eight_bytes(codes), starts, lens)


def _eight_bytes(codes: NDArray[np.integer]) -> NDArray[Any]:
    """The 8 bytes from each touch on (channel numbers, code + 1) as one little-endian uint64 per touch."""
    step = np.zeros(codes.size + WORD, np.uint8)  # zero past the last touch: an 8-byte read never leaves it
    step[: codes.size] = codes + 1
    return np.ndarray((codes.size + 1,), dtype="<u8", buffer=step, strides=(1,))


def _words(at: NDArray[Any], starts: NDArray[np.integer], lens: NDArray[np.integer]) -> NDArray[Any]:
    """`packed_words` from the packed bytes `at` (`_eight_bytes`)."""
    words: NDArray[Any] = at[starts]  # indexing, not take: take copies a strided array whole first
    words &= _KEEP.take(lens, mode="clip")  # a longer segment: its first WORD
    return words


def _distinct(
    at: NDArray[Any], names: Sequence[str], starts: NDArray[np.integer], lens: NDArray[np.integer]
) -> pa.StringArray:
    """`path_strings` from the packed bytes `at`: each distinct word joined once."""
    encoded = pc.dictionary_encode(pa.array(_words(at, starts, lens)))  # arrow's hash: faster than factorize here
    distinct = encoded.dictionary.to_numpy()
    strings = _unpacked(distinct, names)
    (long,) = np.nonzero(lens > WORD)
    if not long.size:
        return strings.take(encoded.indices)
    # a longer segment: its first WORD touches' string (a distinct word's), then the rest's (the same way)
    index = encoded.indices.to_numpy().copy()
    rest = _distinct(at, names, starts[long] + WORD, lens[long] - WORD)
    joined = pc.binary_join_element_wise(strings.take(pa.array(index[long])), rest, SEPARATOR)
    index[long] = distinct.size + np.arange(long.size)
    return pa.concat_arrays([strings, joined]).take(pa.array(index))


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
