"""The fast engine: SimPy holds the event calendar, the population advances in vectorised numpy between events.

Each customer holds its next jump time. `advance_to(t)` performs, in rounds, the next jump of every
customer whose jump falls before `t`, until none does; so every transition is simulated (several per day
included) and cost grows with transitions, not customers x days. Events that change the dynamics
(SimPy processes) first bring the population up to their time, then change the tables; holding times in
affected stages are then redrawn from the boundary (exact by memorylessness).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import simpy
from numpy.typing import NDArray

from journeysim.engine.plan import Plan
from journeysim.engine.records import CustomerTable, Records
from journeysim.engine.streams import mix, uniform_pair

CHUNK = 1 << 19  # customers advanced together; bounds temporaries and keeps rounds cache-friendly


class FastEngine:
    """Vectorised next-event engine over one compiled plan (one replication)."""

    def __init__(self, plan: Plan, event_log: bool = False) -> None:
        self.plan = plan
        sc = plan.scenario
        j = sc.journey
        n = plan.n_customers
        self.n_stages = j.n_stages
        self.n_segments = len(sc.population.segments)
        self.horizon = sc.settings.horizon_days
        self.delta = sc.settings.discount_per_day
        self.now = 0.0
        # per-customer state
        s1 = self.n_stages + 1
        # state: table row = segment * (S + 1) + stage; stage S means "not yet arrived"
        self.row = (plan.segment.astype(np.int16) * s1 + self.n_stages).astype(np.int16)
        self.next_time = plan.entry_time.copy()
        self.counter = np.zeros(n, dtype=np.uint32)
        self.purchases = np.zeros(n, dtype=np.int32)
        self.first_purchase = np.full(n, np.nan)
        self.visited = np.zeros(n, dtype=np.uint64)
        # lookup tables
        self.is_conversion = np.zeros(self.n_stages, dtype=bool)
        self.is_conversion[list(j.conversion_indices)] = True
        self.is_prospect_start = np.zeros(self.n_stages, dtype=bool)
        self.is_prospect_start[list(j.pre_purchase_indices)] = True
        self.bit = np.left_shift(np.uint64(1), np.arange(self.n_stages, dtype=np.uint64))
        row_stage = np.arange(self.n_segments * s1) % s1
        self.bit_row = np.append(self.bit, np.uint64(0))[row_stage]
        self.is_conversion_row = np.append(self.is_conversion, False)[row_stage]
        # aggregates
        d, g, s = self.horizon, self.n_segments, self.n_stages
        self.flows = np.zeros(d * g * (s + 1) * s, dtype=np.int64)
        self.revenue = np.zeros(d * g)
        self.margin = np.zeros(d * g)
        self.prospect_clv = np.zeros(g)
        self.event_log = event_log
        self._events: list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int16], NDArray[np.int16]]] = []
        self._place_initial()

    def _place_initial(self) -> None:
        """Customers present at day 0 start in their stage with a holding time from their draw 0."""
        n0 = self.plan.n_initial
        if n0 == 0:
            return
        idx = np.arange(n0)
        st = self.plan.start_stage[:n0]
        row = self.plan.segment[:n0].astype(np.intp) * (self.n_stages + 1) + st
        self.row[:n0] = row
        self.visited[:n0] = self.bit[st]
        hi, _ = uniform_pair(mix(idx, 0, self.plan.journey_key))
        self.next_time[:n0] = self.plan.holding(row, st, hi)
        self.counter[:n0] = 1

    def advance_to(self, t_end: float) -> None:
        """Perform every jump that happens before `t_end` (bounded by the horizon)."""
        t_end = min(float(t_end), float(self.horizon))
        if t_end <= self.now:
            return
        n = self.next_time.shape[0]
        for start in range(0, n, CHUNK):
            (local,) = np.nonzero(self.next_time[start : start + CHUNK] < t_end)
            if local.size:
                self._advance_chunk(local + start, t_end)
        self.now = t_end

    def _advance_chunk(self, idx: NDArray[np.intp], t_end: float) -> None:
        plan, table = self.plan, self.plan.table
        s1 = self.n_stages + 1
        k_slots = table.cum.shape[1]
        dest_row, pair = table.dest_row.ravel(), table.pair.ravel()
        per_day = self.n_segments * s1 * self.n_stages
        key = plan.journey_key
        has_dwell = any(d is not None for d in plan.dwell)
        while idx.size:
            t = self.next_time[idx]
            row = self.row[idx].astype(np.intp)
            k = self.counter[idx]
            hi, lo = uniform_pair(mix(idx, k, key))
            flat = row * k_slots + table.slot(row, lo)
            new_row = dest_row[flat].astype(np.intp)
            day = t.astype(np.intp)
            self.flows += np.bincount(day * per_day + pair[flat], minlength=self.flows.size)
            self.row[idx] = new_row
            self.counter[idx] = k + 1
            self.visited[idx] |= self.bit_row[new_row]
            if self.event_log:
                self._events.append((idx.astype(np.int64), t.copy(), (row % s1).astype(np.int16),
                                     (new_row % s1).astype(np.int16)))
            buy = self.is_conversion_row[new_row]
            if buy.any():
                self._book_purchases(idx[buy], t[buy], new_row[buy] // s1, day[buy], k[buy])
            if has_dwell:
                hold = plan.holding(new_row, (new_row % s1).astype(np.int16), hi)
            else:
                hold = np.log(hi)
                hold *= table.mean_hold[new_row]
                np.subtract(t, hold, out=hold)
            nt = t + hold if has_dwell else hold
            self.next_time[idx] = nt
            idx = idx[nt < t_end]

    def _book_purchases(
        self,
        idx: NDArray[np.intp],
        t: NDArray[np.float64],
        seg: NDArray[np.intp],
        day: NDArray[np.intp],
        k: NDArray[np.uint32],
    ) -> None:
        """Count purchases, first-purchase times, revenue, margin and prospects' discounted margin."""
        self.purchases[idx] += 1
        first = np.isnan(self.first_purchase[idx])
        self.first_purchase[idx[first]] = t[first]
        u, _ = uniform_pair(mix(idx, k, self.plan.value_key))
        value, margin = self.plan.order_values(seg.astype(np.int16), u)
        cell = day * self.n_segments + seg
        self.revenue += np.bincount(cell, weights=value, minlength=self.revenue.size)
        self.margin += np.bincount(cell, weights=margin, minlength=self.margin.size)
        prospect = self.is_prospect_start[self.plan.start_stage[idx]]
        if prospect.any():
            disc = margin[prospect] * np.exp(-self.delta * (t[prospect] - self.plan.entry_time[idx[prospect]]))
            self.prospect_clv += np.bincount(seg[prospect], weights=disc, minlength=self.n_segments)

    def run(self) -> Records:
        """Run to the horizon on a SimPy calendar and return the records."""
        env = simpy.Environment()
        env.run(until=self.horizon)
        self.advance_to(env.now)
        return self.records()

    def records(self) -> Records:
        plan = self.plan
        j = plan.scenario.journey
        d, g, s = self.horizon, self.n_segments, self.n_stages
        events = None
        if self.event_log:
            parts = self._events
            cols = [np.concatenate([p[i] for p in parts]) if parts else np.zeros(0) for i in range(4)]
            order = np.lexsort((cols[0], cols[1]))
            names = list(j.stages) + ["(arrival)"]
            cat = pd.CategoricalDtype(names)
            events = pd.DataFrame(
                {
                    "customer": cols[0][order].astype(np.int64),
                    "time": cols[1][order].astype(float),
                    "from_stage": pd.Categorical.from_codes(cols[2][order].astype(int), dtype=cat),
                    "to_stage": pd.Categorical.from_codes(cols[3][order].astype(int), dtype=cat),
                }
            )
        final = (self.row % (s + 1)).astype(np.int16)
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
            customers=CustomerTable(
                segment=plan.segment,
                start_stage=plan.start_stage,
                entry_time=plan.entry_time,
                first_purchase=self.first_purchase,
                purchases=self.purchases,
                visited=self.visited,
                final_stage=final,
            ),
            events=events,
        )


def simulate_fast(plan: Plan, event_log: bool = False) -> Records:
    """Run one replication of a compiled plan with the vectorised engine."""
    return FastEngine(plan, event_log=event_log).run()
