"""The fast engine: SimPy holds the event calendar, the population advances in vectorised numpy between events.

Each customer holds the time of its next candidate jump. `advance_to(t)` performs, in rounds, the next
candidate of every customer whose candidate falls before `t`, until none does; so every transition is
simulated (several per day included) and cost grows with transitions, not customers x days. When rates vary
by day (campaigns, rate-multiplier windows, word of mouth), candidates are drawn at each row's largest
hazard and accepted with probability (that day's hazard) / (largest): exact thinning, so a rate change at a
day boundary takes effect exactly there. A SimPy process ticks at day boundaries only when a day's rates
depend on the population at its start (audiences, detractors, contagion from advocates).

How it is kept fast (the draw rules are those of `reference.py`, so both engines walk the same paths):
- a customer's random stream is kept as its stream *position* (key + (counter + 1) x STEP), so a draw is one
  gather and the finaliser, with no key gather and no counter arithmetic (`streams.positions`);
- customers taken into a round loop are gathered once into local arrays (time, row, position, stages visited)
  that shrink round by round; each customer's state is written back once, when its next candidate leaves the
  interval, instead of a gather and a scatter per jump;
- customers due soon are kept in a calendar of day buckets, so a day's advance touches only that day's
  customers (no scans of the roster or of a week's worth of customers every day);
- arrival candidates of the three kinds (baseline, extra media-lift candidates, always-kept) sit in rows of
  their own, so one acceptance table covers every candidate.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy
from numpy.typing import NDArray

from journeysim.engine.plan import CONTAGION_ID_BASE, Plan
from journeysim.engine.records import OUTSIDE, CustomerTable, MediaRecord, Records
from journeysim.engine.streams import (
    STEP,
    child_keys,
    counters,
    customer_keys,
    draw_at,
    draw_bits,
    positions,
    uniform_pair,
    uniform_pair_into,
)

CHUNK = 1 << 19  # customers advanced together; bounds temporaries and keeps rounds cache-friendly
WINDOW = 28  # days covered by the calendar of day buckets when the population is brought up to date daily

_STEP = np.uint64(STEP)
_GROWN = ("ckey", "segment", "start_stage", "entry_time", "row", "next_time", "position", "purchases",
          "first_purchase", "visited")


def _visited_dtype(n_stages: int) -> type[np.unsignedinteger[Any]]:
    """The narrowest unsigned integer holding one bit per stage (the records always get uint64)."""
    return np.uint16 if n_stages <= 16 else np.uint32 if n_stages <= 32 else np.uint64


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
        s1 = s + 1
        self.n_rows = g * s1
        self._tables()
        # calendar: customers whose next candidate falls on day b (cal_lo <= b < cal_hi) sit in bucket b
        self._cal_lo = self._cal_hi = 0
        self._buckets: dict[int, list[NDArray[np.intp]]] = {}
        self._scanned = 0  # customers beyond this roster position were admitted after the last calendar scan
        # roster and per-customer state (grown when word of mouth brings new customers)
        con = sc.word_of_mouth.contagion
        self._admits = sc.word_of_mouth.referrals is not None or (con is not None and con.source is not None)
        cap = n + max(4096, n // 4) if self._admits else n
        self.n = n
        self.ckey = self._with_room(plan.ckey, cap)
        self.segment = self._with_room(plan.segment, cap)
        self.start_stage = self._with_room(plan.start_stage, cap)
        self.entry_time = self._with_room(plan.entry_time, cap)
        self.row = np.empty(cap, dtype=np.int16)  # arrival rows (of the customer's kind) until the customer arrives
        base, extra = slice(0, plan.base_end), slice(plan.base_end, plan.poisson_end)
        always = slice(plan.poisson_end, n)
        self.row[base] = plan.segment[base] * s1 + s
        self.row[extra] = plan.segment[extra] + self.n_rows
        self.row[always] = plan.segment[always] + (self.n_rows + g)
        self.next_time = self._with_room(plan.entry_time, cap, copy=True)
        self.position = np.empty(cap, dtype=np.uint64)
        self.purchases = np.empty(cap, dtype=np.int32)
        self.purchases[:n] = 0
        self.first_purchase = np.empty(cap)
        self.first_purchase[:n] = np.nan
        self.visited = np.empty(cap, dtype=self.bit_row.dtype)
        self.visited[:n] = 0
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
        # daily thinning tables over the extended rows (filled day by day, or all at once when no day depends
        # on the population): acceptance probability and cumulative destination probabilities
        dyn = plan.dynamics
        self.media = MediaRecord.empty(dyn.channel_names, d)
        if plan.thinning:
            self.accept = np.ones(d * self.n_ext)
            self.day_cum = [np.ones(d * self.n_ext) for _ in range(self.k_slots - 1)]
        self.contagion_rng = np.random.default_rng(plan.contagion_seed)
        plan.dynamics.reset()
        self._place_initial()

    def _tables(self) -> None:
        """Lookup tables over the extended rows: the plan's rows, then per segment a row for extra arrival
        candidates (kept with the day's media lift) and a row for arrivals that are always kept (Bass adopters,
        referred prospects, contagion adopters); the plan's own arrival row holds the baseline Poisson arrivals."""
        plan, table = self.plan, self.plan.table
        j = plan.scenario.journey
        s, g, s1 = self.n_stages, self.n_segments, self.n_stages + 1
        arrival = np.arange(g) * s1 + s
        plan_row = np.concatenate([np.arange(self.n_rows), arrival, arrival])
        self.n_ext = plan_row.size
        self.plan_row = plan_row
        self.k_slots = k = table.cum.shape[1]
        self.stage_of_row = (plan_row % s1).astype(np.int16)
        self.segment_of_row = (plan_row // s1).astype(np.intp)
        self.mean_hold = table.mean_hold[plan_row]
        self.cum_cols = [np.ascontiguousarray(col[plan_row]) for col in table.cum_cols]
        self.dest_row = table.dest_row[plan_row].astype(np.intp).ravel()
        self.pair = table.pair[plan_row].astype(np.intp).ravel()
        self.is_referral_slot = (table.dest[plan_row] == s).ravel()
        self.has_referrals = bool(self.is_referral_slot.any())
        vis = _visited_dtype(s)
        self.bit = np.left_shift(vis(1), np.arange(s, dtype=vis)).astype(vis)
        self.bit_row = np.append(self.bit, vis(0))[self.stage_of_row]
        is_conversion = np.zeros(s1, dtype=bool)
        is_conversion[list(j.conversion_indices)] = True
        self.is_conversion_row = is_conversion[self.stage_of_row]
        self.is_prospect_start = np.zeros(s, dtype=bool)
        self.is_prospect_start[list(j.pre_purchase_indices)] = True
        det = plan.scenario.word_of_mouth.detractors
        det_stages = np.zeros(s1, dtype=bool)
        if det is not None:
            det_stages[[j.index(x) for x in det.stages]] = True
        self.is_detractor_row = det_stages[self.stage_of_row]
        self.has_detractors = bool(self.is_detractor_row.any())
        dwell_stages = np.zeros(s1, dtype=bool)
        dwell_stages[[i for i, dw in enumerate(plan.dwell) if dw is not None]] = True
        self.is_dwell_row = dwell_stages[self.stage_of_row]
        self.has_dwell = bool(dwell_stages.any())
        segments = plan.scenario.population.segments
        self.fixed_values = all(x.order_value.kind == "fixed" or x.order_value.cv == 0 for x in segments)
        self.value_mean = np.array([x.order_value.mean for x in segments])
        self.value_margin = np.array([x.order_value.margin for x in segments])
        self.per_day = g * s1 * s  # flow cells per day
        del k

    @staticmethod
    def _with_room(a: NDArray[Any], cap: int, copy: bool = False) -> NDArray[Any]:
        """`a` itself when no room is needed (or a copy), else a longer array starting with `a`."""
        if cap == a.shape[0]:
            return a.copy() if copy else a
        out = np.empty(cap, dtype=a.dtype)
        out[: a.shape[0]] = a
        return out

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
        self.ckey[sl] = ckey
        self.segment[sl] = seg
        self.start_stage[sl] = entry
        self.entry_time[sl] = t
        self.row[sl] = self.n_rows + self.n_segments + seg  # arrival row of the always-kept kind
        self.next_time[sl] = t
        self.position[sl] = positions(ckey, 0)
        self.purchases[sl] = 0
        self.first_purchase[sl] = np.nan
        self.visited[sl] = 0
        self.n += m

    def _place_initial(self) -> None:
        """Customers present at day 0 start in their stage with a holding time from their draw 0."""
        n0, n = self.plan.n_initial, self.n
        for start in range(0, n, CHUNK):  # in blocks: bounds the temporaries for very large populations
            block = slice(start, min(start + CHUNK, n))
            self.position[block] = positions(self.ckey[block], 0)
        for start in range(0, n0, CHUNK):
            block = slice(start, min(start + CHUNK, n0))
            st = self.plan.start_stage[block]
            row = self.plan.segment[block].astype(np.intp) * (self.n_stages + 1) + st
            self.row[block] = row
            self.visited[block] = self.bit[st]
            hi, _ = uniform_pair(draw_bits(self.ckey[block], 0))
            self.next_time[block] = self.plan.holding(row, st, hi)
            self.position[block] += _STEP

    # ------------------------------------------------------------------ days
    def start_day(self, d: int) -> None:
        """Set day d's hazards from the strategy and the population at its start (after `advance_to(d)`)."""
        if d > 0:
            day_flows = self.flows[(d - 1) * self.per_day : d * self.per_day].reshape(
                self.n_segments, self.n_stages + 1, self.n_stages
            )
            self.occupancy += day_flows.sum(axis=1) - day_flows[:, : self.n_stages, :].sum(axis=2)
        plan = self.plan
        if plan.thinning:
            mult, arrivals, referral, rec = plan.dynamics.day(d, self.occupancy, self.ever_bought, self.detractors)
            self.media.set_day(d, rec)
            total, cum = plan.day_tables(mult, referral)
            bound = plan.table.total
            with np.errstate(invalid="ignore", divide="ignore"):
                acc = np.where(bound > 0, total / bound, 1.0)
                extra = np.where(plan.arrival_upper > 1, (arrivals - 1.0) / (plan.arrival_upper - 1.0), 0.0)
            # arrivals: baseline prospects kept with min(1, m), extra candidates with max(0, m - 1) / (U - 1),
            # adopters and referrals always (m = the day's arrival factor, U its largest value)
            g, s1 = self.n_segments, self.n_stages + 1
            acc[np.arange(g) * s1 + self.n_stages] = np.minimum(1.0, arrivals)
            cells = slice(d * self.n_ext, (d + 1) * self.n_ext)
            day_acc = self.accept[cells]
            day_acc[: self.n_rows] = acc
            day_acc[self.n_rows : self.n_rows + g] = np.clip(extra, 0.0, 1.0)
            day_acc[self.n_rows + g :] = 1.0
            for c, col in enumerate(self.day_cum):
                col[cells] = cum[self.plan_row, c]
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

    # ------------------------------------------------------------------ calendar
    def _file(self, idx: NDArray[np.intp], t: NDArray[np.float64]) -> None:
        """Put customers whose next candidates (at `t`) fall inside the calendar into their day buckets."""
        if idx.size == 0:
            return
        day = t.astype(np.intp)
        lo, hi = int(day.min()), int(day.max())
        if lo == hi:
            self._buckets.setdefault(lo, []).append(idx)
            return
        order = np.argsort(day, kind="stable")
        day, idx = day[order], idx[order]
        cuts = np.flatnonzero(day[1:] != day[:-1]) + 1
        starts = [0, *cuts.tolist()]
        ends = [*cuts.tolist(), idx.size]
        for a, b in zip(starts, ends, strict=True):
            self._buckets.setdefault(int(day[a]), []).append(idx[a:b])

    def _scan(self, start: int, t_end: float) -> NDArray[np.intp]:
        """Customers from roster position `start` on: return those due before `t_end`, file those due later
        inside the calendar."""
        nt = self.next_time[start : self.n]
        (due,) = np.nonzero(nt < self._cal_hi)
        due += start
        self._scanned = self.n
        if t_end >= self._cal_hi:
            return due
        t = self.next_time[due]
        now = t < t_end
        self._file(due[~now], t[~now])
        return due[now]

    def _due_before(self, t_end: float) -> NDArray[np.intp]:
        """Take out of the calendar, in roster order, every customer whose next candidate falls before `t_end`."""
        whole = math.floor(t_end)  # days before this one lie wholly before t_end
        if t_end > self._cal_hi:
            # beyond the calendar: rebuild it from one scan of the roster, up to WINDOW days ahead
            self._buckets.clear()
            self._cal_hi = min(self.horizon, max(math.ceil(t_end), int(self.now) + WINDOW))
            self._cal_lo = whole
            return self._scan(0, t_end)
        parts: list[NDArray[np.intp]] = []
        for b in range(self._cal_lo, whole):
            parts += self._buckets.pop(b, [])
        if whole < t_end and whole in self._buckets:  # a day in part: who is due later that day stays filed
            rest = np.concatenate(self._buckets.pop(whole))
            later = self.next_time[rest] >= t_end
            parts.append(rest[~later])
            if later.any():
                self._buckets[whole] = [rest[later]]
        self._cal_lo = whole
        due = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.intp)
        if self.n > self._scanned:  # customers admitted since the last scan come after everyone else
            due = np.concatenate([due, self._scan(self._scanned, t_end)])
        return due

    # ------------------------------------------------------------------ jumps
    def advance_to(self, t_end: float) -> None:
        """Perform every jump that happens before `t_end` (bounded by the horizon).

        Customers whose next candidate falls before the end of the calendar (WINDOW days, found by one scan of
        the roster) sit in day buckets; a later call inside the calendar takes only the buckets it covers. This
        is exact: only a customer's own jumps change its next candidate, and every jump files the customer again.
        """
        t_end = min(float(t_end), float(self.horizon))
        if t_end <= self.now:
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            due = self._due_before(t_end)
            while due.size:
                for start in range(0, due.size, CHUNK):
                    self._advance_chunk(due[start : start + CHUNK], t_end)
                if self.n == self._scanned:
                    break
                # customers admitted meanwhile (referrals): those due before t_end go round again
                due = self._scan(self._scanned, t_end)
        self.now = t_end

    def _advance_chunk(self, idx: NDArray[np.intp], t_end: float) -> None:
        """Jump customers `idx` (each due before `t_end`, in roster order) until each one's next candidate is at
        or after `t_end`, then write their state back and file them in the calendar."""
        plan = self.plan
        thinning = plan.thinning
        k_slots, n_ext, per_day = self.k_slots, self.n_ext, self.per_day
        keep_open = t_end < self._cal_hi  # leavers due before the calendar's end go into its buckets
        t = self.next_time[idx]
        row = self.row[idx].astype(np.intp)
        pos = self.position[idx]
        vis = np.zeros(idx.size, dtype=self.visited.dtype)
        n_all = idx.size
        bits, scratch = np.empty(n_all, dtype=np.uint64), np.empty(n_all, dtype=np.uint64)
        hi_buf, lo_buf = np.empty(n_all), np.empty(n_all)
        left_idx: list[NDArray[np.intp]] = []
        left_t: list[NDArray[np.float64]] = []
        first_day, last_day = int(self.now), min(self.horizon, math.ceil(t_end)) - 1
        while idx.size:
            n = idx.size
            b, sc = bits[:n], scratch[:n]
            draw_at(pos, b, sc)
            pos += _STEP  # pos - STEP is the position of this draw
            hi, lo = hi_buf[:n], lo_buf[:n]
            uniform_pair_into(b, hi, lo, sc)
            day = t.astype(np.intp)
            jump: NDArray[np.bool_] | None = None  # None: every candidate is a jump
            # destination slot: how many of the first K - 1 cumulative probabilities are <= the uniform
            flat = row * k_slots
            if thinning:
                cell = day * n_ext
                cell += row
                acc = self.accept[cell]
                jump = lo < acc
                lo /= acc
                cols, at = self.day_cum, cell
            else:
                cols, at = self.cum_cols, row
            if cols:
                slot = (lo >= cols[0][at]).view(np.int8)
                for col in cols[1:]:
                    slot += lo >= col[at]
                flat += slot
            new_row = self.dest_row[flat]
            if self.has_referrals:
                is_ref = self.is_referral_slot[flat]
                if jump is not None:
                    is_ref &= jump
                if is_ref.any():
                    (ref,) = np.nonzero(is_ref)
                    self._refer(idx[ref], t[ref], pos[ref] - _STEP, day[ref])
                    jump = ~is_ref if jump is None else jump & ~is_ref
            if jump is not None:
                np.copyto(new_row, row, where=~jump)  # rejected candidates and referrers stay where they are
                (moved,) = np.nonzero(jump)
                j_idx, j_t, j_day, j_row, j_new, j_flat = (a[moved] for a in (idx, t, day, row, new_row, flat))
                j_pos = pos[moved]
            else:
                j_idx, j_t, j_day, j_row, j_new, j_flat, j_pos = idx, t, day, row, new_row, flat, pos
            if j_idx.size:
                if last_day - first_day < 8:  # the days this call covers (all of them, when only a few)
                    lo_d, hi_d = first_day, last_day
                else:
                    lo_d, hi_d = int(j_day.min()), int(j_day.max())
                cells = j_day - lo_d
                cells *= per_day
                cells += self.pair[j_flat]
                self.flows[lo_d * per_day : (hi_d + 1) * per_day] += np.bincount(
                    cells, minlength=(hi_d + 1 - lo_d) * per_day
                )
                if self.event_log:
                    self._events.append(
                        (j_idx.astype(np.int64), j_t.copy(), self.stage_of_row[j_row], self.stage_of_row[j_new])
                    )
                (buy,) = np.nonzero(self.is_conversion_row[j_new])
                if buy.size:
                    self._book_purchases(
                        j_idx[buy], j_t[buy], self.segment_of_row[j_new[buy]], j_day[buy], j_pos[buy] - _STEP
                    )
                if self.has_detractors:
                    det = self.is_detractor_row[j_new] & ~self.is_detractor_row[j_row]
                    if det.any():
                        det &= self.purchases[j_idx] > 0
                        self.detractors += int(det.sum())
            vis |= self.bit_row[new_row]
            row = new_row
            nt = np.log(hi)
            nt *= self.mean_hold[row]
            np.subtract(t, nt, out=nt)
            if self.has_dwell and j_idx.size:
                (dw,) = np.nonzero(self.is_dwell_row[j_new])
                if dw.size:
                    where = moved[dw] if jump is not None else dw
                    r = j_new[dw]  # rows of the plan: a jump always lands in a stage
                    nt[where] = j_t[dw] + plan.holding(r, self.stage_of_row[r], hi[where])
            alive = nt < t_end
            (stay,) = np.nonzero(alive)
            if stay.size < n:
                (out,) = np.nonzero(~alive)
                o_idx, o_t = idx[out], nt[out]
                self.next_time[o_idx] = o_t
                self.row[o_idx] = row[out]
                self.position[o_idx] = pos[out]
                self.visited[o_idx] |= vis[out]
                if keep_open:
                    near = o_t < self._cal_hi
                    left_idx.append(o_idx[near])
                    left_t.append(o_t[near])
                if stay.size == 0:
                    break
                idx, t, row, pos, vis = idx[stay], nt[stay], row[stay], pos[stay], vis[stay]
            else:
                t = nt
        if left_idx:
            self._file(np.concatenate(left_idx), np.concatenate(left_t))

    def _refer(self, idx: NDArray[np.intp], t: NDArray[np.float64], pos: NDArray[np.uint64],
               day: NDArray[np.intp]) -> None:
        """Advocates' referrals: each brings one new prospect of the advocate's segment, arriving now."""
        seg = self.segment[idx].astype(np.intp)
        self.referrals += np.bincount(day * self.n_segments + seg, minlength=self.referrals.size)
        ckey = self.ckey[idx]
        self._admit(child_keys(ckey, counters(ckey, pos), self.plan.referral_salt), seg, t)

    def _book_purchases(
        self,
        idx: NDArray[np.intp],
        t: NDArray[np.float64],
        seg: NDArray[np.intp],
        day: NDArray[np.intp],
        pos: NDArray[np.uint64],
    ) -> None:
        """Count purchases, first-purchase times, revenue, margin and prospects' discounted margin.

        `pos` is the stream position of the draw that made the purchase; the order value comes from the same
        counter in the customer's value stream (key XOR value key).
        """
        first = np.isnan(self.first_purchase[idx])
        n_first = int(np.count_nonzero(first))
        self.ever_bought += n_first
        self.purchases[idx] += 1
        if n_first:
            self.first_purchase[idx[first]] = t[first]
        if self.fixed_values:
            value = self.value_mean[seg]
            margin = value * self.value_margin[seg]
        else:
            ckey = self.ckey[idx]
            vpos = pos - ckey
            vpos += ckey ^ self.plan.value_key
            bits, scratch = np.empty_like(vpos), np.empty_like(vpos)
            hi, lo = np.empty(vpos.size), np.empty(vpos.size)
            uniform_pair_into(draw_at(vpos, bits, scratch), hi, lo, scratch)
            value, margin = self.plan.order_values(seg.astype(np.int16), hi)
        cell = day * self.n_segments
        cell += seg
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
        final = self.stage_of_row[self.row[:n]]
        keep = final < s
        visited = self.visited[:n].astype(np.uint64)  # the records' contract: one uint64 bitmask per customer
        cust = CustomerTable(
            segment=self.segment[:n][keep],
            start_stage=self.start_stage[:n][keep],
            entry_time=self.entry_time[:n][keep],
            first_purchase=self.first_purchase[:n][keep],
            purchases=self.purchases[:n][keep],
            visited=visited[keep],
            final_stage=final[keep],
        ) if not keep.all() else CustomerTable(
            segment=self.segment[:n], start_stage=self.start_stage[:n], entry_time=self.entry_time[:n],
            first_purchase=self.first_purchase[:n], purchases=self.purchases[:n], visited=visited,
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
