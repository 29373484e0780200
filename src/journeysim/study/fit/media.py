"""Channel response from spend and outcome series: a Hill curve on geometric adstock, as `interventions/media.py`.

Per period t: outcome y_t ~ Poisson(mu_t), mu_t = base * (1 + lift * hill(adstock(spend)_t, K, 1)), where adstock
is `geometric_adstock(spend, decay)` and the Hill slope is fixed at 1 (with a slope as well, K and lift trade off
on short series). Parameters: log base, log lift, log K (spend units per period), logit decay. The estimate
maximises the Poisson likelihood (least squares on deviance residuals, scipy.optimize.least_squares). The
covariance is (J^T J)^-1 with J the Jacobian of the Pearson residuals, times the Pearson dispersion when that is
above 1. The outcome is e.g. weekly arrivals (entries into the entry stage). The mapping to a journeysim channel is
`effects: [{kind: arrivals, lift}]` and `adstock: decay ** (1 / period_days)`. It also needs
`response.half_saturation = K / (period_days * unit_cost * audience)`, in exposures per person per day, for the
channel's cost model and audience; docs/calibration.md has the details.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import least_squares
from scipy.special import expit

from journeysim.errors import ConfigError
from journeysim.interventions.media import geometric_adstock, hill

NAMES = ("base", "lift", "half_saturation", "decay")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class MediaFit:
    """Estimates on the natural scale with SEs (delta method) and the fitted series."""

    estimates: pd.DataFrame
    fitted: NDArray[np.float64]
    theta: NDArray[np.float64]
    cov: NDArray[np.float64]


def _mu(theta: NDArray[np.float64], spend: NDArray[np.float64]) -> NDArray[np.float64]:
    base, lift, k, decay = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2]), expit(theta[3])
    return np.asarray(base * (1 + lift * hill(geometric_adstock(spend, float(decay)), float(k), 1.0)))


def check_series(spend: NDArray[np.float64], outcome: NDArray[np.float64]) -> None:
    """Same length, numbers >= 0, whole outcomes, enough periods, some variation in spend."""
    if spend.shape != outcome.shape:
        raise ConfigError(
            "--spend",
            f"the spend series has {spend.size} periods but the outcome series has {outcome.size}",
            "give one spend value per outcome period (same periods, same order)",
        )
    for name, x in (("spend", spend), ("outcome", outcome)):
        if not np.all(np.isfinite(x)) or np.any(x < 0):
            raise ConfigError(name, "has values that are not numbers >= 0", f"give {name} as numbers >= 0")
    if np.any(outcome != np.round(outcome)):
        raise ConfigError("outcome", "has counts that are not whole numbers", "give counts of people")
    if spend.size < 12 or np.ptp(spend) == 0:
        raise ConfigError(
            "--spend",
            f"{spend.size} periods with spend varying by {np.ptp(spend):g}",
            "give >= 12 periods of varying spend",
        )


def fit_media(spend: NDArray[np.float64], outcome: NDArray[np.float64]) -> MediaFit:
    """Fit base, lift, half saturation and decay to the series (see the module docstring)."""
    spend, outcome = np.asarray(spend, float), np.asarray(outcome, float)
    check_series(spend, outcome)
    quiet = outcome[spend <= np.quantile(spend, 0.25)]
    start = np.array([np.log(max(quiet.mean(), 1.0)), np.log(0.5), np.log(max(np.median(spend[spend > 0]), 1e-9)), 0.0])

    def deviance(theta: NDArray[np.float64]) -> NDArray[np.float64]:
        mu = _mu(theta, spend)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(outcome > 0, outcome * np.log(outcome / mu), 0.0) - (outcome - mu)
        return np.sign(outcome - mu) * np.sqrt(2 * np.maximum(term, 0.0))

    result = least_squares(deviance, start, method="trf")
    theta = result.x
    mu = _mu(theta, spend)
    eps = 1e-6
    jac = np.empty((spend.size, 4))
    for k in range(4):
        d = np.zeros(4)
        d[k] = eps
        jac[:, k] = (_mu(theta + d, spend) - _mu(theta - d, spend)) / (2 * eps) / np.sqrt(mu)
    sv = np.linalg.svd(jac, compute_uv=False)
    if sv[-1] <= sv[0] * 1e-8:
        raise ConfigError(
            "--spend",
            "the series cannot tell the lift, half saturation and decay apart",
            "give a longer series with spend at several levels, including pauses",
        )
    dispersion = max(1.0, float(np.sum((outcome - mu) ** 2 / mu) / (spend.size - 4)))
    cov = np.asarray(np.linalg.inv(jac.T @ jac) * dispersion, dtype=np.float64)
    natural = np.array([np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2]), expit(theta[3])])
    scale = natural * np.array([1.0, 1.0, 1.0, 1 - natural[3]])  # d natural / d theta
    se = scale * np.sqrt(np.diag(cov))
    estimates = pd.DataFrame(
        {"parameter": NAMES, "estimate": natural, "se": se, "ci_low": natural - Z95 * se, "ci_high": natural + Z95 * se}
    )
    return MediaFit(estimates, mu, theta, cov)
