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

from journeysim.engine.plan import CONTAGION_ID_BASE, Plan, order_value_quantile
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

CHUNK = 1 << 19  # customers whose purchases and referrals are booked together, round by round (see below)
PIECE = 1 << 17  # customers jumped together inside a chunk: bounds temporaries, keeps each round in cache
WINDOW = 120  # days covered by the calendar of day buckets when the population is brought up to date daily

_STEP = np.uint64(STEP)
_ROW_BITS = np.uint64(16)  # the state's third word: table row in the low 16 bits, stages visited above
_ROW_MASK = np.uint64(0xFFFF)
_PACKED_STAGES = 48  # up to this many stages the visited bits fit in the state's third word
_RECORD = np.dtype((np.void, 24))  # one customer's state as one item, for single-copy gathers and scatters
_GROWN = ("ckey", "segment", "start_stage", "entry_time", "purchases", "first_purchase", "visited_wide")


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
        # the state a jump reads and writes, one 24-byte record per customer so a visit touches one place:
        # next candidate time (float64 bits), stream position, and row | visited << 16 (the row alone, with the
        # visited bits in `visited_wide`, beyond 48 stages)
        self._packed = s <= _PACKED_STAGES
        self.state = np.empty((cap, 3), dtype=np.uint64)
        self._records = self.state.view(_RECORD).reshape(cap)
        self.state[:n, 0] = plan.entry_time.view(np.uint64)
        base, extra = slice(0, plan.base_end), slice(plan.base_end, plan.poisson_end)
        always = slice(plan.poisson_end, n)
        meta = self.state[:, 2]  # arrival rows (of the customer's kind) until the customer arrives
        meta[base] = plan.segment[base] * s1 + s
        meta[extra] = plan.segment[extra] + self.n_rows
        meta[always] = plan.segment[always] + (self.n_rows + g)
        self.purchases = np.empty(cap, dtype=np.int32)
        self.purchases[:n] = 0
        self.first_purchase = np.empty(cap)
        self.first_purchase[:n] = np.nan
        self.visited_wide = np.zeros(cap if not self._packed else 0, dtype=np.uint64)
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
        self.bit = np.left_shift(np.uint64(1), np.arange(s, dtype=np.uint64))
        self.bit_row = np.append(self.bit, np.uint64(0))[self.stage_of_row]
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
    @property
    def next_time(self) -> NDArray[np.float64]:
        """Per customer, the time of the next candidate jump (a strided view of the state)."""
        return self.state[:, 0].view(np.float64)

    def _grow(self, extra: int) -> None:
        need = self.n + extra
        cap = self.state.shape[0]
        if need <= cap:
            return
        new_cap = max(need, int(cap * 1.5) + 1024)
        for name in _GROWN:
            old = getattr(self, name)
            if old.size:
                arr = np.empty(new_cap, dtype=old.dtype)
                arr[: self.n] = old[: self.n]
                setattr(self, name, arr)
        state = np.empty((new_cap, 3), dtype=np.uint64)
        state[: self.n] = self.state[: self.n]
        self.state, self._records = state, state.view(_RECORD).reshape(new_cap)

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
        self.state[sl, 0] = t.view(np.uint64)
        self.state[sl, 1] = positions(ckey, 0)
        self.state[sl, 2] = self.n_rows + self.n_segments + seg  # arrival row of the always-kept kind
        self.purchases[sl] = 0
        self.first_purchase[sl] = np.nan
        if not self._packed:
            self.visited_wide[sl] = 0
        self.n += m

    def _place_initial(self) -> None:
        """Customers present at day 0 start in their stage with a holding time from their draw 0."""
        n0, n = self.plan.n_initial, self.n
        for start in range(0, n, CHUNK):  # in blocks: bounds the temporaries for very large populations
            block = slice(start, min(start + CHUNK, n))
            self.state[block, 1] = positions(self.ckey[block], 0 if start >= n0 else 1)
            if start < n0 < block.stop:  # arrivals are still before their draw 0
                self.state[n0 : block.stop, 1] -= _STEP
        for start in range(0, n0, CHUNK):
            block = slice(start, min(start + CHUNK, n0))
            st = self.plan.start_stage[block]
            row = self.plan.segment[block].astype(np.intp) * (self.n_stages + 1) + st
            if self._packed:
                meta = self.bit[st] << _ROW_BITS
                meta |= row.view(np.uint64)
                self.state[block, 2] = meta
            else:
                self.state[block, 2] = row
                self.visited_wide[block] = self.bit[st]
            hi, _ = uniform_pair(draw_bits(self.ckey[block], 0))
            self.state[block, 0] = self.plan.holding(row, st, hi).view(np.uint64)

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
        buckets = self._buckets
        lo, hi = int(t.min()), int(t.max())
        if lo == hi:
            buckets.setdefault(lo, []).append(idx)
            return
        if hi - lo < 256:
            key = (t - lo).astype(np.uint8)  # t - lo is exact (t < 2^53), so this is floor(t) - lo
        else:
            key = t.astype(np.intp)
            key -= lo
        order = np.argsort(key, kind="stable")  # a radix sort on small keys; the order within a day is free
        idx = idx[order]
        end = np.cumsum(np.bincount(key, minlength=hi - lo + 1)).tolist()
        start = 0
        for day, stop in enumerate(end, lo):
            if stop > start:
                buckets.setdefault(day, []).append(idx[start:stop])
                start = stop

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
        or after `t_end`; then book the chunk's purchases and admit its referred prospects.

        Round r performs the r-th candidate of every customer of the chunk still due. The chunk is jumped in
        pieces (PIECE customers, for the cache), but purchases and referrals are booked per round of the whole
        chunk, in roster order: sums and the roster order of referred prospects are then those of a plain loop
        over the chunk, whatever the piece size.
        """
        bought: dict[int, list[tuple[NDArray[Any], ...]]] = {}
        referred: dict[int, list[tuple[NDArray[Any], ...]]] = {}
        piece = min(PIECE, CHUNK)
        for start in range(0, idx.size, piece):
            self._advance_piece(idx[start : start + piece], t_end, bought, referred)
        for r in sorted(referred):
            parts = referred[r]
            i, t, pos, day = (np.concatenate([p[c] for p in parts]) for c in range(4)) if len(parts) > 1 else parts[0]
            self._refer(i, t, pos, day)
        if bought:
            rounds = [bought[r] for r in sorted(bought)]
            self._book_purchases(
                [
                    tuple(np.concatenate([p[c] for p in parts]) for c in range(4)) if len(parts) > 1 else parts[0]
                    for parts in rounds
                ]
            )

    def _advance_piece(
        self,
        idx: NDArray[np.intp],
        t_end: float,
        bought: dict[int, list[tuple[NDArray[Any], ...]]],
        referred: dict[int, list[tuple[NDArray[Any], ...]]],
    ) -> None:
        """Jump customers `idx` until each one's next candidate is at or after `t_end`, then write their state back
        and file them in the calendar; each round's purchases and referrals go to `bought` and `referred`.

        State is gathered once into local arrays that shrink round by round, and written back once per customer.
        """
        plan = self.plan
        thinning = plan.thinning
        k_slots, n_ext, per_day = self.k_slots, self.n_ext, self.per_day
        dest_row, pair, bit_row, mean_hold = self.dest_row, self.pair, self.bit_row, self.mean_hold
        packed = self._packed
        first_day, last_day = int(self.now), min(self.horizon, math.ceil(t_end)) - 1
        one_day = first_day == last_day  # every candidate of this call falls on one day (the daily path)
        n_days = last_day + 1 - first_day
        span = slice(first_day * per_day, (last_day + 1) * per_day)
        no_jump = n_days * per_day  # flow cell that collects rejected candidates and referrals (dropped)
        if thinning:
            cols, day_cell = self.day_cum, first_day * n_ext
        else:
            cols, day_cell = self.cum_cols, 0
        n_all = idx.size
        got = np.take(self._records, idx).view(np.uint64).reshape(n_all, 3)
        t = got[:, 0].copy().view(np.float64)
        pos = got[:, 1].copy()
        meta = got[:, 2]
        row = (meta & _ROW_MASK).view(np.intp)
        vis = meta >> _ROW_BITS if packed else np.zeros(n_all, dtype=np.uint64)
        del got, meta
        bits, scratch = np.empty(n_all, dtype=np.uint64), np.empty(n_all, dtype=np.uint64)
        hi_buf, lo_buf = np.empty(n_all), np.empty(n_all)
        gone: list[tuple[NDArray[Any], ...]] = []  # (idx, next time, row, position, visited) of who has left
        rnd = -1
        while True:
            rnd += 1
            n = idx.size
            b, sc = bits[:n], scratch[:n]
            draw_at(pos, b, sc)
            pos += _STEP  # pos - STEP is the position of this draw
            hi, lo = hi_buf[:n], lo_buf[:n]
            uniform_pair_into(b, hi, lo, sc)
            day: NDArray[np.intp] | None = None if one_day else t.astype(np.intp)
            stay_put: NDArray[np.bool_] | None = None  # rejected candidates and referrals (None: nobody)
            # destination slot: how many of the first K - 1 cumulative probabilities are <= the uniform
            if thinning:
                if day is None:
                    at = row + day_cell
                else:
                    at = day * n_ext
                    at += row
                acc = self.accept[at]
                stay_put = lo >= acc
                lo /= acc
            else:
                at = row
            flat = row * k_slots
            if cols:
                slot = (lo >= cols[0][at]).view(np.int8)
                for col in cols[1:]:
                    slot += lo >= col[at]
                flat += slot
            new_row = dest_row[flat]
            if self.has_referrals:
                is_ref = self.is_referral_slot[flat]
                if stay_put is not None:
                    is_ref &= ~stay_put
                if is_ref.any():
                    (ref,) = np.nonzero(is_ref)
                    ref_day = np.full(ref.size, first_day) if day is None else day[ref]
                    referred.setdefault(rnd, []).append((idx[ref], t[ref], pos[ref] - _STEP, ref_day))
                    stay_put = is_ref if stay_put is None else stay_put | is_ref
            if stay_put is not None:
                np.copyto(new_row, row, where=stay_put)  # rejected candidates and referrers stay where they are
            cells = pair[flat]
            if day is not None:
                cells += (day - first_day) * per_day
            if stay_put is not None:
                np.copyto(cells, no_jump, where=stay_put)
            self.flows[span] += np.bincount(cells, minlength=no_jump + 1)[:no_jump]
            conv = self.is_conversion_row[new_row]
            if stay_put is not None:
                conv &= ~stay_put
            (buy,) = np.nonzero(conv)
            if buy.size:
                b_idx = idx[buy]
                self.purchases[b_idx] += 1
                bought.setdefault(rnd, []).append((b_idx, t[buy], new_row[buy], pos[buy]))
            if self.has_detractors:
                det = self.is_detractor_row[new_row] & ~self.is_detractor_row[row]
                if det.any():
                    det &= self.purchases[idx] > 0
                    self.detractors += int(det.sum())
            if self.event_log:
                ev = slice(None) if stay_put is None else ~stay_put
                self._events.append(
                    (idx[ev].astype(np.int64), t[ev], self.stage_of_row[row[ev]], self.stage_of_row[new_row[ev]])
                )
            vis |= bit_row[new_row]
            nt = np.log(hi)
            nt *= mean_hold[new_row]
            np.subtract(t, nt, out=nt)
            if self.has_dwell:
                dwell = self.is_dwell_row[new_row]
                if stay_put is not None:
                    dwell &= ~stay_put
                (dw,) = np.nonzero(dwell)
                if dw.size:  # a jump into a stage with a non-exponential dwell (rows of the plan: jumps land in stages)
                    r = new_row[dw]
                    nt[dw] = t[dw] + plan.holding(r, self.stage_of_row[r], hi[dw])
            row = new_row
            alive = nt < t_end
            (stay,) = np.nonzero(alive)
            if stay.size == n:
                t = nt
                continue
            if stay.size == 0:
                gone.append((idx, nt, row, pos, vis))
                break
            (out,) = np.nonzero(~alive)
            gone.append((idx[out], nt[out], row[out], pos[out], vis[out]))
            idx, t, row, pos, vis = idx[stay], nt[stay], row[stay], pos[stay], vis[stay]
        # write back who has left, file in the calendar those due before its end, book the purchases
        o_idx, o_t, o_row, o_pos, o_vis = (
            (np.concatenate([g[i] for g in gone]) for i in range(5)) if len(gone) > 1 else gone[0]
        )
        put = np.empty((o_idx.size, 3), dtype=np.uint64)
        put[:, 0] = o_t.view(np.uint64)
        put[:, 1] = o_pos
        if packed:
            o_vis <<= _ROW_BITS
            o_vis |= o_row.view(np.uint64)
            put[:, 2] = o_vis
        else:
            put[:, 2] = o_row.view(np.uint64)
            self.visited_wide[o_idx] |= o_vis
        self._records[o_idx] = put.view(_RECORD).reshape(o_idx.size)
        if t_end < self._cal_hi:
            near = o_t < self._cal_hi
            self._file(o_idx[near], o_t[near])

    def _refer(
        self, idx: NDArray[np.intp], t: NDArray[np.float64], pos: NDArray[np.uint64], day: NDArray[np.intp]
    ) -> None:
        """Advocates' referrals: each brings one new prospect of the advocate's segment, arriving now."""
        seg = self.segment[idx].astype(np.intp)
        self.referrals += np.bincount(day * self.n_segments + seg, minlength=self.referrals.size)
        ckey = self.ckey[idx]
        self._admit(child_keys(ckey, counters(ckey, pos), self.plan.referral_salt), seg, t)

    def _book_purchases(self, rounds: list[tuple[NDArray[Any], ...]]) -> None:
        """First-purchase times, revenue, margin and prospects' discounted margin for one chunk's purchases.

        `rounds` holds, round by round, the buyers' (idx, time, row, stream position of the buying draw); the order
        value comes from the same counter in the customer's value stream (key XOR value key). Sums are formed
        round by round, in the order a plain loop would add them, so they do not depend on this batching.
        """
        if len(rounds) == 1:
            idx, t, row, pos = rounds[0]
            step = None
        else:
            idx, t, row, pos = (np.concatenate([r[i] for r in rounds]) for i in range(4))
            step = np.repeat(np.arange(len(rounds)), [r[0].size for r in rounds])
        pos = pos - _STEP
        seg = self.segment_of_row[row]
        first = np.isnan(self.first_purchase[idx])
        if step is not None and first.any():  # a customer buying in several rounds: only its earliest is first
            (cand,) = np.nonzero(first)
            _, earliest = np.unique(idx[cand], return_index=True)
            first[:] = False
            first[cand[earliest]] = True
        n_first = int(np.count_nonzero(first))
        self.ever_bought += n_first
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
            if self.n_segments == 1:  # `Plan.order_values` without its per-segment masks (same numbers)
                ov = self.plan.scenario.population.segments[0].order_value
                value = order_value_quantile(ov.kind, ov.mean, ov.cv, hi)
                margin = value * ov.margin
            else:
                value, margin = self.plan.order_values(seg.astype(np.int16), hi)
        g = self.n_segments
        cell = t.astype(np.intp)
        cell *= g
        cell += seg
        prospect = self.is_prospect_start[self.start_stage[idx]]
        disc = margin[prospect] * np.exp(-self.delta * (t[prospect] - self.entry_time[idx[prospect]]))
        size = self.revenue.size
        if step is None:
            self.revenue += np.bincount(cell, weights=value, minlength=size)
            self.margin += np.bincount(cell, weights=margin, minlength=size)
            if disc.size:
                self.prospect_clv += np.bincount(seg[prospect], weights=disc, minlength=g)
            return
        n_rounds = len(rounds)
        cell += step * size
        revenue = np.bincount(cell, weights=value, minlength=n_rounds * size).reshape(n_rounds, size)
        margins = np.bincount(cell, weights=margin, minlength=n_rounds * size).reshape(n_rounds, size)
        clv = np.bincount(step[prospect] * g + seg[prospect], weights=disc, minlength=n_rounds * g).reshape(n_rounds, g)
        for r in range(n_rounds):
            self.revenue += revenue[r]
            self.margin += margins[r]
            if prospect[step == r].any():
                self.prospect_clv += clv[r]

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
        meta = self.state[:n, 2]
        final = self.stage_of_row[(meta & _ROW_MASK).view(np.intp)]
        keep = final < s
        visited = meta >> _ROW_BITS if self._packed else self.visited_wide[:n]  # the records' uint64 bitmask
        cust = (
            CustomerTable(
                segment=self.segment[:n][keep],
                start_stage=self.start_stage[:n][keep],
                entry_time=self.entry_time[:n][keep],
                first_purchase=self.first_purchase[:n][keep],
                purchases=self.purchases[:n][keep],
                visited=visited[keep],
                final_stage=final[keep],
            )
            if not keep.all()
            else CustomerTable(
                segment=self.segment[:n],
                start_stage=self.start_stage[:n],
                entry_time=self.entry_time[:n],
                first_purchase=self.first_purchase[:n],
                purchases=self.purchases[:n],
                visited=visited,
                final_stage=final,
            )
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
