"""Shared helpers for metrics: NaN-safe ratios and per-customer masks used by several metric modules."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.records import Records


def ratio(numerator: float, denominator: float) -> float:
    """`numerator / denominator` as a float; NaN (never an exception) when the denominator is zero or NaN."""
    num, den = float(numerator), float(denominator)
    if den == 0.0 or math.isnan(den) or math.isnan(num):
        return math.nan
    return num / den


def in_stages(stages: NDArray[np.int16], members: tuple[int, ...]) -> NDArray[np.bool_]:
    """Per customer: is the given stage index one of `members` (a lookup table, cheaper than `np.isin`)."""
    size = max(int(stages.max(initial=0)), *members, 0) + 1
    table = np.zeros(size, dtype=bool)
    table[list(members)] = True
    return table[stages]


def prospect_mask(records: Records) -> NDArray[np.bool_]:
    """Customers who started in a pre-purchase stage (the acquisition cohort)."""
    return in_stages(records.customers.start_stage, records.pre_purchase)


def buyer_mask(records: Records) -> NDArray[np.bool_]:
    """Customers with at least one purchase within the horizon."""
    return records.customers.purchases >= 1


def ended_terminal_mask(records: Records) -> NDArray[np.bool_]:
    """Customers whose stage at the end of the horizon is terminal (churned / lost)."""
    return in_stages(records.customers.final_stage, records.terminal)
