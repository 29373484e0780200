"""Maximum-likelihood fit of a BTYD model to a repeat-purchase summary, with standard errors and a convergence report.

The negative log-likelihood is minimised over log-parameters (so every parameter stays positive) by BFGS, with
Nelder-Mead as a fallback. Standard errors come from the inverse Hessian of the negative log-likelihood at the
optimum, taken by central differences in log space and carried to the natural scale by the delta method
(se(theta) = theta se(log theta); at an optimum this equals the natural-scale inverse Hessian).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from journeysim.errors import ConfigError
from journeysim.study.btyd.base import MODELS, BtydModel, FloatArray
from journeysim.study.btyd.summary import RepeatSummary

__all__ = ["Z95", "BtydFit", "Convergence", "fit_btyd", "hessian"]

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Convergence:
    """How the optimiser ended: converged means it reported success, the gradient is small and the Hessian is
    positive definite (so the standard errors mean something)."""

    converged: bool
    method: str
    iterations: int
    message: str
    max_abs_gradient: float
    hessian_positive_definite: bool
    condition_number: float

    def text(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        return (
            f"{state} ({self.method}, {self.iterations} iterations, max |gradient| {self.max_abs_gradient:.2g}, "
            f"Hessian {'positive definite' if self.hessian_positive_definite else 'NOT positive definite'}, "
            f"condition {self.condition_number:.3g}): {self.message}"
        )


@dataclass(frozen=True)
class BtydFit:
    """Fitted parameters of `model` in `unit` (rates per unit of time) with standard errors."""

    model: str
    params: tuple[float, ...]
    se: tuple[float, ...]
    log_likelihood: float
    n_customers: int
    repeat_buyers: int
    unit: str
    convergence: Convergence

    @property
    def names(self) -> tuple[str, ...]:
        return MODELS.get(self.model).param_names

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.params, strict=True))

    def table(self) -> pd.DataFrame:
        """One row per parameter: estimate, standard error, 95% CI, and the fit's context."""
        est, se = np.asarray(self.params), np.asarray(self.se)
        return pd.DataFrame(
            {
                "model": self.model,
                "parameter": list(self.names),
                "estimate": est,
                "se": se,
                "ci_low": est - Z95 * se,
                "ci_high": est + Z95 * se,
                "unit": self.unit,
                "log_likelihood": self.log_likelihood,
                "customers": self.n_customers,
                "repeat_buyers": self.repeat_buyers,
                "converged": self.convergence.converged,
            }
        )


def hessian(f: object, x0: FloatArray, step: float = 1e-4) -> FloatArray:
    """Central-difference Hessian of a scalar function `f` at `x0`."""
    fn = f  # a callable FloatArray -> float
    n = len(x0)
    h = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.eye(n)[i] * step, np.eye(n)[j] * step
            v = (fn(x0 + ei + ej) - fn(x0 + ei - ej) - fn(x0 - ei + ej) + fn(x0 - ei - ej)) / (4 * step * step)  # type: ignore[operator]
            h[i, j] = h[j, i] = v
    return h


def _gradient(f: object, x0: FloatArray, step: float = 1e-6) -> FloatArray:
    n = len(x0)
    return np.array([(f(x0 + np.eye(n)[i] * step) - f(x0 - np.eye(n)[i] * step)) / (2 * step) for i in range(n)])  # type: ignore[operator]


def _minimise(nll: object, start: FloatArray) -> tuple[FloatArray, str, int, bool, str]:
    """BFGS from `start`; Nelder-Mead (then BFGS again) when BFGS fails."""
    res = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-6, "maxiter": 2000})  # type: ignore[call-overload]
    if res.success and np.all(np.isfinite(res.x)):
        return res.x, "BFGS", int(res.nit), True, str(res.message)
    nm = optimize.minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20000})  # type: ignore[call-overload]
    res = optimize.minimize(nll, nm.x, method="BFGS", options={"gtol": 1e-6, "maxiter": 2000})  # type: ignore[call-overload]
    best = res if res.fun <= nm.fun else nm
    return best.x, "Nelder-Mead+BFGS", int(nm.nit) + int(res.nit), bool(best.success), str(best.message)


def fit_btyd(summary: RepeatSummary, model: str = "bgnbd", start: Sequence[float] | None = None) -> BtydFit:
    """Maximum-likelihood estimates of `model`'s four parameters from a repeat-purchase summary."""
    spec: BtydModel = MODELS.get(model, "--model")
    if summary.repeat_buyers == 0:
        raise ConfigError("transactions", "no customer bought more than once", "give a history with repeat purchases")
    x, t_x, T, n = summary.grouped()
    total = float(n.sum())

    def nll(log_params: FloatArray) -> float:
        params = np.exp(log_params)
        if not np.all(np.isfinite(params)):
            return np.inf
        with np.errstate(all="ignore"):
            ll = spec.log_likelihood(tuple(params), x, t_x, T)
        value = -float(np.dot(n, ll)) / total
        return value if np.isfinite(value) else 1e100

    x0 = np.log(np.asarray(start, dtype=float)) if start is not None else np.zeros(4)
    best, method, iterations, success, message = _minimise(nll, x0)
    params = np.exp(best)
    h_log = hessian(nll, best) * total
    grad = _gradient(nll, best) * total
    eig = np.linalg.eigvalsh(h_log)
    positive = bool(np.all(eig > 0))
    cov_log = np.linalg.pinv(h_log)
    se = params * np.sqrt(np.clip(np.diag(cov_log), 0.0, None))
    max_grad = float(np.max(np.abs(grad)))
    convergence = Convergence(
        converged=bool(success and positive and max_grad < 1e-2 * max(1.0, np.sqrt(total))),
        method=method,
        iterations=iterations,
        message=message,
        max_abs_gradient=max_grad,
        hessian_positive_definite=positive,
        condition_number=float(eig.max() / eig.min()) if positive else float("inf"),
    )
    return BtydFit(
        model=spec.name,
        params=tuple(float(p) for p in params),
        se=tuple(float(s) for s in se),
        log_likelihood=-nll(best) * total,
        n_customers=summary.n_customers,
        repeat_buyers=summary.repeat_buyers,
        unit=summary.unit,
        convergence=convergence,
    )
