"""Counter-based random numbers: customer c's k-th draw is a pure function of (c's stream key, k).

Why: a customer's journey then uses the same uniforms whichever engine runs it, however the population is
batched, whatever other customers do and whether or not other customers exist; this gives common random
numbers across scenarios and exact agreement between the vectorised and the per-customer engine. The mixer is
SplitMix64's finaliser (a bijection on 64-bit words with full avalanche); the root keys come from
`numpy.random.SeedSequence`, and each customer's key from its stable identity (see `Plan`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
STEP = 0xD1B54A32D192ED03
MASK64 = (1 << 64) - 1
STEP_INVERSE = pow(STEP, -1, 1 << 64)  # STEP is odd, so the position of a draw gives back its counter
_INV32 = 1.0 / 4294967296.0
_U = np.uint64
# (x + 0.5) / 2^32 for a 32-bit x, built as the double 1 + (x + 0.5) / 2^32 (x in mantissa bits 51..20, 1/2 at bit
# 19) minus 1: exact, and the same value as `uniform_pair`'s conversion without an integer-to-float cast
_MANTISSA = _U(0x000FFFFFFFF00000)
_ONE_AND_HALF_ULP = _U(0x3FF0000000080000)


def children(seq: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """The first n children `seq.spawn(n)` would give, without touching `seq`'s spawn counter.

    `SeedSequence.spawn` is stateful; deriving children from (entropy, spawn_key) keeps compiling the same seed
    twice identical, whoever else has spawned from it.
    """
    return [
        np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, i), pool_size=seq.pool_size) for i in range(n)
    ]


def stream_key(seq: np.random.SeedSequence) -> np.uint64:
    """A 64-bit key owned by one seed sequence."""
    return _U(seq.generate_state(1, dtype=np.uint64)[0])


def finalise(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser, in place; returns `x`."""
    x ^= x >> _U(30)
    x *= _U(M1)
    x ^= x >> _U(27)
    x *= _U(M2)
    x ^= x >> _U(31)
    return x


def customer_keys(identity: NDArray[np.integer], key: np.uint64) -> NDArray[np.uint64]:
    """Per-customer stream keys from stable identities under a root key."""
    x = identity.astype(np.uint64) * _U(GOLDEN)
    x ^= key
    return finalise(x)


def child_keys(parent: NDArray[np.uint64], counter: NDArray[np.integer], salt: np.uint64) -> NDArray[np.uint64]:
    """Stream keys for customers created by a parent's counter-th draw (e.g. a referral)."""
    x = counter.astype(np.uint64)
    x *= _U(STEP)
    x ^= salt
    x = finalise(x)
    x ^= parent
    return finalise(x)


def draw_bits(ckey: NDArray[np.uint64], counter: NDArray[np.integer] | int) -> NDArray[np.uint64]:
    """64 random bits: the counter-th draw of the customers with these stream keys."""
    x = np.empty(ckey.shape, dtype=np.uint64)
    x[...] = np.asarray(counter, dtype=np.uint64)
    x += _U(1)
    x *= _U(STEP)
    x += ckey
    return finalise(x)


def positions(ckey: NDArray[np.uint64], counter: int) -> NDArray[np.uint64]:
    """Stream positions of the counter-th draws: `draw_bits(ckey, counter) == finalise(positions(ckey, counter))`.

    A position advances by `STEP` per draw, so an engine can keep positions instead of counters and keys.
    """
    x = ckey + _U(((counter + 1) * STEP) & MASK64)
    return x


def counters(ckey: NDArray[np.uint64], position: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The draw counters at these stream positions (inverse of `positions`)."""
    x = position - ckey
    x *= _U(STEP_INVERSE)
    x -= _U(1)
    return x


def draw_at(position: NDArray[np.uint64], out: NDArray[np.uint64], scratch: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """`finalise(position.copy())` written into `out`, with `scratch` (same length) for the shifts: no temporaries."""
    np.right_shift(position, _U(30), out=scratch)
    np.bitwise_xor(position, scratch, out=out)
    out *= _U(M1)
    np.right_shift(out, _U(27), out=scratch)
    out ^= scratch
    out *= _U(M2)
    np.right_shift(out, _U(31), out=scratch)
    out ^= scratch
    return out


def uniform_pair_into(
    bits: NDArray[np.uint64], hi: NDArray[np.float64], lo: NDArray[np.float64], scratch: NDArray[np.uint64]
) -> None:
    """`uniform_pair(bits)` written into `hi` and `lo` (bit for bit the same values), with `scratch` for the bits."""
    np.right_shift(bits, _U(12), out=scratch)
    scratch &= _MANTISSA
    scratch |= _ONE_AND_HALF_ULP
    np.subtract(scratch.view(np.float64), 1.0, out=hi)
    np.left_shift(bits, _U(20), out=scratch)
    scratch &= _MANTISSA
    scratch |= _ONE_AND_HALF_ULP
    np.subtract(scratch.view(np.float64), 1.0, out=lo)


def uniform_pair(bits: NDArray[np.uint64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two independent uniforms in (0, 1) from the high and low 32 bits."""
    hi = ((bits >> _U(32)).astype(np.float64) + 0.5) * _INV32
    lo = ((bits & _U(0xFFFFFFFF)).astype(np.float64) + 0.5) * _INV32
    return hi, lo


def draw_bits_scalar(ckey: int, counter: int) -> int:
    """`draw_bits` for one customer in plain integers (for the per-customer reference engine)."""
    x = (((counter + 1) * STEP) + ckey) & MASK64
    x ^= x >> 30
    x = (x * M1) & MASK64
    x ^= x >> 27
    x = (x * M2) & MASK64
    x ^= x >> 31
    return x


def uniform_pair_scalar(bits: int) -> tuple[float, float]:
    """`uniform_pair` for one 64-bit word."""
    return ((bits >> 32) + 0.5) * _INV32, ((bits & 0xFFFFFFFF) + 0.5) * _INV32


@dataclass(frozen=True)
class LogSample:
    """A share of customers picked by their stream key (the touch log's sample): customer c is picked when
    finalise(ckey_c ^ key) < share x 2^64, so the same customers are picked whatever the roster order,
    the engine, or the scenario run on the same seed (its counterfactuals included).
    `record_all`: an engine still records every customer's moves (the full event log was asked for too)."""

    key: int
    share: float
    record_all: bool = False

    @property
    def records_a_share(self) -> bool:
        """Whether an engine records only the picked customers' moves (a share below 1, not `record_all`)."""
        return self.share < 1.0 and not self.record_all

    def picks(self, ckey: NDArray[np.uint64]) -> NDArray[np.bool_]:
        """Whether each customer with these stream keys is in the sample."""
        if self.share >= 1.0:
            return np.ones(ckey.shape, bool)
        x = ckey ^ _U(self.key & MASK64)
        finalise(x)  # ckey is itself a finaliser output: one more round mixes the key in
        return x < _U(min(int(self.share * 2.0**64), MASK64))
