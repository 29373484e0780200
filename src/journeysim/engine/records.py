"""What one replication leaves behind: daily transition flows, per-customer summaries, an optional event log.

Daily views (occupancy, entries, purchases) are derived from the recorded transitions, never sampled by
stopping the population, so reporting costs nothing inside the engine loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine.moves import Moves, Purchases, customer_numbers
from journeysim.engine.sorting import in_runs, time_order
from journeysim.interventions import Channel
from journeysim.model.scenario import Scenario

OUTSIDE = "(arrival)"


class DayMedia(Protocol):
    """What one day of media delivered, per channel (`dynamics.DayRecord`)."""

    @property
    def spend(self) -> NDArray[np.float64]: ...
    @property
    def impressions(self) -> NDArray[np.float64]: ...
    @property
    def bought(self) -> NDArray[np.float64]: ...
    @property
    def audience(self) -> NDArray[np.float64]: ...
    @property
    def reach(self) -> NDArray[np.float64]: ...
    @property
    def response(self) -> NDArray[np.float64]: ...


class ChannelSpend(Protocol):
    """A channel and its money per day over the horizon (`dynamics.ChannelState`)."""

    @property
    def channel(self) -> Channel: ...
    @property
    def spend(self) -> NDArray[np.float64]: ...


class MediaPlan(Protocol):
    """The channels a run spends on (`dynamics.Dynamics`)."""

    @property
    def channels(self) -> Sequence[ChannelSpend]: ...


@dataclass
class MediaRecord:
    """Per day and channel: spend (money), delivered and bought impressions, audience, people reached, response,
    and the spend paid for impressions bought but not delivered (audience and frequency cap binding)."""

    channels: tuple[str, ...]
    spend: NDArray[np.float64]  # (D, C)
    impressions: NDArray[np.float64]  # (D, C) exposures delivered (after frequency caps)
    audience: NDArray[np.float64]  # (D, C) people the channel could reach at the start of the day
    reach: NDArray[np.float64]  # (D, C) expected people exposed at least once
    response: NDArray[np.float64]  # (D, C) response in [0, 1) to the adstocked exposures
    bought: NDArray[np.float64]  # (D, C) impressions (media units) the day's spend bought, before the caps
    wasted_spend: NDArray[np.float64]  # (D, C) spend x (1 - delivered / bought): paid, not delivered

    @classmethod
    def empty(cls, channels: tuple[str, ...], days: int) -> MediaRecord:
        z = np.zeros((days, len(channels)))
        return cls(channels, z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), z.copy())

    def set_day(self, d: int, rec: DayMedia) -> None:
        self.spend[d], self.impressions[d], self.audience[d] = rec.spend, rec.impressions, rec.audience
        self.reach[d], self.response[d], self.bought[d] = rec.reach, rec.response, rec.bought
        undelivered = np.clip(
            1.0 - np.divide(rec.impressions, rec.bought, where=rec.bought > 0, out=np.ones_like(rec.bought)), 0.0, 1.0
        )
        self.wasted_spend[d] = np.where(rec.bought > 0, rec.spend * undelivered, 0.0)

    def add_referral_costs(self, referrals_per_day: NDArray[np.int64], dynamics: MediaPlan) -> None:
        """Referral programmes pay `cost_per_referral` for every referral on the days they are in flight."""
        for c, cs in enumerate(dynamics.channels):
            if cs.channel.cost_per_referral > 0:
                live = cs.spend > 0
                self.spend[live, c] += referrals_per_day[live] * cs.channel.cost_per_referral

    @property
    def total_spend(self) -> float:
        return float(self.spend.sum())


@dataclass
class CustomerTable:
    """One entry per simulated customer (initial customers first, then arrivals in time order)."""

    segment: NDArray[np.int16]
    start_stage: NDArray[np.int16]
    entry_time: NDArray[np.float64]  # day the customer joined (0 for customers present at the start)
    first_purchase: NDArray[np.float64]  # day of first purchase within the horizon, NaN if none
    purchases: NDArray[np.int32]  # entries into conversion stages within the horizon
    visited: NDArray[np.uint64]  # bit s set if the customer was ever in stage s (start stage included)
    final_stage: NDArray[np.int16]  # stage at the end of the horizon
    effects: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # per-customer random effects by name

    def __len__(self) -> int:
        return int(self.segment.shape[0])


@dataclass
class Records:
    """Raw results of one replication; metrics are pure functions of this object."""

    stages: tuple[str, ...]
    segments: tuple[str, ...]
    conversion: tuple[int, ...]
    terminal: tuple[int, ...]
    pre_purchase: tuple[int, ...]
    entry: int
    positions: tuple[str, ...]
    promoters: tuple[int, ...]
    detractors: tuple[int, ...]
    horizon_days: int
    initial: NDArray[np.int64]  # (G, S) customers present at day 0
    flows: NDArray[np.int64]  # (D, G, S + 1, S) transitions on day d; source index S = arrival from outside
    revenue: NDArray[np.float64]  # (D, G) revenue booked on day d
    margin: NDArray[np.float64]  # (D, G) margin (revenue x segment margin) booked on day d
    prospect_clv: NDArray[np.float64]  # (G,) discounted margin from purchases by prospects (acquisition cohort)
    customers: CustomerTable
    events: pd.DataFrame | None = None  # customer, time, from_stage, to_stage (only when requested)
    #: the touch log's sample's moves by customer, then time (an engine run with a `streams.LogSample`)
    moves: Moves | None = None
    #: the same customers' purchases by customer, then time, with their order values
    purchases: Purchases | None = None
    #: per customer: in the event log's sample (`streams.LogSample`; None: every customer, or no sample asked)
    logged: NDArray[np.bool_] | None = None
    referrals: NDArray[np.int64] | None = None  # (D, G) referrals made by advocates per day
    media: MediaRecord = field(default_factory=lambda: MediaRecord.empty((), 0))

    @property
    def spend(self) -> float:
        """Total money spent on media over the horizon."""
        return self.media.total_spend

    @property
    def n_stages(self) -> int:
        return len(self.stages)

    def entries(self) -> NDArray[np.int64]:
        """(D, G, S) entries into each stage per day, arrivals included."""
        return self.flows.sum(axis=2)

    def exits(self) -> NDArray[np.int64]:
        """(D, G, S) exits out of each stage per day."""
        return self.flows[:, :, : self.n_stages, :].sum(axis=3)

    def occupancy(self) -> NDArray[np.int64]:
        """(D, G, S) customers in each stage at the end of each day."""
        net = np.cumsum(self.entries() - self.exits(), axis=0)
        return self.initial[None, :, :] + net

    def purchases_per_day(self) -> NDArray[np.int64]:
        """(D, G) entries into conversion stages per day (repeat purchases included)."""
        return self.flows[:, :, :, list(self.conversion)].sum(axis=(2, 3))

    def transition_counts(self) -> NDArray[np.int64]:
        """(S + 1, S) total transitions over the horizon and all segments; row S is arrivals."""
        return self.flows.sum(axis=(0, 1))


def customer_table(
    keep: NDArray[np.bool_],
    *,
    segment: NDArray[Any],
    start_stage: NDArray[Any],
    entry_time: NDArray[np.float64],
    first_purchase: NDArray[np.float64],
    purchases: NDArray[np.int32],
    visited: NDArray[np.uint64],
    final_stage: NDArray[np.int16],
    effects: dict[str, NDArray[np.float64]] | None = None,
) -> CustomerTable:
    """The customer table of the roster's customers who arrived (`keep`; arrival candidates thinned away are
    dropped): one scan of the mask for every column, the arrays themselves when everyone arrived."""
    effects = effects or {}
    if keep.all():
        return CustomerTable(segment, start_stage, entry_time, first_purchase, purchases, visited, final_stage, effects)
    kept = np.flatnonzero(keep)
    return CustomerTable(
        segment=segment.take(kept),
        start_stage=start_stage.take(kept),
        entry_time=entry_time.take(kept),
        first_purchase=first_purchase.take(kept),
        purchases=purchases.take(kept),
        visited=visited.take(kept),
        final_stage=final_stage.take(kept),
        effects={name: v.take(kept) for name, v in effects.items()},
    )


def event_table(
    customer: NDArray[Any],
    time: NDArray[Any],
    src: NDArray[Any],
    dst: NDArray[Any],
    keep: NDArray[np.bool_],
    stages: tuple[str, ...],
) -> pd.DataFrame:
    """The event log by time, then roster position (ties keep their order), customers numbered as in the
    customer table (`keep`: who arrived, by roster position); stage S is `OUTSIDE`."""
    order, near = time_order(time.astype(float, copy=False))  # distinct times have one order, whatever the sort
    if near.any():  # equal or nearly equal times (few): those runs re-sorted by time, roster position, log order
        at = in_runs(near)
        sub = order[at]
        order[at] = sub[np.lexsort((sub, customer[sub], time[sub]))]
    ordered = time[order].astype(float, copy=False)
    number = customer_numbers(keep)
    cat = pd.CategoricalDtype([*stages, OUTSIDE])
    return pd.DataFrame(
        {
            "customer": number[customer[order].astype(np.intp, copy=False)].astype(np.int64, copy=False),
            "time": ordered,
            "from_stage": pd.Categorical.from_codes(src[order], dtype=cat, validate=False),  # codes < S + 1
            "to_stage": pd.Categorical.from_codes(dst[order], dtype=cat, validate=False),
        },
        copy=False,  # the columns are fresh arrays: no copy into consolidated blocks
    )


def journey_records(
    scenario: Scenario,
    *,
    flows: NDArray[np.int64],
    revenue: NDArray[np.float64],
    margin: NDArray[np.float64],
    prospect_clv: NDArray[np.float64],
    customers: CustomerTable,
    events: pd.DataFrame | None,
    referrals: NDArray[np.int64],
    media: MediaRecord,
    initial: NDArray[np.int64] | None = None,
) -> Records:
    """`Records` of one run of `scenario`: its journey's and population's description beside the results."""
    j = scenario.journey
    return Records(
        stages=j.stages,
        segments=scenario.population.names,
        conversion=j.conversion_indices,
        terminal=j.terminal_indices,
        pre_purchase=j.pre_purchase_indices,
        entry=j.entry_index,
        positions=tuple(j.positions[x] for x in j.stages),
        promoters=tuple(j.index(x) for x in (j.promoters or ())),
        detractors=tuple(j.index(x) for x in (j.detractors or ())),
        horizon_days=scenario.settings.horizon_days,
        initial=scenario.initial_counts() if initial is None else initial,
        flows=flows,
        revenue=revenue,
        margin=margin,
        prospect_clv=prospect_clv,
        customers=customers,
        events=events,
        referrals=referrals,
        media=media,
    )
