"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987) in the closed forms of Fader, Hardie & Lee's 2005 note.

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); its lifetime is
exponential with rate mu ~ Gamma(s, beta), independent of lambda. The likelihood and P(alive) use the Gaussian
hypergeometric function with whichever of alpha, beta is larger first, so its argument stays in [0, 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate
from scipy.special import gammaln, hyp2f1

from journeysim.study.btyd.base import MODELS, BtydModel, FloatArray, as_arrays

__all__ = ["ParetoNBD"]


def _growth(rate: ArrayLike, shape_minus_one: float, t: ArrayLike) -> FloatArray:
    """[1 - (rate/(rate+t))^(s-1)] / (s-1), with its limit log(1 + t/rate) at s = 1."""
    log_ratio = np.log1p(np.asarray(t, dtype=float) / np.asarray(rate, dtype=float))
    if abs(shape_minus_one) < 1e-10:
        return np.asarray(log_ratio, dtype=float)
    return np.asarray(-np.expm1(-shape_minus_one * log_ratio) / shape_minus_one, dtype=float)


class ParetoNBD(BtydModel):
    """The Pareto/NBD model; parameters (r, alpha, s, beta)."""

    name = "paretonbd"
    param_names = ("r", "alpha", "s", "beta")

    def _log_a0(self, params: Sequence[float], x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """log A0, A0 = F(t_x) - F(T), F(t) = 2F1(r+s+x, c; r+s+x+1; |alpha-beta|/(max+t)) / (max+t)^(r+s+x)."""
        r, alpha, s, beta = params
        big, small = max(alpha, beta), min(alpha, beta)
        c = s + 1 if alpha >= beta else r + x
        rsx = r + s + x

        def log_f(t: FloatArray) -> FloatArray:
            return np.asarray(np.log(hyp2f1(rsx, c, rsx + 1, (big - small) / (big + t))) - rsx * np.log(big + t))

        first, last = log_f(t_x), log_f(T)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(first + np.log(-np.expm1(np.minimum(last - first, 0.0))), dtype=float)

    def log_likelihood(self, params: Sequence[float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
        """L = G(r+x) alpha^r beta^s / G(r) [1 / ((alpha+T)^(r+x) (beta+T)^s) + s/(r+s+x) A0]."""
        r, alpha, s, beta = params
        x, t_x, T = as_arrays(x, t_x, T)
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        dead = np.log(s / (r + s + x)) + self._log_a0(params, x, t_x, T)
        return np.asarray(common + np.logaddexp(alive, dead), dtype=float)

    def expected_purchases(self, params: Sequence[float], t: ArrayLike) -> FloatArray:
        """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]."""
        r, alpha, s, beta = params
        return np.asarray(r * beta / alpha * _growth(beta, s - 1, t), dtype=float)

    def prob_purchases(self, params: Sequence[float], x: int, t: float) -> float:
        """P(X(t)=x) = NBD(x | alpha/(alpha+t)) (beta/(beta+t))^s + int_0^t NBD(x | alpha/(alpha+tau)) s/beta
        (beta/(beta+tau))^(s+1) dtau: the gamma mixtures over lambda and mu in closed form, the lifetime by
        adaptive quadrature (the closed form of FHL 2006 sums x+1 hypergeometric terms and is less stable)."""
        r, alpha, s, beta = params

        def nbd(tau: float) -> float:
            q = alpha / (alpha + tau)
            return float(np.exp(gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(q) + x * np.log1p(-q)))

        def died_at(tau: float) -> float:
            return nbd(tau) * s / beta * (beta / (beta + tau)) ** (s + 1)

        lived = nbd(t) * (beta / (beta + t)) ** s
        return lived + float(integrate.quad(died_at, 0.0, t, epsabs=1e-13, epsrel=1e-11, limit=200)[0])

    def dropout_odds(self, params: Sequence[float], x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0: the odds of having died given the history."""
        r, alpha, s, beta = params
        log_odds = (
            np.log(s / (r + s + x))
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + self._log_a0(params, x, t_x, T)
        )
        with np.errstate(over="ignore"):
            return np.asarray(np.exp(log_odds), dtype=float)

    def conditional_expected_purchases(
        self,
        params: Sequence[float],
        t: float,
        x: ArrayLike,
        t_x: ArrayLike,
        T: ArrayLike,
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive)."""
        r, alpha, s, beta = params
        x, t_x, T = as_arrays(x, t_x, T)
        rate_alive = (r + x) / (alpha + T)
        growth = (beta + T) * _growth(beta + T, s - 1, t)
        return np.asarray(rate_alive * growth * self.prob_alive(params, x, t_x, T), dtype=float)


MODELS.add(ParetoNBD.name, ParetoNBD())
