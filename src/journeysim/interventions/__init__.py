"""Interventions: what changes customers' rates, while it runs, at a cost.

Channels (cost model, audience, reach, response, carryover, effects), strategies (budgets over time, pacing,
messaging, rate multipliers) and word of mouth. `media` holds the pure money -> media -> rate functions.
"""

from __future__ import annotations

from journeysim.interventions.definitions import (
    ARRIVALS,
    EFFECT_KINDS,
    POSITIONS,
    REFERRALS,
    Channel,
    ChannelPlan,
    Contagion,
    Detractors,
    Effect,
    Flight,
    RateMultiplier,
    Referrals,
    Response,
    Strategy,
    WordOfMouth,
)

__all__ = [
    "ARRIVALS",
    "EFFECT_KINDS",
    "POSITIONS",
    "REFERRALS",
    "Channel",
    "ChannelPlan",
    "Contagion",
    "Detractors",
    "Effect",
    "Flight",
    "RateMultiplier",
    "Referrals",
    "Response",
    "Strategy",
    "WordOfMouth",
]
