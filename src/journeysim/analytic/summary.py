"""Headline closed-form numbers for planners ("instant answers"), computed without simulating."""

from __future__ import annotations

import math

import numpy as np

from journeysim.analytic.chain import chain_of, check_horizon
from journeysim.analytic.cohort import (
    conversion_probability,
    expected_purchases,
    expected_time_in_stage,
    expected_time_to_purchase,
    stage_reach_probability,
)
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario


def summary(
    model: Journey | Scenario, horizon: float | None = None, *, segment: str | int | None = None
) -> dict[str, float]:
    """Headline numbers per customer starting in the entry stage (infinite horizon; `*_within_horizon` if given).

    Keys: conversion_probability, expected_days_to_purchase, expected_purchases, purchases_per_buyer,
    expected_lifetime_days (days until a stage with no way out; inf if a loop is never left), churn_probability
    (P(ending in a terminal stage)), and with a horizon conversion_probability_within_horizon,
    expected_days_to_purchase_within_horizon, expected_purchases_within_horizon and horizon_days.
    """
    chain = chain_of(model, segment)
    h = check_horizon(horizon)
    journey = model.journey if isinstance(model, Scenario) else model
    conv = conversion_probability(model, segment=segment)
    buys = expected_purchases(model, segment=segment)
    days = expected_time_in_stage(model, segment=segment).to_numpy()
    alive = chain.total > 0
    lifetime = float(days[alive].sum())
    reach = stage_reach_probability(model, segment=segment)
    churn = float(sum(reach[s] for s in journey.terminal))
    out: dict[str, float] = {
        "conversion_probability": conv,
        "expected_days_to_purchase": expected_time_to_purchase(model, segment=segment),
        "expected_purchases": buys,
        "purchases_per_buyer": buys / conv if conv > 0 else math.nan,
        "expected_lifetime_days": lifetime if np.isfinite(lifetime) else math.inf,
        "churn_probability": churn,
    }
    if h is not None:
        out["horizon_days"] = h
        out["conversion_probability_within_horizon"] = conversion_probability(model, horizon=h, segment=segment)
        out["expected_days_to_purchase_within_horizon"] = expected_time_to_purchase(model, horizon=h, segment=segment)
        out["expected_purchases_within_horizon"] = expected_purchases(model, horizon=h, segment=segment)
    return out
