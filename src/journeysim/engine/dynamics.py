"""Time-varying dynamics: per-day rate multipliers from channels, rate-multiplier windows and word of mouth.

Rates are piecewise constant per day. `Dynamics.day(d, state)` turns the strategy's spend on day d and the
population at the start of day d (audience sizes, advocates, detractors) into multipliers on every
(row, destination) hazard, an arrival factor per segment and a referral factor. The engine simulates these
exactly by thinning against `upper` (the largest multiplier any day can produce). The math lives with its
concept and is only assembled here: effect masks in `interventions.effects`, money and media units in
`interventions.schedule`, caps, adstock and response curves in `interventions.media`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from journeysim.interventions import ARRIVALS, REFERRALS, Channel, ChannelPlan, media, schedule
from journeysim.interventions.effects import effect_mask
from journeysim.model.scenario import Scenario


@dataclass
class ChannelState:
    """One channel plan compiled: daily spend, audience rows, effect masks and carryover state."""

    plan: ChannelPlan
    channel: Channel
    spend: NDArray[np.float64]  # (D,) money per day
    audience_rows: NDArray[np.bool_]  # (G * (S + 1),) rows reached (virtual arrival rows never)
    effects: list[tuple[NDArray[np.bool_], float]]  # (G * (S + 1), S) mask and lift, journey transitions
    arrival_lift: NDArray[np.float64]  # (G,) lift on arrivals per segment (0 where not reached)
    referral_lift: float
    cost: media.CostModel  # the channel's registered cost model
    respond: media.ResponseFn  # the channel's registered response curve
    adstock: float = 0.0
    units: NDArray[np.float64] | None = None  # (D,) media units bought each day (None: priced by the day's audience)
    cells: list[tuple[NDArray[np.intp], float]] = field(default_factory=list)  # `effects` as flat (rows * S) indices


def _channel_state(scenario: Scenario, plan: ChannelPlan) -> ChannelState:
    """Compile one funded channel plan: its daily money and media units, audience rows and lifted hazards."""
    j, pop = scenario.journey, scenario.population
    n_seg, n_st = len(pop.segments), j.n_stages
    rows = n_seg * (n_st + 1)
    ch = scenario.channels[plan.channel]
    spend = schedule.daily_spend(plan, scenario.settings.horizon_days)
    stages = set(ch.stages) | {s for s in j.stages if j.positions[s] in ch.positions}
    if plan.stages is not None:  # stage-targeted messaging: the audience stages named or at the positions
        stages = {s for s in stages if s in plan.stages or j.positions[s] in plan.stages}
    stage_mask = np.array([s in stages for s in j.stages])
    seg_mask = np.array([ch.segments is None or g.name in ch.segments for g in pop.segments])
    aud = np.zeros(rows, bool)
    for g in range(n_seg):
        if seg_mask[g]:
            aud[g * (n_st + 1) : g * (n_st + 1) + n_st] = stage_mask
    lifted = []
    arrival_lift = np.zeros(n_seg)
    referral_lift = 0.0
    for e in ch.effects:
        target = e.kind.target
        if target == ARRIVALS:
            arrival_lift += np.where(seg_mask, e.lift, 0.0)
            continue
        if target == REFERRALS:
            referral_lift += e.lift
            continue
        m = effect_mask(j, e, stage_mask)
        full = np.zeros((rows, n_st), bool)
        for g in range(n_seg):
            if seg_mask[g]:
                full[g * (n_st + 1) : g * (n_st + 1) + n_st] = m
        lifted.append((full, e.lift))
    respond = media.RESPONSES.get(ch.response.kind, f"channels.{ch.name}.response.kind")
    cs = ChannelState(plan, ch, spend, aud, lifted, arrival_lift, referral_lift, schedule.cost_model(ch), respond)
    cs.units = schedule.bought_units(ch, spend)
    cs.cells = [(np.flatnonzero(mask), lift) for mask, lift in lifted]
    return cs


@dataclass
class DayRecord:
    """What one day of media delivered, per channel."""

    spend: NDArray[np.float64]
    impressions: NDArray[np.float64]
    audience: NDArray[np.float64]
    reach: NDArray[np.float64]
    response: NDArray[np.float64]
    bought: NDArray[np.float64]  # impressions the spend bought, before the audience and frequency caps


@dataclass
class Dynamics:
    """Compiled interventions for one scenario (no randomness here)."""

    scenario: Scenario
    channels: list[ChannelState] = field(default_factory=list)
    window: NDArray[np.float64] | None = None  # (D, rows, S) rate-multiplier windows
    upper: NDArray[np.float64] | None = None  # (rows, S) largest multiplier any day can produce
    arrival_upper: NDArray[np.float64] | None = None  # (G,)
    referral_upper: float = 1.0
    needs_state: bool = False  # True when a day's multipliers depend on the population at its start
    carried: dict[str, float] = field(default_factory=dict)  # channel -> adstock at day 0 (a continued run)
    _audience_rows: NDArray[np.int64] | None = field(default=None, repr=False)  # (channels, G * S) audience stages

    @property
    def active(self) -> bool:
        return bool(self.channels) or self.window is not None or self.scenario.word_of_mouth.detractors is not None

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(c.channel.name for c in self.channels)

    @classmethod
    def compile(cls, scenario: Scenario) -> Dynamics:
        j, pop, st = scenario.journey, scenario.population, scenario.strategy
        horizon = scenario.settings.horizon_days
        n_seg, n_st = len(pop.segments), j.n_stages
        rows = n_seg * (n_st + 1)
        dyn = cls(scenario)
        upper = np.ones((rows, n_st))
        arrival_upper = np.ones(n_seg)
        for plan in st.plans:
            if plan.budget <= 0:
                continue  # no money, no media: leaving it out keeps the random numbers paired with no spend
            cs = _channel_state(scenario, plan)
            for full, lift in cs.effects:
                upper = np.where(full, upper * max(1.0, 1.0 + lift), upper)
            arrival_upper *= np.maximum(1.0, 1.0 + cs.arrival_lift)
            dyn.referral_upper *= max(1.0, 1.0 + cs.referral_lift)
            dyn.channels.append(cs)
            if cs.audience_rows.any():
                dyn.needs_state = True
        if st.rate_multipliers:
            window = np.ones((horizon, rows, n_st))
            for rm in st.rate_multipliers:
                i, k = j.index(rm.source), j.index(rm.target)
                for g, seg in enumerate(pop.segments):
                    if rm.segments is None or seg.name in rm.segments:
                        window[rm.start : rm.end, g * (n_st + 1) + i, k] *= rm.factor
            dyn.window = window
            upper *= np.maximum(1.0, window.max(axis=0))
        if scenario.word_of_mouth.detractors is not None:
            dyn.needs_state = True
        dyn.upper = upper
        dyn.arrival_upper = arrival_upper
        return dyn

    def referral_fees(self, referrals_per_day: NDArray[np.int64]) -> NDArray[np.float64]:
        """(D, C) money each channel's referral programme owes for the day's referrals (`schedule.referral_fees`)."""
        fees = [
            schedule.referral_fees(cs.spend, referrals_per_day, cs.channel.cost_per_referral) for cs in self.channels
        ]
        return np.stack(fees, axis=1) if fees else np.zeros((referrals_per_day.shape[0], 0))

    def reset(self) -> None:
        """Forget carryover, so every run of a compiled plan starts from no media effect (or the carried one)."""
        for cs in self.channels:
            cs.adstock = self.carried.get(cs.channel.name, 0.0)

    def carry_adstock(self, adstock: Mapping[str, float]) -> None:
        """Start every channel from the adstock an earlier run ended with (`population.from_run`)."""
        self.carried = dict(adstock)

    def day(
        self, d: int, occupancy: NDArray[np.int64], ever_bought: int, detractors: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], float, DayRecord]:
        """Multipliers for day d: ((rows, S) transitions, (G,) arrivals, referrals) and the day's media record.

        `occupancy` is the (G, S) population at the start of day d; `ever_bought` counts customers with a purchase
        and `detractors` the buyers who have entered a detractor stage, both up to the start of day d.
        """
        j = self.scenario.journey
        n_seg, n_st = occupancy.shape
        rows = n_seg * (n_st + 1)
        mult = np.ones((rows, n_st))
        flat = mult.reshape(-1)
        arrivals = np.ones(n_seg)
        referral = 1.0
        k = len(self.channels)
        if k:
            # audiences: integer sums of the start-of-day occupancy over each channel's rows (exact in any order)
            if self._audience_rows is None or self._audience_rows.shape[1] != n_seg * n_st:
                self._audience_rows = np.stack(
                    [cs.audience_rows.reshape(n_seg, n_st + 1)[:, :n_st].reshape(-1) for cs in self.channels]
                ).astype(occupancy.dtype)
            counts = (self._audience_rows @ occupancy.reshape(-1)).tolist()
        rec_spend, rec_impressions, rec_audience, rec_reach, rec_response = [], [], [], [], []
        audiences, spends, per_persons, bought = [], [], [], []
        for c, cs in enumerate(self.channels):
            ch = cs.channel
            audience = float(counts[c]) + ch.market_audience
            spend = float(cs.spend[d])
            units = schedule.units_on_day(cs.cost, ch, cs.units, d, spend, audience)
            audiences.append(audience)
            spends.append(spend)
            per_persons.append(units / audience if audience > 0 else 0.0)
            bought.append(units)
        # exposures per person under each channel's frequency cap (`media.capped_poisson_mean`, all channels at once)
        capped = media.capped_poisson_means(per_persons, [cs.channel.frequency_cap for cs in self.channels])
        for c, cs in enumerate(self.channels):
            ch = cs.channel
            audience, spend, per_person, exposures = audiences[c], spends[c], per_persons[c], capped[c]
            cs.adstock = media.adstock_step(cs.adstock, exposures, ch.adstock)
            r = float(cs.respond(cs.adstock, ch.response.half_saturation, ch.response.slope))
            r = min(max(r, 0.0), 1.0)  # a registered curve must stay in [0, 1]: the thinning bound relies on it
            for cells, lift in cs.cells:
                flat[cells] *= 1.0 + lift * r
            arrivals *= 1.0 + cs.arrival_lift * r
            referral *= 1.0 + cs.referral_lift * r
            rec_spend.append(spend)
            rec_impressions.append(exposures * audience)
            rec_audience.append(audience)
            rec_reach.append(float(media.reach(per_person)) * audience)
            rec_response.append(r)
        rec = DayRecord(
            np.array(rec_spend, dtype=float),
            np.array(rec_impressions, dtype=float),
            np.array(rec_audience, dtype=float),
            np.array(rec_reach, dtype=float),
            np.array(rec_response, dtype=float),
            np.array(bought, dtype=float),
        )
        if self.window is not None:
            mult *= self.window[d]
        det = self.scenario.word_of_mouth.detractors
        if det is not None and ever_bought > 0:
            factor = float(np.exp(-det.strength * detractors / ever_bought))
            for src, dst in det.effects:
                for g in range(n_seg):
                    mult[g * (n_st + 1) + j.index(src), j.index(dst)] *= factor
        return mult, arrivals, referral, rec
