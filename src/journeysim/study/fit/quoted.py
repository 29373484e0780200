"""Rates from the numbers planners quote: stage-to-stage conversion rates and sales-cycle lengths.

Each quote is a closed form of the CTMC (`journeysim.analytic.linalg.first_passage`): `conversion` from A to B is
P(ever reaching B from A); `cycle_days` from A to B is E[time to first reach B | reached], in days. The fit is
weighted least squares on log rates: minimise sum ((model - value) / se)^2 (scipy.optimize.least_squares), with
covariance (J^T J)^-1 from the Jacobian J of the standardised residuals, which is exact to first order when the
quotes' errors are independent normal with the given standard errors (for a conversion rate measured on n people,
se = sqrt(p (1 - p) / n)). Rates not quoted about must be fixed (`fixed`); what the quotes cannot tell apart
(a rank-deficient Jacobian, or more free rates than quotes) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import least_squares

from journeysim.analytic.chain import Chain
from journeysim.analytic.linalg import first_passage
from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.journey import Journey

QUANTITIES = ("conversion", "cycle_days")
COLUMNS = ("quantity", "from_stage", "to_stage", "value", "se")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class QuotedFit:
    """Fitted rates (`rates[from][to]`), the estimates table, and fitted vs quoted values."""

    rates: dict[str, dict[str, float]]
    estimates: pd.DataFrame
    table: pd.DataFrame
    theta: NDArray[np.float64]
    cov: NDArray[np.float64]
    names: list[str]


def _checked(quotes: pd.DataFrame, journey: Journey) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in quotes.columns]
    if missing:
        raise ConfigError("quotes", f"missing column(s) {missing}", f"give columns {list(COLUMNS)}")
    q = quotes.reset_index(drop=True).copy()
    for c in ("value", "se"):
        q[c] = pd.to_numeric(q[c], errors="coerce")
        bad = q[c].isna() | ~np.isfinite(q[c]) | (q[c] <= 0)
        if bad.any():
            raise ConfigError(c, f"row {int(np.flatnonzero(bad)[0]) + 1} is not a number > 0", f"give {c} > 0")
    for c in ("from_stage", "to_stage"):
        for s in q[c].astype(str):
            if s not in journey.stages:
                raise ConfigError(
                    c, f"unknown stage '{s}'{did_you_mean(s, journey.stages)}", "use the journey's stages"
                )
    for k in q["quantity"].astype(str):
        if k not in QUANTITIES:
            raise ConfigError("quantity", f"unknown quantity '{k}'", f"use one of {', '.join(QUANTITIES)}")
    over = (q["quantity"] == "conversion") & (q["value"] > 1)
    if over.any():
        raise ConfigError("value", "a conversion rate above 1", "give conversion rates as fractions in (0, 1]")
    return q


def _model(journey: Journey, edges: list[tuple[int, int]], log_rates: NDArray[np.float64], q: pd.DataFrame) -> NDArray:
    rates = np.zeros((journey.n_stages, journey.n_stages))
    for (i, j), v in zip(edges, np.exp(log_rates), strict=True):
        rates[i, j] = v
    chain = Chain(tuple(journey.stages), rates, journey.entry_index, journey.conversion_indices)
    out = np.empty(len(q))
    for k, (kind, a, b) in enumerate(zip(q["quantity"], q["from_stage"], q["to_stage"], strict=True)):
        h, m = first_passage(chain, [journey.index(str(b))], journey.index(str(a)))
        out[k] = h if kind == "conversion" else (m / h if h > 0 else 1e6)
    return out


def fit_quoted(
    quotes: pd.DataFrame, journey: Journey, fixed: Mapping[str, Mapping[str, float]] | None = None
) -> QuotedFit:
    """Fit `journey`'s free rates (all but `fixed`) to the quotes; start from the journey's own rates."""
    q = _checked(quotes, journey)
    rm = journey.rate_matrix()
    edges = [(int(i), int(j)) for i, j in zip(*np.nonzero(rm), strict=True)]
    names = [f"{journey.stages[i]}->{journey.stages[j]}" for i, j in edges]
    theta = np.log([rm[i, j] for i, j in edges])
    free = np.ones(len(edges), dtype=bool)
    for src, row in (fixed or {}).items():
        for dst, value in row.items():
            if f"{src}->{dst}" not in names:
                raise ConfigError("--rates", f"'{src}->{dst}' is not a rate of '{journey.name}'", "use its edges")
            k = names.index(f"{src}->{dst}")
            theta[k], free[k] = np.log(value), False
    free_names = [n for n, f in zip(names, free, strict=True) if f]
    if int(free.sum()) > len(q):
        raise ConfigError(
            "quotes",
            f"{len(q)} quotes cannot determine {int(free.sum())} free rates ({', '.join(free_names)})",
            "fix the rates you know with --rates (from_stage, to_stage, rate) or quote more conversion rates and "
            "cycle lengths",
        )
    values, se = q["value"].to_numpy(float), q["se"].to_numpy(float)

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        full = theta.copy()
        full[free] = x
        return (_model(journey, edges, full, q) - values) / se

    result = least_squares(residuals, theta[free], method="trf", x_scale=1.0)
    jac = result.jac
    sv = np.linalg.svd(jac, compute_uv=False)
    if sv.size == 0 or sv[-1] <= sv[0] * 1e-7:
        _, _, vt = np.linalg.svd(jac)
        weak = [free_names[k] for k in np.argsort(-np.abs(vt[-1]))[:3]]
        raise ConfigError(
            "quotes", f"the quotes cannot tell apart {', '.join(weak)}", "fix some of these rates with --rates"
        )
    cov_free = np.linalg.inv(jac.T @ jac)
    theta[free] = result.x
    cov = np.zeros((len(edges), len(edges)))
    cov[np.ix_(free, free)] = cov_free
    se_log = np.sqrt(np.diag(cov))
    est = np.exp(theta)
    estimates = pd.DataFrame(
        {
            "from_stage": [journey.stages[i] for i, _ in edges],
            "to_stage": [journey.stages[j] for _, j in edges],
            "estimate": est,
            "se": est * se_log,
            "se_log": se_log,
            "ci_low": est * np.exp(-Z95 * se_log),
            "ci_high": est * np.exp(Z95 * se_log),
            "fixed": ~free,
        }
    )
    table = q.assign(fitted=_model(journey, edges, theta, q))
    table["z"] = (table["fitted"] - table["value"]) / table["se"]
    rates: dict[str, dict[str, float]] = {}
    for (i, j), v in zip(edges, est, strict=True):
        rates.setdefault(journey.stages[i], {})[journey.stages[j]] = float(v)
    return QuotedFit(rates, estimates, table, theta, cov, names)
