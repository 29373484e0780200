"""Spend far past saturation: a channel whose money buys each reachable person many times the exposures at which
its response curve is already half way (`half_saturation`) adds almost nothing for most of that money. Typical
cause: budgets written for the whole market poured onto a sample of it (`population.scale_budgets=false`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from journeysim.engine.records import Records
from journeysim.interventions import media, schedule
from journeysim.model.scenario import Scenario

#: Warn when the media units the money buys per reachable person (adstocked, before frequency caps) reach this
#: many half-saturations: a Hill curve of slope 1 is then at 100/101 of its maximum, and the next unit of money buys
#: 1/10,000 of what the first did. Measured: every shipped strategy at full scale doses 0.2-41x (email and
#: retargeting, mostly discarded by their caps); the same budgets on a tenth of the market 227-347x.
FAR_PAST = 100.0

UNITS = {"cpm": "impressions", "cpc": "clicks", "per_send": "sends"}


@dataclass(frozen=True)
class Saturation:
    """One channel's dose on its spending days: money and reachable people per day, adstocked media units per
    person, and that dose in half-saturations of the channel's response curve."""

    channel: str
    spend_per_day: float
    audience: float
    per_person: float
    half_saturation: float
    units: str

    @property
    def ratio(self) -> float:
        return self.per_person / self.half_saturation

    def warning(self) -> str:
        """The one-line warning naming the channel and the numbers."""
        return (
            f"channel '{self.channel}' spends far past saturation: {self.spend_per_day:,.0f} a day on "
            f"~{self.audience:,.0f} reachable people buys {self.per_person:,.3g} {self.units} per person, "
            f"{self.ratio:,.0f}x the response curve's half-saturation ({self.half_saturation:g}): most of this money "
            "adds nothing; lower its budget (on a scaled population keep population.scale_budgets=true)"
        )


def channel_doses(scenario: Scenario, rec: Records) -> list[Saturation]:
    """The dose of every funded channel in one replication (spend-weighted means over its spending days)."""
    funded = [p for p in scenario.strategy.plans if p.budget > 0]
    out = []
    horizon = scenario.settings.horizon_days
    for c, plan in enumerate(funded):
        ch = scenario.channels[plan.channel]
        spend = schedule.daily_spend(plan, horizon)
        audience = rec.media.audience[:, c]
        bought = schedule.bought_units(ch, spend)
        if bought is None:  # audience-priced (a fixed fee): exposures per person from the share of the fee paid
            per_person = ch.frequency * np.minimum(1.0, spend / ch.unit_cost)
        else:
            per_person = np.divide(bought, audience, out=np.zeros_like(bought), where=audience > 0)
        dose = media.geometric_adstock(per_person, ch.adstock)
        live = (spend > 0) & (audience > 0)
        if not live.any():
            continue
        w = spend[live] / spend[live].sum()
        out.append(
            Saturation(
                plan.channel,
                float(spend[live].mean()),
                float(audience[live].mean()),
                float((dose[live] * w).sum()),
                ch.response.half_saturation,
                UNITS.get(ch.cost_model, "exposures"),
            )
        )
    return out


def saturation_warnings(scenario: Scenario, rec: Records, far_past: float = FAR_PAST) -> list[str]:
    """One line per channel whose dose is `far_past` half-saturations or more."""
    return [d.warning() for d in channel_doses(scenario, rec) if d.ratio >= far_past]
