"""Interventions: what changes customers' rates, while it runs, at a cost.

Channels (cost model, audience, reach, response, carryover, effects), strategies (budgets over time, pacing,
messaging, rate multipliers) and word of mouth. `media` holds the pure money -> media -> rate functions,
`schedule` turns a strategy into money and media units per channel and day. Every `kind:` family is a
`journeysim.registry.Registry` in the module of its concept: `effects.EFFECT_KINDS`, `media.COST_MODELS`,
`media.RESPONSES`, `media.PACINGS`.
"""

from __future__ import annotations

from journeysim.interventions.channels import POSITIONS, Channel, Response
from journeysim.interventions.effects import ARRIVALS, EFFECT_KINDS, REFERRALS, Effect
from journeysim.interventions.strategy import ChannelPlan, Flight, RateMultiplier, Strategy
from journeysim.interventions.word_of_mouth import Contagion, Detractors, Referrals, WordOfMouth

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
