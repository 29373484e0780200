"""Closed-form CTMC answers for a journey without time-varying interventions ("instant answers").

Absorption probabilities, expected time to purchase, expected visits and time per stage, expected purchases,
stage reach, and occupancy / purchases under Poisson arrivals. Infinite-horizon answers are exact for
semi-Markov journeys too (dwell families keep the mean holding time); finite-horizon ones assume exponential
holding times and warn with `SemiMarkovWarning` otherwise. Scenario strategies and word of mouth are not
modelled here (`InterventionsIgnoredWarning`). See docs/analytic.md.
"""

from __future__ import annotations

from journeysim.analytic.arrivals import expected_occupancy, expected_purchases_with_arrivals, expected_timeseries
from journeysim.analytic.chain import Chain, InterventionsIgnoredWarning, SemiMarkovWarning, chain_of
from journeysim.analytic.cohort import (
    conversion_probability,
    expected_purchases,
    expected_time_in_stage,
    expected_time_to_purchase,
    expected_visits,
    stage_reach_probability,
)
from journeysim.analytic.summary import summary

__all__ = [
    "Chain",
    "InterventionsIgnoredWarning",
    "SemiMarkovWarning",
    "chain_of",
    "conversion_probability",
    "expected_occupancy",
    "expected_purchases",
    "expected_purchases_with_arrivals",
    "expected_time_in_stage",
    "expected_time_to_purchase",
    "expected_timeseries",
    "expected_visits",
    "stage_reach_probability",
    "summary",
]
