"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): closed forms.

While active a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha) (shape r, rate alpha);
after each repeat purchase it becomes inactive for good with probability p ~ Beta(a, b). Equation numbers
are those of the paper.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, gammaln, hyp2f1

from journeysim.study.btyd.base import MODELS, BtydModel, FloatArray, as_arrays

__all__ = ["BGNBD"]


class BGNBD(BtydModel):
    """The beta-geometric / negative binomial distribution model; parameters (r, alpha, a, b)."""

    name = "bgnbd"
    param_names = ("r", "alpha", "a", "b")

    def log_likelihood(self, params: Sequence[float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
        """Eq. 6: L = B(a,b+x)/B(a,b) G(r+x) a^r / (G(r) (alpha+T)^(r+x)) + [x>0] B(a+1,b+x-1)/B(a,b) ... t_x."""
        r, alpha, a, b = params
        x, t_x, T = as_arrays(x, t_x, T)
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
        alive = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            dropped = np.where(
                x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf
            )
        return np.asarray(common + np.logaddexp(alive, dropped), dtype=float)

    def expected_purchases(self, params: Sequence[float], t: ArrayLike) -> FloatArray:
        """Eq. 9: (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]."""
        r, alpha, a, b = params
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        bracket = 1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z)
        return np.asarray((a + b - 1) / (a - 1) * bracket, dtype=float)

    def prob_purchases(self, params: Sequence[float], x: int, t: float) -> float:
        """Eq. 8: P(X(t)=x) = B(a,b+x)/B(a,b) NBD(x) + [x>0] B(a+1,b+x-1)/B(a,b) [1 - sum_{j<x} NBD(j)]."""
        r, alpha, a, b = params
        q = alpha / (alpha + t)

        def nbd(j: int) -> float:
            return float(np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * np.log(q) + j * np.log1p(-q)))

        p = float(np.exp(betaln(a, b + x) - betaln(a, b))) * nbd(x)
        if x > 0:
            p += float(np.exp(betaln(a + 1, b + x - 1) - betaln(a, b))) * (1.0 - sum(nbd(j) for j in range(x)))
        return p

    def dropout_odds(self, params: Sequence[float], x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """[x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): the odds of having dropped out (P(alive) by Eq. 11)."""
        r, alpha, a, b = params
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            odds = a / (b + x - 1) * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        return np.where(x > 0, odds, 0.0)

    def conditional_expected_purchases(
        self,
        params: Sequence[float],
        t: float,
        x: ArrayLike,
        t_x: ArrayLike,
        T: ArrayLike,
    ) -> FloatArray:
        """Eq. 10: (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        times P(alive)."""
        r, alpha, a, b = params
        x, t_x, T = as_arrays(x, t_x, T)
        z = t / (alpha + T + t)
        bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        return np.asarray((a + b + x - 1) / (a - 1) * bracket / (1.0 + self.dropout_odds(params, x, t_x, T)))


MODELS.add(BGNBD.name, BGNBD())
