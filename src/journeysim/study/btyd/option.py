"""A fitted (or given) BTYD model as journeysim options: a journey and a population with per-customer effects.

The mapping (docs/heterogeneity.md): an `active` stage buys at the per-day base rate r/alpha, multiplied per
customer by a gamma effect with mean 1 and shape r, so lambda ~ Gamma(r, alpha); each purchase returns the
customer to `active` within minutes. BG/NBD: after each repeat purchase the customer moves to `inactive` with a
per-customer probability p ~ Beta(a, b). Pareto/NBD: `active -> inactive` at the base rate s/beta with a gamma
effect of shape s, so the lifetime rate mu ~ Gamma(s, beta). Customers start in `active` at their first purchase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from journeysim.errors import ConfigError
from journeysim.study.btyd.base import MODELS
from journeysim.study.btyd.summary import UNITS

__all__ = ["CHECKOUT_RATE", "btyd_journey", "btyd_population"]

#: Per-day rate of `purchase -> active`: a purchase takes about 1.4 minutes, so the time customers spend in it
#: (0.1% of a day per purchase) does not visibly shorten their buying time.
CHECKOUT_RATE = 1000.0


def _per_day(model: str, params: Sequence[float], unit: str) -> dict[str, float]:
    """The parameters with their rate parameters (alpha, beta) converted from `unit` to days."""
    if unit not in UNITS:
        raise ConfigError("--unit", f"unknown time unit {unit!r}", f"use one of {', '.join(UNITS)}")
    values = dict(zip(MODELS.get(model, "--model").param_names, MODELS.get(model).params(params), strict=True))
    for rate in ("alpha", "beta"):
        if rate in values:
            values[rate] *= UNITS[unit]  # lambda per week = 7 lambda per day, so alpha per day = 7 alpha per week
    return values


def btyd_journey(model: str, params: Sequence[float], unit: str = "days", name: str | None = None) -> dict[str, Any]:
    """The journey option (YAML shape) of a BTYD model: active -> purchase -> active (-> inactive)."""
    p = _per_day(model, params, unit)
    rates: dict[str, dict[str, float]] = {"active": {"purchase": p["r"] / p["alpha"]}}
    if model == "paretonbd":
        rates["active"]["inactive"] = p["s"] / p["beta"]
    rates["purchase"] = {"active": CHECKOUT_RATE}
    if model == "bgnbd":  # the drop-out's route; the per-customer drop-out probability decides who takes it
        rates["purchase"]["inactive"] = CHECKOUT_RATE
    return {
        "name": name or model,
        "stages": ["active", "purchase", "inactive"],
        "entry": "active",
        "conversion": ["purchase"],
        "terminal": ["inactive"],
        "positions": {"active": "post_purchase", "purchase": "bottom", "inactive": "exit"},
        "rates": rates,
        "promoters": [],
        "detractors": [],
    }


def btyd_heterogeneity(model: str, params: Sequence[float], unit: str = "days") -> dict[str, Any]:
    """The per-customer effects that make the journey the BTYD model."""
    p = _per_day(model, params, unit)
    effects: dict[str, Any] = {
        "purchase_rate": {"kind": "gamma", "shape": p["r"], "transitions": {"active": ["purchase"]}},
    }
    if model == "bgnbd":
        effects["dropout"] = {"kind": "beta", "a": p["a"], "b": p["b"], "at": "purchase", "to": "inactive"}
    else:
        effects["lifetime_rate"] = {"kind": "gamma", "shape": p["s"], "transitions": {"active": ["inactive"]}}
    return effects


def btyd_population(
    model: str,
    params: Sequence[float],
    unit: str = "days",
    *,
    customers: int = 10_000,
    name: str | None = None,
    order_value: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The population option (YAML shape): one cohort of `customers` who just made their first purchase."""
    segment: dict[str, Any] = {
        "initial": {"active": int(customers)},
        "heterogeneity": btyd_heterogeneity(model, params, unit),
    }
    if order_value:
        segment["order_value"] = dict(order_value)
    return {"name": name or model, "segments": {"customers": segment}}
