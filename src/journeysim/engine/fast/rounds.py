"""Per-round bookkeeping: parallel arrays filed under (pass, round), joined and put back in roster order, so
neither the calendar's order nor the batching changes a sum or a roster position."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Columns = tuple[NDArray[Any], ...]  # parallel arrays, the first one roster indices
ByRound = dict[tuple[int, int], list[Columns]]  # (pass, round) -> the columns filed there


def joined(parts: list[Columns]) -> Columns:
    """Concatenate, field by field, tuples of parallel arrays (the tuple itself when there is one)."""
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate([p[c] for p in parts]) for c in range(len(parts[0])))


def in_roster_order(parts: Columns) -> Columns:
    """Parallel arrays reordered by their first (roster indices), unless already in that order."""
    idx = parts[0]
    if idx.size < 2 or bool((idx[1:] > idx[:-1]).all()):
        return parts
    order = np.argsort(idx, kind="stable")
    return tuple(p[order] for p in parts)


def by_round(store: ByRound, rnd: int, joined_at: NDArray[np.intp] | None, parts: Columns) -> None:
    """File parallel arrays under (pass, round): pass 1 at loop round `rnd`; pass 2 (customers who joined the
    loop at round j > 0) at their own round, rnd - j."""
    if joined_at is None or not joined_at.any():
        store.setdefault((1, rnd), []).append(parts)
        return
    for j in np.unique(joined_at).tolist():
        m = joined_at == j
        store.setdefault((1, rnd) if j == 0 else (2, rnd - j), []).append(tuple(p[m] for p in parts))
