"""The funnel table: per stage, who reached it, who went deeper, who dropped out there and who is still there.

A customer's funnel span runs from the shallowest to the deepest non-terminal stage (journey order) they ever
visited, read from the `visited` bitmask. Counting from the shallowest visited stage (not from the top of the
journey) keeps customers already deep in the journey at day 0 (existing loyal customers) out of the top-of-funnel
rates, while `reached <= reached_or_beyond` still holds for every stage.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine.records import Records
from journeysim.metrics.common import PATTERN_BITS, bit_counts, ended_terminal_mask, memo, pattern_bits

FUNNEL_COLUMNS = (
    "stage",
    "order",
    "position",
    "reached",
    "reached_or_beyond",
    "advanced",
    "dropped",
    "in_progress",
    "stage_conversion_rate",
    "abandonment_rate",
    "transitions_in",
    "transitions_out",
    "at_horizon",
)


def _non_terminal_bits(records: Records) -> NDArray[np.uint64]:
    keep = 0
    for s in range(records.n_stages):
        if s not in records.terminal:
            keep |= 1 << s
    return records.customers.visited & np.uint64(keep)


def funnel_span(records: Records) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per customer (shallowest, deepest) non-terminal stage index ever visited; (-1, -1) if none (read-only)."""
    visited = records.customers.visited
    return memo(f"span{records.terminal}", (visited,), lambda: _span(records))


#: journeys of at most this many stages read each customer's span from a table of every visited pattern
_SPAN_TABLE_STAGES = 16


def _span(records: Records) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    visited = records.customers.visited
    n = records.n_stages
    if n <= _SPAN_TABLE_STAGES and (visited.size == 0 or int(visited.max()) < (1 << n)):
        shallow, deep = _span_table(n, tuple(sorted(records.terminal)))
        index = visited.astype(np.intp)
        return shallow[index], deep[index]  # the same numbers as `_span_of` each customer (one gather each)
    return _span_of(_non_terminal_bits(records), n)


