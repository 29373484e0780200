"""Linear algebra on a chain: hitting probabilities and times, closed classes, Van Loan integrals of exp(Qt).

Everything here is exact for a CTMC; the infinite-horizon pieces (hitting, fundamental matrix) depend on the
holding times only through their means, so they stay exact for semi-Markov journeys as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import linalg
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from journeysim.analytic.chain import Chain


def can_reach(rates: NDArray[np.float64], targets: Sequence[int]) -> NDArray[np.bool_]:
    """Mask of stages from which some target can be reached through positive rates (targets included)."""
    n = rates.shape[0]
    mask = np.zeros(n, dtype=bool)
    mask[list(targets)] = True
    todo = list(targets)
    while todo:
        j = todo.pop()
        (sources,) = np.nonzero((rates[:, j] > 0) & ~mask)
        mask[sources] = True
        todo.extend(int(i) for i in sources)
    return mask


def reachable(rates: NDArray[np.float64], start: int) -> NDArray[np.bool_]:
    """Mask of stages reachable from `start` through positive rates (`start` included)."""
    return can_reach(rates.T, [start])


def hitting(chain: Chain, targets: Sequence[int]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per stage i: h_i = P(ever in `targets`) and m_i = E[T 1{T < inf}] with T the hitting time (0 on targets).

    h solves h_i = sum_j P_ij h_j off the targets, m solves m_i = h_i / q_i + sum_j P_ij m_j; both are restricted
    to stages that can reach a target, where I - P is non-singular.
    """
    n = chain.n_stages
    tgt = np.zeros(n, dtype=bool)
    tgt[list(targets)] = True
    live = can_reach(chain.rates, targets) & ~tgt
    h = tgt.astype(np.float64)
    m = np.zeros(n)
    if live.any():
        p = chain.jump_matrix
        a = np.eye(int(live.sum())) - p[np.ix_(live, live)]
        h[live] = np.linalg.solve(a, p[np.ix_(live, tgt)].sum(axis=1))
        m[live] = np.linalg.solve(a, h[live] / chain.total[live])
    return h, m


def first_passage(chain: Chain, targets: Sequence[int], start: int) -> tuple[float, float]:
    """(P(an entry into `targets` after time 0), E[time of that entry; it happens]) from `start`.

    From a start outside the targets this is the hitting probability; from a start inside, the first jump is
    taken first (the start itself is not an entry).
    """
    h, m = hitting(chain, targets)
    if start not in set(targets):
        return float(h[start]), float(m[start])
    q = chain.total[start]
    if q <= 0:
        return 0.0, 0.0
    p = chain.jump_matrix[start]
    hs = float(p @ h)
    return hs, float(hs / q + p @ m)


def passage_generator(chain: Chain, targets: Sequence[int], start: int) -> NDArray[np.float64]:
    """Generator on S + 1 states: the targets made absorbing plus, as the last state, a copy of `start`.

    The copy keeps the start's outgoing rates, so "in a target by time t from the copy" is "an entry into a
    target in (0, t]" also when the start is itself a target.
    """
    n = chain.n_stages
    rates = np.zeros((n + 1, n + 1))
    rates[:n, :n] = chain.rates
    rates[list(targets), :] = 0.0
    rates[n, :n] = chain.rates[start]
    return np.asarray(rates - np.diag(rates.sum(axis=1)), dtype=np.float64)


def _van_loan_block(q: NDArray[np.float64], order: int) -> NDArray[np.float64]:
    """The block matrix [[Q, I, 0], [0, 0, I], [0, 0, 0]] (up to `order` identity blocks) of a generator or of a
    stack of generators (..., n, n); its exponential holds Van Loan's integrals along its first block row."""
    n = q.shape[-1]
    k = order + 1
    big = np.zeros((*q.shape[:-2], k * n, k * n))
    big[..., :n, :n] = q
    for b in range(order):
        big[..., b * n : (b + 1) * n, (b + 1) * n : (b + 2) * n] = np.eye(n)
    return big


def van_loan(q: NDArray[np.float64], t: float, order: int = 1) -> list[NDArray[np.float64]]:
    """[exp(Qt), int_0^t exp(Qu) du, int_0^t (t - u) exp(Qu) du][: order + 1] from one block-matrix exponential.

    exp of [[Q, I, 0], [0, 0, I], [0, 0, 0]] t has these blocks along its first block row (Van Loan 1978).
    """
    n = q.shape[0]
    e = linalg.expm(_van_loan_block(q, order) * t)
    return [np.asarray(e[:n, b * n : (b + 1) * n], dtype=np.float64) for b in range(order + 1)]


#: Pade approximant of degree 13 for exp (Higham 2005, "The scaling and squaring method for the matrix
#: exponential revisited"), and the 1-norm up to which it is accurate to double precision without scaling.
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
    10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)  # fmt: skip
_THETA13 = 5.371920351148152


def expm_stack(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """exp of every matrix in a stack (..., n, n): scaling and squaring with the degree-13 Pade approximant.

    numpy only (batched matmul and solve): no per-matrix Python call and none of scipy's LAPACK calls, whose
    threaded solves stall for milliseconds each when every core is busy (a sweep). One scaling for the whole
    stack, so identical matrices give identical results.
    """
    n = a.shape[-1]
    norm = float(np.abs(a).sum(axis=-2).max()) if a.size else 0.0
    s = max(0, math.ceil(math.log2(norm / _THETA13))) if norm > _THETA13 else 0
    a = a / 2.0**s
    b = _PADE13
    eye = np.broadcast_to(np.eye(n), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    e = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        e = e @ e
    return np.asarray(e, dtype=np.float64)


def van_loan_stack(q: NDArray[np.float64], order: int) -> list[NDArray[np.float64]]:
    """`van_loan` with t = 1 for a stack of generators (B, n, n) at once, with `expm_stack`."""
    n = q.shape[-1]
    e = expm_stack(_van_loan_block(q, order))
    return [e[:, :n, j * n : (j + 1) * n] for j in range(order + 1)]


def closed_classes(rates: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Mask of stages in a closed communicating class (absorbing stages or loops that are never left)."""
    adj = csr_matrix(rates > 0)
    _, labels = connected_components(adj, directed=True, connection="strong")
    leaves = np.zeros(labels.max() + 1, dtype=bool)
    src, dst = np.nonzero(rates > 0)
    leaves[labels[src[labels[src] != labels[dst]]]] = True
    return np.asarray(~leaves[labels], dtype=bool)


def expected_visits_vector(chain: Chain, start: int) -> NDArray[np.float64]:
    """Expected number of visits to each stage from `start` (the start visit counted); inf for recurrent loops.

    Transient stages: row of the fundamental matrix N = (I - P_TT)^-1. A stage with no way out is entered at most
    once, so its visits are the probability of absorption there. Stages of a closed loop that is reached are
    visited infinitely often.
    """
    n = chain.n_stages
    closed = closed_classes(chain.rates)
    absorbing = chain.total <= 0
    reach = reachable(chain.rates, start)
    out = np.zeros(n)
    if closed[start]:
        if absorbing[start]:
            out[start] = 1.0
        else:
            out[reach] = np.inf
        return out
    trans = ~closed
    p = chain.jump_matrix
    ti = np.flatnonzero(trans)
    fund_row = np.linalg.solve((np.eye(ti.size) - p[np.ix_(trans, trans)]).T, (ti == start).astype(np.float64))
    out[trans] = fund_row
    out[closed & absorbing] = (fund_row @ p[np.ix_(trans, closed & absorbing)]) if (closed & absorbing).any() else 0
    out[closed & ~absorbing & reach] = np.inf
    return out
