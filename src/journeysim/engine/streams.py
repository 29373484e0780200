"""Counter-based random numbers: the k-th draw of customer c is a pure function of (stream key, c, k).

Why: a customer's journey then uses the same uniforms whichever engine runs it, however the population is
batched, and whatever other customers do, which gives common random numbers across scenarios and exact
agreement between the vectorised and the per-customer engine. The mixer is SplitMix64's finaliser, a
bijection on 64-bit words with full avalanche; stream keys come from `numpy.random.SeedSequence`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_COUNTER_BITS = np.uint64(24)
_INV32 = 1.0 / 4294967296.0


def stream_key(seq: np.random.SeedSequence) -> np.uint64:
    """A 64-bit key owned by one seed sequence."""
    return np.uint64(seq.generate_state(1, dtype=np.uint64)[0])


def mix(customer: NDArray[np.integer], counter: NDArray[np.integer] | int, key: np.uint64) -> NDArray[np.uint64]:
    """64 random bits for each (customer, counter) pair under `key`."""
    x = customer.astype(np.uint64) << _COUNTER_BITS
    x += np.asarray(counter).astype(np.uint64)
    x *= _GOLDEN
    x ^= key
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def uniform_pair(bits: NDArray[np.uint64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two independent uniforms in (0, 1) from the high and low 32 bits."""
    hi = ((bits >> np.uint64(32)).astype(np.float64) + 0.5) * _INV32
    lo = ((bits & np.uint64(0xFFFFFFFF)).astype(np.float64) + 0.5) * _INV32
    return hi, lo


def scalar_uniform_pair(customer: int, counter: int, key: np.uint64) -> tuple[float, float]:
    """`uniform_pair(mix(...))` for one customer; used by the per-customer reference engine."""
    hi, lo = uniform_pair(mix(np.array([customer]), counter, key))
    return float(hi[0]), float(lo[0])
