"""The CTMC generator of per-day hazards: one definition for the chain, the bottleneck finder and anything else."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def generator(rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """Generator Q of a rate matrix (n, n) or a stack of them (..., n, n): the rates with minus their row sums on
    the diagonal, so every row sums to zero. The rates' own diagonal is expected to be zero."""
    n = rates.shape[-1]
    q = np.array(rates, dtype=np.float64, copy=True)
    q[..., np.arange(n), np.arange(n)] -= rates.sum(axis=-1)
    return q
