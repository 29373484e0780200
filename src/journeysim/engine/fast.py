"""The fast engine: SimPy holds the event calendar, the population advances in vectorised numpy between events.

Each customer holds the time of its next candidate jump. `advance_to(t)` performs, in rounds, the next
candidate of every customer whose candidate falls before `t`, until none does; so every transition is
simulated (several per day included) and cost grows with transitions, not customers x days. When rates vary
by day (campaigns, rate-multiplier windows, word of mouth), candidates are drawn at each row's largest
hazard and accepted with probability (that day's hazard) / (largest): exact thinning, so a rate change at a
day boundary takes effect exactly there. A SimPy process ticks at day boundaries only when a day's rates
depend on the population at its start (audiences, detractors, contagion from advocates).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy
from numpy.typing import NDArray

from journeysim.engine.plan import CONTAGION_ID_BASE, Plan
from journeysim.engine.records import OUTSIDE, CustomerTable, MediaRecord, Records
from journeysim.engine.streams import child_keys, customer_keys, draw_bits, uniform_pair

CHUNK = 1 << 19  # customers advanced together; bounds temporaries and keeps rounds cache-friendly
WINDOW = 7.0  # days between full scans of the roster when the population is brought up to date daily

_GROWN = ("ckey", "segment", "start_stage", "entry_time", "row", "next_time", "counter", "purchases",
          "first_purchase", "visited")


class FastEngine:
    """Vectorised next-event engine over one compiled plan (one replication)."""

    def __init__(self, plan: Plan, event_log: bool = False) -> None:
        self.plan = plan
        sc = plan.scenario
        j = sc.journey
        n = plan.n_customers
        self.n_stages = s = j.n_stages
        self.n_segments = g = len(sc.population.segments)
        self.horizon = d = sc.settings.horizon_days
        self.delta = sc.settings.discount_per_day
        self.now = 0.0
        self._window_end = -1.0
        self._due = np.zeros(0, dtype=np.intp)
        self._scanned = 0
        s1 = s + 1
        self.n_rows = g * s1
        # roster and per-customer state (grown when word of mouth brings new customers)
        self.n = n
        self.ckey = plan.ckey
        self.segment = plan.segment
        self.start_stage = plan.start_stage
        self.entry_time = plan.entry_time
        self.row = (plan.segment.astype(np.int16) * s1 + s).astype(np.int16)  # stage S = not yet arrived
        self.next_time = plan.entry_time.copy()
        self.counter = np.zeros(n, dtype=np.uint32)
        self.purchases = np.zeros(n, dtype=np.int32)
        self.first_purchase = np.full(n, np.nan)
        self.visited = np.zeros(n, dtype=np.uint64)
        # lookup tables by stage and by table row
        self.is_conversion = np.zeros(s, dtype=bool)
        self.is_conversion[list(j.conversion_indices)] = True
        self.is_prospect_start = np.zeros(s, dtype=bool)
        self.is_prospect_start[list(j.pre_purchase_indices)] = True
        self.bit = np.left_shift(np.uint64(1), np.arange(s, dtype=np.uint64))
        row_stage = np.arange(self.n_rows) % s1
        self.bit_row = np.append(self.bit, np.uint64(0))[row_stage]
        self.is_conversion_row = np.append(self.is_conversion, False)[row_stage]
        det = sc.word_of_mouth.detractors
        det_stages = np.zeros(s1, dtype=bool)
        if det is not None:
            det_stages[[j.index(x) for x in det.stages]] = True
        self.is_detractor_row = det_stages[row_stage]
        # aggregates
        self.flows = np.zeros(d * g * s1 * s, dtype=np.int64)
        self.revenue = np.zeros(d * g)
        self.margin = np.zeros(d * g)
        self.prospect_clv = np.zeros(g)
        self.referrals = np.zeros(d * g, dtype=np.int64)
        self.occupancy = plan.scenario.initial_counts().copy()  # (G, S) at the start of the current day
        self.ever_bought = 0
        self.detractors = 0
        self.contagion_adopted = 0
        self.event_log = event_log
        self._events: list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int16], NDArray[np.int16]]] = []
        # daily thinning tables (filled day by day, or all at once when no day depends on the population)
        dyn = plan.dynamics
        k = plan.table.cum.shape[1]
        self.media = MediaRecord.empty(dyn.channel_names, d)
        if plan.thinning:
            self.accept = np.ones(d * self.n_rows)
            self.arrival_base = np.ones(d * g)
            self.arrival_extra = np.zeros(d * g)
            self.day_cum = [np.ones(d * self.n_rows) for _ in range(k - 1)]
        self.contagion_rng = np.random.default_rng(plan.contagion_seed)
        plan.dynamics.reset()
        self._place_initial()

    # ------------------------------------------------------------------ roster
    def _grow(self, extra: int) -> None:
        need = self.n + extra
        cap = self.next_time.shape[0]
        if need <= cap:
            return
        new_cap = max(need, int(cap * 1.5) + 1024)
        for name in _GROWN:
            old = getattr(self, name)
            arr = np.empty(new_cap, dtype=old.dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)

    def _admit(self, ckey: NDArray[np.uint64], seg: NDArray[np.intp], t: NDArray[np.float64]) -> None:
        """Add customers who arrive at the entry stage at times `t` (referrals, contagion adopters)."""
        m = t.shape[0]
        if m == 0:
            return
        self._grow(m)
        sl = slice(self.n, self.n + m)
        entry = self.plan.scenario.journey.entry_index
        s1 = self.n_stages + 1
        self.ckey[sl] = ckey
        self.segment[sl] = seg
        self.start_stage[sl] = entry
        self.entry_time[sl] = t
        self.row[sl] = seg * s1 + self.n_stages
        self.next_time[sl] = t
        self.counter[sl] = 0
        self.purchases[sl] = 0
        self.first_purchase[sl] = np.nan
        self.visited[sl] = 0
        self.n += m

    def _place_initial(self) -> None:
        """Customers present at day 0 start in their stage with a holding time from their draw 0."""
        n0 = self.plan.n_initial
        for start in range(0, n0, CHUNK):  # in blocks: bounds the temporaries for very large populations
            block = slice(start, min(start + CHUNK, n0))
            st = self.plan.start_stage[block]
            row = self.plan.segment[block].astype(np.intp) * (self.n_stages + 1) + st
            self.row[block] = row
            self.visited[block] = self.bit[st]
            hi, _ = uniform_pair(draw_bits(self.ckey[block], 0))
            self.next_time[block] = self.plan.holding(row, st, hi)
        self.counter[:n0] = 1

    # ------------------------------------------------------------------ days
    def start_day(self, d: int) -> None:
        """Set day d's hazards from the strategy and the population at its start (after `advance_to(d)`)."""
        if d > 0:
            day_flows = self.flows.reshape(self.horizon, self.n_segments, self.n_stages + 1, self.n_stages)[d - 1]
            self.occupancy += day_flows.sum(axis=1) - day_flows[:, : self.n_stages, :].sum(axis=2)
        plan = self.plan
        if plan.thinning:
            mult, arrivals, referral, rec = plan.dynamics.day(d, self.occupancy, self.ever_bought, self.detractors)
            self.media.set_day(d, rec)
            total, cum = plan.day_tables(mult, referral)
            bound = plan.table.total
            with np.errstate(invalid="ignore", divide="ignore"):
                acc = np.where(bound > 0, total / bound, 1.0)
            g = self.n_segments
            self.arrival_base[d * g : (d + 1) * g] = np.minimum(1.0, arrivals)
            with np.errstate(invalid="ignore", divide="ignore"):
                extra = np.where(plan.arrival_upper > 1, (arrivals - 1.0) / (plan.arrival_upper - 1.0), 0.0)
            self.arrival_extra[d * g : (d + 1) * g] = np.clip(extra, 0.0, 1.0)
            cells = slice(d * self.n_rows, (d + 1) * self.n_rows)
            self.accept[cells] = acc
            for c, col in enumerate(self.day_cum):
                col[cells] = cum[:, c]
        self._contagion(d)

    def _contagion(self, d: int) -> None:
        """Bass adopters for day d when adopters are customers in source stages (hazard fixed over the day)."""
        con = self.plan.scenario.word_of_mouth.contagion
        if con is None or con.source is None:
            return
        j = self.plan.scenario.journey
        g = self.plan.scenario.population.names.index(con.segment)
        adopters = float(sum(self.occupancy[:, j.index(x)].sum() for x in con.source))
        unaware = con.market_size - self.contagion_adopted
        h = con.p + con.q * adopters / con.market_size
        if unaware <= 0 or h <= 0:
            return
        rng = self.contagion_rng
        m = int(rng.binomial(unaware, -np.expm1(-h)))
        if m == 0:
            return
        v = rng.random(m)
        t = d + np.sort(-np.log1p(v * np.expm1(-h)) / h)  # exponential truncated to the day
        ident = np.uint64(CONTAGION_ID_BASE + (g << 40) + self.contagion_adopted) + np.arange(m, dtype=np.uint64)
        self.contagion_adopted += m
        self._admit(customer_keys(ident, self.plan.journey_key), np.full(m, g, dtype=np.intp), t)

    # ------------------------------------------------------------------ jumps
    def advance_to(self, t_end: float) -> None:
        """Perform every jump that happens before `t_end` (bounded by the horizon).

        Customers due before the end of the current window (WINDOW days) are found by one scan of the whole
        roster and kept in `_due`; later calls inside the window scan only them. This is exact: a customer
        outside `_due` has its next jump after the window end, and only its own jumps change that.
        """
        t_end = min(float(t_end), float(self.horizon))
        if t_end <= self.now:
            return
        if t_end > self._window_end:
            self._window_end = min(float(self.horizon), max(t_end, self.now + WINDOW))
            (self._due,) = np.nonzero(self.next_time[: self.n] < self._window_end)
            self._scanned = self.n
        elif self.n > self._scanned:
            (new,) = np.nonzero(self.next_time[self._scanned : self.n] < self._window_end)
            self._due = np.concatenate([self._due, new + self._scanned])
            self._scanned = self.n
        while True:
            due = self._due
            for start in range(0, due.size, CHUNK):
                part = due[start : start + CHUNK]
                idx = part[self.next_time[part] < t_end]
                if idx.size:
                    self._advance_chunk(idx, t_end)
            if self.n == self._scanned:
                break
            # customers admitted meanwhile (referrals, adopters): add the ones due in this window and go again
            (new,) = np.nonzero(self.next_time[self._scanned : self.n] < self._window_end)
            self._due = new + self._scanned
            self._scanned = self.n
            more = self._due
            self._due = np.concatenate([due, more])
            if not (self.next_time[more] < t_end).any():
                break
        self._due = self._due[self.next_time[self._due] < self._window_end]
        self.now = t_end

    def _advance_chunk(self, idx: NDArray[np.intp], t_end: float) -> None:
        plan, table = self.plan, self.plan.table
        s1 = self.n_stages + 1
        k_slots = table.cum.shape[1]
        dest_row, pair, dest = table.dest_row.ravel(), table.pair.ravel(), table.dest.ravel()
        per_day = self.n_segments * s1 * self.n_stages
        has_dwell = any(d is not None for d in plan.dwell)
        referrals = plan.scenario.word_of_mouth.referrals is not None
        thinning = plan.thinning
        while idx.size:
            everyone = idx  # rejected candidates and referrers stay in the round loop too
            t = self.next_time[idx]
            row = self.row[idx].astype(np.intp)
            k = self.counter[idx]
            hi, lo = uniform_pair(draw_bits(self.ckey[idx], k))
            self.counter[idx] = k + 1
            day = t.astype(np.intp)
            if thinning:
                cell = day * self.n_rows + row
                acc = self.accept[cell]
                (arr,) = np.nonzero(row % s1 == s1 - 1)
                if arr.size:
                    # arrivals: baseline prospects kept with min(1, m), extra candidates with max(0, m - 1) / (U - 1),
                    # adopters and referrals always (m = the day's arrival factor, U its largest value)
                    who = idx[arr]
                    gcell = day[arr] * self.n_segments + row[arr] // s1
                    acc[arr] = np.where(
                        who < plan.base_end,
                        self.arrival_base[gcell],
                        np.where(who < plan.poisson_end, self.arrival_extra[gcell], 1.0),
                    )
                ok = lo < acc
                if not ok.all():
                    (rej,) = np.nonzero(~ok)
                    self.next_time[idx[rej]] = t[rej] - np.log(hi[rej]) * table.mean_hold[row[rej]]
                    (sel,) = np.nonzero(ok)
                    idx, t, row, k, hi, day, cell, lo, acc = (
                        a[sel] for a in (idx, t, row, k, hi, day, cell, lo, acc)
                    )
                lo /= acc
                slot = np.zeros(idx.size, dtype=np.intp)
                for col in self.day_cum:
                    slot += lo >= col[cell]
            else:
                slot = table.slot(row, lo)
            flat = row * k_slots + slot
            if referrals:
                is_ref = dest[flat] == s1 - 1
                if is_ref.any():
                    (ref,) = np.nonzero(is_ref)
                    self._refer(idx[ref], t[ref], k[ref], day[ref])
                    self.next_time[idx[ref]] = t[ref] - np.log(hi[ref]) * table.mean_hold[row[ref]]
                    (stay,) = np.nonzero(~is_ref)
                    idx, t, row, k, hi, day, flat = (a[stay] for a in (idx, t, row, k, hi, day, flat))
            if idx.size == 0:  # every candidate was rejected or a referral
                idx = everyone[self.next_time[everyone] < t_end]
                continue
            new_row = dest_row[flat].astype(np.intp)
            first_day, last_day = int(day.min()), int(day.max())
            span = slice(first_day * per_day, (last_day + 1) * per_day)
            self.flows[span] += np.bincount(
                (day - first_day) * per_day + pair[flat], minlength=(last_day + 1 - first_day) * per_day
            )
            self.row[idx] = new_row
            self.visited[idx] |= self.bit_row[new_row]
            if self.event_log:
                self._events.append(
                    (idx.astype(np.int64), t.copy(), (row % s1).astype(np.int16), (new_row % s1).astype(np.int16))
                )
            (buy,) = np.nonzero(self.is_conversion_row[new_row])
            if buy.size:
                self._book_purchases(idx[buy], t[buy], new_row[buy] // s1, day[buy], k[buy])
            if self.is_detractor_row.any():
                det = self.is_detractor_row[new_row] & (self.purchases[idx] > 0) & ~self.is_detractor_row[row]
                self.detractors += int(det.sum())
            if has_dwell:
                nt = t + plan.holding(new_row, (new_row % s1).astype(np.int16), hi)
            else:
                nt = np.log(hi)
                nt *= table.mean_hold[new_row]
                np.subtract(t, nt, out=nt)
            self.next_time[idx] = nt
            idx = everyone[self.next_time[everyone] < t_end] if everyone is not idx else idx[nt < t_end]

    def _refer(self, idx: NDArray[np.intp], t: NDArray[np.float64], k: NDArray[np.uint32],
               day: NDArray[np.intp]) -> None:
        """Advocates' referrals: each brings one new prospect of the advocate's segment, arriving now."""
        seg = self.segment[idx].astype(np.intp)
        self.referrals += np.bincount(day * self.n_segments + seg, minlength=self.referrals.size)
        self._admit(child_keys(self.ckey[idx], k, self.plan.referral_salt), seg, t)

    def _book_purchases(
        self,
        idx: NDArray[np.intp],
        t: NDArray[np.float64],
        seg: NDArray[np.intp],
        day: NDArray[np.intp],
        k: NDArray[np.uint32],
    ) -> None:
        """Count purchases, first-purchase times, revenue, margin and prospects' discounted margin."""
        first = np.isnan(self.first_purchase[idx])
        self.ever_bought += int(first.sum())
        self.purchases[idx] += 1
        self.first_purchase[idx[first]] = t[first]
        u, _ = uniform_pair(draw_bits(self.ckey[idx] ^ self.plan.value_key, k))
        value, margin = self.plan.order_values(seg.astype(np.int16), u)
        cell = day * self.n_segments + seg
        self.revenue += np.bincount(cell, weights=value, minlength=self.revenue.size)
        self.margin += np.bincount(cell, weights=margin, minlength=self.margin.size)
        prospect = self.is_prospect_start[self.start_stage[idx]]
        if prospect.any():
            disc = margin[prospect] * np.exp(-self.delta * (t[prospect] - self.entry_time[idx[prospect]]))
            self.prospect_clv += np.bincount(seg[prospect], weights=disc, minlength=self.n_segments)

    # ------------------------------------------------------------------ run
    def _days(self, env: simpy.Environment) -> Generator[Any, Any, None]:
        """The day-boundary process: bring the population up to the boundary, then set the new day's hazards."""
        for d in range(self.horizon):
            self.advance_to(d)
            self.start_day(d)
            yield env.timeout(1)

    def run(self) -> Records:
        """Run to the horizon on a SimPy calendar and return the records."""
        plan = self.plan
        env = simpy.Environment()
        con = plan.scenario.word_of_mouth.contagion
        if plan.dynamics.needs_state or (con is not None and con.source is not None):
            env.process(self._days(env))
        elif plan.thinning:
            for d in range(self.horizon):  # no day depends on the population: set every day up front
                self.start_day(d)
        env.run(until=self.horizon)
        self.advance_to(env.now)
        return self.records()

    def records(self) -> Records:
        """Package the state as `Records`; Poisson arrival candidates that were thinned away are dropped."""
        plan = self.plan
        j = plan.scenario.journey
        d, g, s = self.horizon, self.n_segments, self.n_stages
        n = self.n
        final = (self.row[:n] % (s + 1)).astype(np.int16)
        keep = final < s
        cust = CustomerTable(
            segment=self.segment[:n][keep],
            start_stage=self.start_stage[:n][keep],
            entry_time=self.entry_time[:n][keep],
            first_purchase=self.first_purchase[:n][keep],
            purchases=self.purchases[:n][keep],
            visited=self.visited[:n][keep],
            final_stage=final[keep],
        ) if not keep.all() else CustomerTable(
            segment=self.segment[:n], start_stage=self.start_stage[:n], entry_time=self.entry_time[:n],
            first_purchase=self.first_purchase[:n], purchases=self.purchases[:n], visited=self.visited[:n],
            final_stage=final,
        )
        events = None
        if self.event_log:
            parts = self._events
            cols = [np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dtype=int) for i in range(4)]
            order = np.lexsort((cols[0], cols[1]))
            renumber = np.cumsum(keep) - 1  # customer numbers as in the customer table
            cat = pd.CategoricalDtype([*j.stages, OUTSIDE])
            events = pd.DataFrame(
                {
                    "customer": renumber[cols[0][order].astype(np.intp)].astype(np.int64),
                    "time": cols[1][order].astype(float),
                    "from_stage": pd.Categorical.from_codes(cols[2][order].astype(int), dtype=cat),
                    "to_stage": pd.Categorical.from_codes(cols[3][order].astype(int), dtype=cat),
                }
            )
        self.media.add_referral_costs(self.referrals.reshape(d, g).sum(axis=1), plan.dynamics)
        return Records(
            stages=j.stages,
            segments=plan.scenario.population.names,
            conversion=j.conversion_indices,
            terminal=j.terminal_indices,
            pre_purchase=j.pre_purchase_indices,
            entry=j.entry_index,
            positions=tuple(j.positions[x] for x in j.stages),
            promoters=tuple(j.index(x) for x in (j.promoters or ())),
            detractors=tuple(j.index(x) for x in (j.detractors or ())),
            horizon_days=d,
            initial=plan.scenario.initial_counts(),
            flows=self.flows.reshape(d, g, s + 1, s),
            revenue=self.revenue.reshape(d, g),
            margin=self.margin.reshape(d, g),
            prospect_clv=self.prospect_clv,
            customers=cust,
            events=events,
            referrals=self.referrals.reshape(d, g),
            media=self.media,
        )


def simulate_fast(plan: Plan, event_log: bool = False) -> Records:
    """Run one replication of a compiled plan with the vectorised engine."""
    return FastEngine(plan, event_log=event_log).run()