@functools.lru_cache(maxsize=32)
def _span_table(n_stages: int, terminal: tuple[int, ...]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`_span_of` every visited pattern of a journey of `n_stages` stages (2**n_stages of them)."""
    keep = sum(1 << s for s in range(n_stages) if s not in terminal)
    return _span_of(np.arange(1 << n_stages, dtype=np.uint64) & np.uint64(keep), n_stages)


def _span_of(bits: NDArray[np.uint64], n_stages: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per bit pattern: the lowest and highest set bit's index; (-1, -1) for none."""
    lowest = bits & (~bits + np.uint64(1))  # the lowest set bit alone: a power of two, exact as a float
    shallow = np.frexp(lowest.astype(np.float64))[1].astype(np.int64) - 1
    if n_stages <= 53:  # below 2**53 the float is exact, so its exponent is the bit length
        deep = np.frexp(bits.astype(np.float64))[1].astype(np.int64) - 1
        return shallow, deep
    deep = np.full(bits.shape[0], -1, dtype=np.int64)
    for s in range(n_stages):
        deep[((bits >> np.uint64(s)) & np.uint64(1)).astype(bool)] = s
    return shallow, deep


def _pattern_counts(records: Records) -> NDArray[np.int64] | None:
    """(2**S, 2): customers per visited pattern, by whether they ended terminal (one pass over the customers);
    None for journeys too long for a table of patterns."""
    c = records.customers
    return memo(f"patterns{records.terminal}", (c.visited, c.final_stage), lambda: _patterns(records))


def _patterns(records: Records) -> NDArray[np.int64] | None:
    visited, n = records.customers.visited, records.n_stages
    if n > PATTERN_BITS or (visited.size > 0 and int(visited.max()) >= (1 << n)):
        return None
    ended = ended_terminal_mask(records)
    key = visited.astype(np.intp) * 2 + ended
    return np.bincount(key, minlength=2 << n).reshape(-1, 2).astype(np.int64)


def _span_counts(records: Records) -> tuple[NDArray[np.int64], ...]:
    """Per stage: spans starting there, spans ending just before it (both of length S + 1), then the customers
    whose deepest stage it is who ended terminal (dropped) and who did not (in progress), and who visited it."""
    n_st = records.n_stages
    counts = _pattern_counts(records)
    if counts is None:
        shallow, deep = funnel_span(records)
        valid = deep >= 0
        ended = ended_terminal_mask(records)
        return (
            np.bincount(shallow[valid], minlength=n_st + 1).astype(np.int64),
            np.bincount(deep[valid] + 1, minlength=n_st + 1).astype(np.int64),
            np.bincount(deep[valid & ended], minlength=n_st)[:n_st].astype(np.int64),
            np.bincount(deep[valid & ~ended], minlength=n_st)[:n_st].astype(np.int64),
            bit_counts(records.customers.visited, n_st),
        )
    shallow, deep = _span_table(n_st, tuple(sorted(records.terminal)))
    valid = deep >= 0
    both = counts.sum(axis=1)
    out = [np.zeros(n_st + 1, dtype=np.int64) for _ in range(2)] + [np.zeros(n_st, dtype=np.int64) for _ in range(2)]
    np.add.at(out[0], shallow[valid], both[valid])
    np.add.at(out[1], deep[valid] + 1, both[valid])
    np.add.at(out[2], deep[valid], counts[valid, 1])
    np.add.at(out[3], deep[valid], counts[valid, 0])
    return (*out, both @ pattern_bits(n_st))


def funnel_table(records: Records) -> pd.DataFrame:
    """One row per stage in journey order with reach, advance, drop-out and flow counts and the stage rates.

    Non-terminal stage s: reached_or_beyond = customers whose span covers s; advanced = span covers s and goes
    deeper; dropped = deepest stage is s and the customer ended terminal; in_progress = deepest stage is s and
    the customer is still active. stage_conversion_rate = advanced / reached_or_beyond (NaN for the deepest
    non-terminal stage, which has nowhere to advance to); abandonment_rate = dropped / reached_or_beyond.
    Terminal stages: reached_or_beyond = reached, zero advanced / dropped / in_progress, NaN rates.
    """
    n_st = records.n_stages
    c = records.customers
    starts, ends, dropped, in_progress, reached = _span_counts(records)
    cover = np.cumsum(starts - ends)[:n_st].astype(np.int64)
    advanced = cover - dropped - in_progress
    terminal = np.zeros(n_st, dtype=bool)
    terminal[list(records.terminal)] = True
    reached_or_beyond = np.where(terminal, reached, cover)
    for arr in (advanced, dropped, in_progress):
        arr[terminal] = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.where(reached_or_beyond > 0, reached_or_beyond, 1)
        conv = np.where((reached_or_beyond > 0) & ~terminal, advanced / denom, np.nan)
        aband = np.where((reached_or_beyond > 0) & ~terminal, dropped / denom, np.nan)
    non_terminal = np.flatnonzero(~terminal)
    if non_terminal.size:
        conv[non_terminal[-1]] = np.nan
    totals = records.transition_counts()
    final = c.final_stage[c.final_stage < n_st].astype(np.int64)
    return pd.DataFrame(
        {
            "stage": list(records.stages),
            "order": np.arange(n_st, dtype=np.int64),
            "position": list(records.positions),
            "reached": reached,
            "reached_or_beyond": reached_or_beyond.astype(np.int64),
            "advanced": advanced,
            "dropped": dropped,
            "in_progress": in_progress,
            "stage_conversion_rate": conv.astype(float),
            "abandonment_rate": aband.astype(float),
            "transitions_in": totals.sum(axis=0).astype(np.int64),
            "transitions_out": totals[:n_st].sum(axis=1).astype(np.int64),
            "at_horizon": np.bincount(final, minlength=n_st)[:n_st].astype(np.int64),
        },
        columns=list(FUNNEL_COLUMNS),
    )


def stage_advances(records: Records) -> int:
    """Stages passed, summed over customers: the funnel table's `advanced` column summed (net funnel progress).

    Per customer, the number of non-terminal stages from the shallowest (included) to the deepest (excluded).
    """
    rank = np.cumsum([0] + [0 if s in records.terminal else 1 for s in range(records.n_stages)])
    counts = _pattern_counts(records)
    if counts is not None:  # per visited pattern, times its customers
        shallow, deep = _span_table(records.n_stages, tuple(sorted(records.terminal)))
        valid = deep >= 0
        return int((counts.sum(axis=1)[valid] * (rank[deep[valid]] - rank[shallow[valid]])).sum())
    shallow, deep = funnel_span(records)
    valid = deep >= 0
    return int((rank[deep[valid]] - rank[shallow[valid]]).sum())
