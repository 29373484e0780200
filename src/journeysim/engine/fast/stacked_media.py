"""The media dynamics of every member of a stacked pass at once: one array operation per step and day for all
(member, channel) pairs instead of `Dynamics.day` per member.

Why this is exact: every step of `Dynamics.day` is an elementwise operation on one (member, channel) pair (units,
capped exposures, adstock, response, reach) or a product over a member's own channels in channel order; here the
same operations run on arrays with a pair axis, and the products run channel slot by channel slot, so each
member's cells are multiplied in its own order. Response curves are called per distinct (curve, K, slope) with
scalar parameters, exactly as one member calls them. Only stackable members (no detractors) come here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.dynamics import ChannelState
from journeysim.engine.plan import Plan
from journeysim.engine.records import MediaRecord
from journeysim.interventions import media, schedule

#: one effect of a channel slot across the stack: stacked flat cells, the pair owning each, each cell's lift
Cells = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]


class StackedMedia:
    """Compiled (member, channel) pairs of a stack; `day(d, occupancy)` gives the stacked multipliers."""

    def __init__(self, members: Sequence[Plan], rows: int, n_seg: int, n_st: int) -> None:
        self.members, self.rows, self.n_seg, self.n_st = members, rows, n_seg, n_st
        self.pairs: list[ChannelState] = [cs for p in members for cs in p.dynamics.channels]
        self.member = np.array([m for m, p in enumerate(members) for _ in p.dynamics.channels], dtype=np.intp)
        self.slot = np.array([c for p in members for c in range(len(p.dynamics.channels))], dtype=np.intp)
        n_pairs, horizon = len(self.pairs), members[0].scenario.settings.horizon_days
        self.spend = np.array([cs.spend for cs in self.pairs], dtype=float).reshape(n_pairs, horizon)
        self.bought = np.zeros((n_pairs, horizon))
        self.priced = np.array([cs.units is None for cs in self.pairs], dtype=bool)  # units from the day's audience
        for p, cs in enumerate(self.pairs):
            if cs.units is not None:
                self.bought[p] = cs.units
        self.audience_rows = np.zeros((n_pairs, n_seg * n_st), dtype=np.int64)
        for p, cs in enumerate(self.pairs):
            self.audience_rows[p] = cs.audience_rows.reshape(n_seg, n_st + 1)[:, :n_st].reshape(-1)
        self.market = np.array([cs.channel.market_audience for cs in self.pairs], dtype=float)
        self.caps = [cs.channel.frequency_cap for cs in self.pairs]
        self.decay = np.array([cs.channel.adstock for cs in self.pairs], dtype=float)
        self.adstock = np.array([cs.adstock for cs in self.pairs], dtype=float)
        self.curves: dict[tuple[object, float, float], NDArray[np.intp]] = {}
        for p, cs in enumerate(self.pairs):
            key = (cs.respond, cs.channel.response.half_saturation, cs.channel.response.slope)
            self.curves.setdefault(key, np.zeros(0, dtype=np.intp))
            self.curves[key] = np.append(self.curves[key], p)
        self.arrival_lift = np.array([cs.arrival_lift for cs in self.pairs], dtype=float).reshape(n_pairs, n_seg)
        self.referral_lift = np.array([cs.referral_lift for cs in self.pairs], dtype=float)
        self.slots = self._slots()
        self.windows = [p.dynamics.window for p in members]
        self.rec = {k: np.zeros((horizon, n_pairs)) for k in ("spend", "impressions", "audience", "reach", "response")}
        self.rec["bought"] = np.zeros((horizon, n_pairs))

    def _slots(self) -> list[tuple[NDArray[np.intp], list[Cells]]]:
        """Per channel slot in order: its pairs, and per effect in order the stacked flat cells, their pair, lift."""
        out = []
        size = self.rows * self.n_st
        for c in range(int(self.slot.max()) + 1 if len(self.pairs) else 0):
            pairs = np.flatnonzero(self.slot == c)
            effects = []
            for e in range(max(len(self.pairs[p].cells) for p in pairs)):
                cells, owner, lift = [], [], []
                for p in pairs:
                    if e < len(self.pairs[p].cells):
                        idx, li = self.pairs[p].cells[e]
                        cells.append(idx + self.member[p] * size)
                        owner.append(np.full(idx.shape[0], p, dtype=np.intp))
                        lift.append(np.full(idx.shape[0], li, dtype=float))
                effects.append((np.concatenate(cells), np.concatenate(owner), np.concatenate(lift)))
            out.append((pairs, effects))
        return out

    def day(
        self, d: int, occupancy: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Day d's stacked ((M * rows, S) transitions, (M * G) arrivals, (M,) referrals) from the (M * G, S)
        start-of-day occupancy; the day's media records are kept for `records`."""
        n_mem, g, s = len(self.members), self.n_seg, self.n_st
        mult = np.ones((n_mem * self.rows, s))
        arrivals = np.ones((n_mem, g))
        referral = np.ones(n_mem)
        if self.pairs:
            occ = occupancy.reshape(n_mem, g * s)
            counts = np.einsum("pk,pk->p", self.audience_rows, occ[self.member])
            audience = counts.astype(float) + self.market
            spend = self.spend[:, d]
            units = self.bought[:, d].copy()
            for p in np.flatnonzero(self.priced):
                cs = self.pairs[p]
                units[p] = schedule.units_on_day(cs.cost, cs.channel, None, d, float(spend[p]), float(audience[p]))
            per_person = np.divide(units, audience, out=np.zeros_like(units), where=audience > 0)
            exposures = np.array(media.capped_poisson_means(per_person.tolist(), self.caps), dtype=float)
            self.adstock = exposures + self.decay * self.adstock
            r = np.empty(len(self.pairs))
            for (respond, half, slope), ps in self.curves.items():
                r[ps] = respond(self.adstock[ps], half, slope)  # type: ignore[operator]
            r = np.minimum(np.maximum(r, 0.0), 1.0)
            flat = mult.reshape(-1)
            for pairs, effects in self.slots:
                for cells, owner, lift in effects:
                    flat[cells] *= 1.0 + lift * r[owner]
                arrivals[self.member[pairs]] *= 1.0 + self.arrival_lift[pairs] * r[pairs, None]
                referral[self.member[pairs]] *= 1.0 + self.referral_lift[pairs] * r[pairs]
            rec = self.rec
            rec["spend"][d], rec["impressions"][d], rec["audience"][d] = spend, exposures * audience, audience
            rec["reach"][d], rec["response"][d], rec["bought"][d] = media.reach(per_person) * audience, r, units
        for m, window in enumerate(self.windows):
            if window is not None:
                mult[m * self.rows : (m + 1) * self.rows] *= window[d]
        return mult, arrivals.reshape(-1), referral

    def records(self) -> list[MediaRecord]:
        """Each member's media record (as `Dynamics.day` fills it alone); leaves each channel's final adstock."""
        for p, cs in enumerate(self.pairs):
            cs.adstock = float(self.adstock[p])
        out = []
        for m, plan in enumerate(self.members):
            (cols,) = np.nonzero(self.member == m)
            rec = MediaRecord.empty(plan.dynamics.channel_names, plan.scenario.settings.horizon_days)
            for k, arr in self.rec.items():
                setattr(rec, k, np.ascontiguousarray(arr[:, cols]))
            undelivered = np.clip(
                1.0 - np.divide(rec.impressions, rec.bought, where=rec.bought > 0, out=np.ones_like(rec.bought)),
                0.0,
                1.0,
            )
            rec.wasted_spend = np.where(rec.bought > 0, rec.spend * undelivered, 0.0)
            out.append(rec)
        return out
