"""Expected period counts of a CTMC with Poisson arrivals, given the occupancy a period starts with.

The mean occupancy m(t) obeys m' = m Q + lambda e_entry and the mean entries into stage j grow at
sum_i m_i(t) q_ij (+ lambda at the entry stage). Stacking z = (m, c, 1) gives one linear system z' = z A, so a
period of L days maps its start z0 = (occupancy, 0, 1) to z0 expm(A L): expected occupancy at the end and expected
entries during it, exactly (customers move independently, so the mean given the start is linear in it). The
derivatives with respect to log rates are Frechet derivatives of the same exponential (scipy.linalg.expm_frechet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import expm, expm_frechet

from journeysim.model.journey import Journey

ARRIVALS = "(arrivals)"


@dataclass(frozen=True)
class Parameters:
    """The free parameters of one segment's fit: journey edges (from, to) and the arrival rate, on a log scale."""

    stages: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    entry: int

    @classmethod
    def of(cls, journey: Journey) -> Parameters:
        rates = journey.rate_matrix()
        edges = tuple((int(i), int(j)) for i, j in zip(*np.nonzero(rates), strict=True))
        return cls(tuple(journey.stages), edges, journey.entry_index)

    @property
    def n(self) -> int:
        return len(self.edges) + 1

    def names(self) -> list[str]:
        """`from->to` per edge, then `(arrivals)`."""
        return [f"{self.stages[i]}->{self.stages[j]}" for i, j in self.edges] + [ARRIVALS]

    def rate_matrix(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        s = len(self.stages)
        r = np.zeros((s, s))
        for k, (i, j) in enumerate(self.edges):
            r[i, j] = np.exp(theta[k])
        return r

    def system(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """The (2S+1) x (2S+1) matrix A of z' = z A."""
        s = len(self.stages)
        r = self.rate_matrix(theta)
        a = np.zeros((2 * s + 1, 2 * s + 1))
        a[:s, :s] = r - np.diag(r.sum(axis=1))
        a[:s, s : 2 * s] = r
        lam = np.exp(theta[-1])
        a[2 * s, self.entry] = lam
        a[2 * s, s + self.entry] = lam
        return a

    def direction(self, theta: NDArray[np.float64], k: int) -> NDArray[np.float64]:
        """dA / d theta_k."""
        s = len(self.stages)
        d = np.zeros((2 * s + 1, 2 * s + 1))
        if k < len(self.edges):
            i, j = self.edges[k]
            q = np.exp(theta[k])
            d[i, j] += q
            d[i, i] -= q
            d[i, s + j] += q
        else:
            lam = np.exp(theta[-1])
            d[2 * s, self.entry] = lam
            d[2 * s, s + self.entry] = lam
        return d


def propagators(
    params: Parameters, theta: NDArray[np.float64], lengths: NDArray[np.float64], derivatives: bool = True
) -> tuple[dict[float, NDArray[np.float64]], dict[float, list[NDArray[np.float64]]]]:
    """expm(A L) for each distinct period length L, and its derivative along each parameter."""
    a = params.system(theta)
    out: dict[float, NDArray[np.float64]] = {}
    grads: dict[float, list[NDArray[np.float64]]] = {}
    for length in sorted(set(float(x) for x in lengths)):
        if not derivatives:
            out[length] = expm(a * length)
            continue
        ds = []
        for k in range(params.n):
            m, dm = expm_frechet(a * length, params.direction(theta, k) * length)
            ds.append(dm)
        out[length] = m
        grads[length] = ds
    return out, grads


def expected(
    params: Parameters,
    theta: NDArray[np.float64],
    start: NDArray[np.float64],
    lengths: NDArray[np.float64],
    derivatives: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Per period: expected (occupancy at the end (S), entries during it (S)) given the start occupancy (P, S),
    shape (P, 2S); with derivatives also (P, 2S, K)."""
    s = len(params.stages)
    props, grads = propagators(params, theta, lengths, derivatives)
    z0 = np.hstack([np.nan_to_num(start), np.zeros_like(start), np.ones((start.shape[0], 1))])
    mu = np.empty((start.shape[0], 2 * s))
    jac = np.empty((start.shape[0], 2 * s, params.n)) if derivatives else None
    for length in props:
        rows = np.flatnonzero(lengths == length)
        mu[rows] = (z0[rows] @ props[length])[:, : 2 * s]
        if jac is not None:
            for k, dm in enumerate(grads[length]):
                jac[rows, :, k] = (z0[rows] @ dm)[:, : 2 * s]
    return mu, jac
