"""First-order Markov-chain attribution with removal effects, solved exactly on the absorbing chain.

States: start, one per channel, conversion, null. Transition probabilities are the path table's step counts
(start -> first channel, each channel -> the next, the last channel -> conversion or null, weighted by the path's
conversions and nulls). P(conversion) is the absorption probability from start, B = (I - Q)^-1 R (fundamental
matrix). Removing channel c sends every move into c to null; its removal effect is 1 - P_without_c / P, and the
channel's credit is total conversions x its removal effect / the sum of removal effects (docs/attribution.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def transition_counts(
    paths: Sequence[Sequence[int]], conversions: Sequence[float], nulls: Sequence[float], n_channels: int
) -> NDArray[np.float64]:
    """(C + 1, C + 3) weighted step counts (channel indices in `paths` are 0-based): rows are start (0) and the
    channels (1..C); columns the same states (column 0, start, is never entered), then conversion, then null."""
    counts = np.zeros((n_channels + 1, n_channels + 3))
    conv_col, null_col = n_channels + 1, n_channels + 2
    for path, conv, null in zip(paths, conversions, nulls, strict=True):
        weight = float(conv) + float(null)
        if not path or weight == 0:
            continue
        states = [0, *(c + 1 for c in path)]
        for a, b in itertools.pairwise(states):
            counts[a, b] += weight
        counts[states[-1], conv_col] += float(conv)
        counts[states[-1], null_col] += float(null)
    return counts


def conversion_probability(counts: NDArray[np.float64], removed: int | None = None) -> float:
    """P(absorbed in conversion | start) of the chain of `counts` (removing channel index `removed`, 0-based)."""
    n = counts.shape[0]  # transient states: start and channels
    c = counts.copy()
    if removed is not None:
        c[:, n + 1] += c[:, removed + 1]  # moves into the removed channel end in null
        c[:, removed + 1] = 0.0
        c[removed + 1, :] = 0.0
    out = c.sum(axis=1)
    p = np.divide(c, out[:, None], out=np.zeros_like(c), where=out[:, None] > 0)
    q, r = p[:, :n], p[:, n]
    absorbed = np.linalg.solve(np.eye(n) - q, r)
    return float(absorbed[0])


def removal_effects(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per channel: 1 - P(conversion without it) / P(conversion) (0 when nothing converts)."""
    base = conversion_probability(counts)
    n_channels = counts.shape[0] - 1
    if base <= 0:
        return np.zeros(n_channels)
    return np.array([1.0 - conversion_probability(counts, c) / base for c in range(n_channels)])


def markov_credit(
    paths: Sequence[Sequence[int]], conversions: Sequence[float], nulls: Sequence[float], n_channels: int
) -> NDArray[np.float64]:
    """Conversions credited to each channel: total conversions split in proportion to the removal effects."""
    effects = removal_effects(transition_counts(paths, conversions, nulls, n_channels))
    total = float(np.sum(conversions))
    s = effects.sum()
    return total * effects / s if s > 0 else np.zeros(n_channels)
