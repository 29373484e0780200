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
- customers are kept in a calendar of day buckets (by the day of their next candidate), so a day's advance
  touches only that day's customers, with no scan of the roster;
- purchases and referrals are booked per round in roster order, so neither the calendar's order nor the
  batching (chunks, pieces) changes a sum or a roster position;
- arrival candidates of the three kinds (baseline, extra media-lift candidates, always-kept) sit in rows of
  their own, so one acceptance table covers every candidate.
"""

from __future__ import annotations

import itertools
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
LEDGER = 1 << 19  # purchases kept in the ledger before their money is booked
PIECE = 1 << 17  # customers jumped together inside a chunk: bounds temporaries, keeps each round in cache
RUN = 1 << 12  # customers already in time order, from this many on, are put in day buckets by binary search
WINDOW = 366  # days covered by the calendar of day buckets when the population is brought up to date daily

_STEP = np.uint64(STEP)
_ROW_BITS = np.uint64(16)  # the state's third word: table row in the low 16 bits, stages visited above
_ROW_MASK = np.uint64(0xFFFF)
_PACKED_STAGES = 48  # up to this many stages the visited bits fit in the state's third word
_RECORD = np.dtype((np.void, 24))  # one customer's state as one item, for single-copy gathers and scatters
_GROWN = ("ckey", "segment", "start_stage", "entry_time", "purchases", "first_purchase", "visited_wide")


def _joined(parts: list[tuple[NDArray[Any], ...]]) -> tuple[NDArray[Any], ...]:
    """Concatenate, field by field, tuples of parallel arrays (the tuple itself when there is one)."""
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate([p[c] for p in parts]) for c in range(len(parts[0])))


def _in_roster_order(parts: tuple[NDArray[Any], ...]) -> tuple[NDArray[Any], ...]:
    """Parallel arrays reordered by their first (roster indices), unless already in that order."""
    idx = parts[0]
    if idx.size < 2 or bool((idx[1:] > idx[:-1]).all()):
        return parts
    order = np.argsort(idx, kind="stable")
    return tuple(p[order] for p in parts)


def _fold_plan(
    cell: NDArray[np.intp], group: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """How to add up values by cell, group by group (groups non-decreasing along the input): the order that puts
    each cell's values together (keeping their input order), each value's (cell, group) pair in that order, and
    each pair's cell and rank among its cell's pairs."""
    small = cell.size == 0 or int(cell.max()) < 1 << 16
    order = np.argsort(cell.astype(np.uint16) if small else cell, kind="stable")  # a radix sort when small
    c, g = cell[order], group[order]
    new = np.empty(c.size, dtype=bool)
    new[:1] = True
    np.not_equal(c[1:], c[:-1], out=new[1:])
    new_cell = new.copy()
    new[1:] |= g[1:] != g[:-1]
    pair = np.cumsum(new) - 1
    pair_cell = c[new]
    first = np.flatnonzero(new_cell[new])  # pairs that open a cell
    rank = np.arange(pair_cell.size) - np.repeat(first, np.diff(np.append(first, pair_cell.size)))
    return order, pair, pair_cell, rank


def _fold(
    acc: NDArray[np.float64],
    order: NDArray[np.intp],
    pair: NDArray[np.intp],
    pair_cell: NDArray[np.intp],
    rank: NDArray[np.intp],
    weights: NDArray[np.float64],
) -> None:
    """acc[c] = ((acc[c] + S_1) + S_2) + ..., S_k the sum (in input order) of group k's weights in cell c: the
    rounding of a loop that adds each group's `bincount` to `acc` in turn."""
    sums = np.bincount(pair, weights=weights[order], minlength=pair_cell.size)
    ranks = int(rank.max()) + 1 if rank.size else 0
    if pair_cell.size <= 100 * ranks:  # few pairs, long chains: each cell's chain in plain floats (same additions)
        out = acc.tolist()
        for c, v in zip(pair_cell.tolist(), sums.tolist(), strict=True):  # pairs come cell by cell, in group order
            out[c] += v
        acc[:] = out
        return
    for k in range(ranks):
        (at,) = np.nonzero(rank == k)
        acc[pair_cell[at]] += sums[at]


def _by_round(
    store: dict[tuple[int, int], list[tuple[NDArray[Any], ...]]],
    rnd: int,
    joined: NDArray[np.intp] | None,
    parts: tuple[NDArray[Any], ...],
) -> None:
    """File parallel arrays under (pass, round): pass 1 at loop round `rnd`; pass 2 (customers who joined the
    loop at round j > 0) at their own round, rnd - j."""
    if joined is None or not joined.any():
        store.setdefault((1, rnd), []).append(parts)
        return
    for j in np.unique(joined).tolist():
        m = joined == j
        store.setdefault((1, rnd) if j == 0 else (2, rnd - j), []).append(tuple(p[m] for p in parts))


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
        self._ledger: list[tuple[NDArray[Any], ...]] = []  # purchases whose money is not booked yet
        self._ledger_size = 0
        self._groups = 0  # ledger groups (rounds) so far
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
            self.day_cum = np.ones((self.k_slots - 1, d * self.n_ext))  # row c: cumulative probability c, by cell
            self._bounded = plan.table.total > 0
            self._arrival_rows = np.arange(g) * s1 + s
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
        self.k_slots = table.cum.shape[1]
        self.stage_of_row = (plan_row % s1).astype(np.int16)
        self.segment_of_row = (plan_row // s1).astype(np.intp)
        self.mean_hold = table.mean_hold[plan_row]
        self.cum_cols = table.cum[plan_row, :-1].T.copy()  # row c: cumulative probability c, by extended row
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
        self.enters_detractor = self.is_detractor_row[self.dest_row] & ~np.repeat(self.is_detractor_row, self.k_slots)
        dwell_stages = np.zeros(s1, dtype=bool)
        dwell_stages[[i for i, dw in enumerate(plan.dwell) if dw is not None]] = True
        self.is_dwell_row = dwell_stages[self.stage_of_row]
        self.has_dwell = bool(dwell_stages.any())
        segments = plan.scenario.population.segments
        self.fixed_values = all(x.order_value.kind == "fixed" or x.order_value.cv == 0 for x in segments)
        self.value_mean = np.array([x.order_value.mean for x in segments])
        self.value_margin = np.array([x.order_value.margin for x in segments])
        self.per_day = g * s1 * s  # flow cells per day

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
        """Make room for `extra` more customers (by half as many again, so admitting stays cheap)."""
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
            # acceptance: that day's hazard / the bound (1 where the bound is 0); arrivals: baseline prospects
            # kept with min(1, m), extra candidates with max(0, m - 1) / (U - 1), adopters and referrals always
            # (m = the day's arrival factor, U its largest value)
            g, n_rows = self.n_segments, self.n_rows
            day_acc = self.accept[d * self.n_ext : (d + 1) * self.n_ext]
            np.divide(total, plan.table.total, out=day_acc[:n_rows], where=self._bounded)
            day_acc[self._arrival_rows] = np.minimum(1.0, arrivals)
            extra = day_acc[n_rows : n_rows + g]
            extra[:] = 0.0
            np.divide(arrivals - 1.0, plan.arrival_upper - 1.0, out=extra, where=plan.arrival_upper > 1)
            np.clip(extra, 0.0, 1.0, out=extra)
            self.day_cum[:, d * self.n_ext : (d + 1) * self.n_ext] = cum[self.plan_row, :-1].T
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
        # t - lo is exact (t < 2^53), so its integer part is floor(t) - lo; small keys sort by radix
        small = np.uint8 if hi - lo < 1 << 8 else np.uint16 if hi - lo < 1 << 16 else np.intp
        key: NDArray[Any] = (t - lo).astype(small)
        order = np.argsort(key, kind="stable")  # the order within a day is free
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
        if nt.size >= RUN and t_end < self._cal_hi:
            return self._scan_runs(start, nt, t_end)
        (due,) = np.nonzero(nt < self._cal_hi)
        due += start
        self._scanned = self.n
        if t_end >= self._cal_hi:
            return due
        t = self.next_time[due]
        now = t < t_end
        self._file(due[~now], t[~now])
        return due[now]

    def _scan_runs(self, start: int, nt: NDArray[np.float64], t_end: float) -> NDArray[np.intp]:
        """`_scan` of a long stretch of the roster (`nt` from position `start`), where long stretches of customers
        are already in time order (arrival candidates that have not arrived yet): those are split into the day
        buckets by binary search, with no sort and no gather; the rest go through `_file`.

        The same customers end up due and in the same buckets as with `_file` alone: floor(t) = d exactly
        when d <= t < d + 1, and `_due_before` puts every bucket in roster order."""
        cal_hi = self._cal_hi
        (cut,) = np.nonzero(~(nt[1:] >= nt[:-1]))  # run i (in time order) is [bounds[i], bounds[i + 1])
        bounds = np.concatenate([[0], cut + 1, [nt.size]])
        length = np.diff(bounds)
        (long_runs,) = np.nonzero(length >= RUN)
        loose = np.repeat(length < RUN, length)
        loose &= nt < cal_hi
        (due,) = np.nonzero(loose)
        t = nt[due]
        due += start
        now = t < t_end
        self._file(due[~now], t[~now])
        parts = [due[now]]
        day0 = math.floor(t_end)
        edges = np.array([t_end, *range(day0 + 1, math.ceil(cal_hi)), cal_hi])
        buckets = self._buckets
        for i in long_runs.tolist():
            a, b = int(bounds[i]), int(bounds[i + 1])
            at = np.searchsorted(nt[a:b], edges).tolist()
            a += start
            parts.append(np.arange(a, a + at[0]))
            for day, (lo, hi) in enumerate(itertools.pairwise(at), day0):
                if hi > lo:
                    buckets.setdefault(day, []).append(np.arange(a + lo, a + hi))
        self._scanned = self.n
        out = np.concatenate(parts)
        if len(parts) > 1:
            out.sort()
        return out

    def _due_before(self, t_end: float) -> NDArray[np.intp]:
        """Take out of the calendar, in roster order (as a plain loop over the roster would take them, chunk by
        chunk), every customer whose next candidate falls before `t_end`."""
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
        if self.n > self._scanned:  # customers admitted since the last scan
            parts.append(self._scan(self._scanned, t_end))
        due = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
        due.sort()
        return due

    # ------------------------------------------------------------------ jumps
    def advance_to(self, t_end: float) -> None:
        """Perform every jump that happens before `t_end` (bounded by the horizon).

        Customers whose next candidate falls before the end of the calendar (WINDOW days, found by one scan of
        the roster) sit in day buckets; a later call inside the calendar takes only the buckets it covers. This
        is exact: only a customer's own jumps change its next candidate, and each customer leaving a round loop
        is filed again (when due inside the calendar; later ones are found by the next scan).
        """
        t_end = min(float(t_end), float(self.horizon))
        if t_end <= self.now:
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            due = self._due_before(t_end)
            while due.size:
                for start in range(0, due.size, CHUNK):
                    self._advance_chunk(due[start : start + CHUNK], t_end, alone=due.size <= CHUNK)
                if self.n == self._scanned:
                    break
                # customers admitted meanwhile (referrals): those due before t_end go round again
                due = self._scan(self._scanned, t_end)
        self.now = t_end

    def _advance_chunk(self, idx: NDArray[np.intp], t_end: float, alone: bool = False) -> None:
        """Jump customers `idx` (each due before `t_end`) until each one's next candidate is at or after `t_end`;
        then book the chunk's purchases and admit the prospects its advocates referred.

        The result is that of a plain loop: pass 1 performs, round by round, the r-th candidate of every customer
        of the chunk still due (in roster order), admitting referred prospects as it goes; pass 2 then does the
        same for those prospects, and so on. Here the chunk is jumped in pieces (PIECE customers, for the cache)
        and purchases and referrals are booked per (pass, round) of the whole chunk, in roster order, so sums and
        the roster order of referred prospects do not depend on the piece size. When the chunk is the whole pass
        and one piece (`alone`, the daily path), prospects referred in pass 1 join the piece's loop at once
        instead of a pass of their own.
        """
        bought: dict[tuple[int, int], list[tuple[NDArray[Any], ...]]] = {}
        referred: dict[tuple[int, int], list[tuple[NDArray[Any], ...]]] = {}
        piece = min(PIECE, CHUNK)
        merge = alone and idx.size <= piece and self._scanned == self.n
        for start in range(0, idx.size, piece):
            self._advance_piece(idx[start : start + piece], t_end, bought, referred, merge)
        for key in sorted(referred):
            self._refer(_in_roster_order(_joined(referred[key])))
        if bought:
            self._book_purchases([_in_roster_order(_joined(bought[key])) for key in sorted(bought)])

    def _advance_piece(
        self,
        idx: NDArray[np.intp],
        t_end: float,
        bought: dict[tuple[int, int], list[tuple[NDArray[Any], ...]]],
        referred: dict[tuple[int, int], list[tuple[NDArray[Any], ...]]],
        merge: bool,
    ) -> None:
        """Jump customers `idx` until each one's next candidate is at or after `t_end`, then write their state back
        and file them in the calendar. Purchases and referrals go to `bought` and `referred` under (pass, round);
        with `merge`, prospects referred in pass 1 are admitted at once and join the loop as pass 2.

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
        joined: NDArray[np.intp] | None = None  # once prospects join: the round each customer joined (0: pass 1)
        bits, scratch = np.empty(n_all, dtype=np.uint64), np.empty(n_all, dtype=np.uint64)
        hi_buf, lo_buf = np.empty(n_all), np.empty(n_all)
        gone: list[tuple[NDArray[Any], ...]] = []  # (idx, next time, row, position, visited) of who has left
        rnd = -1
        while True:
            rnd += 1
            n = idx.size
            if n > bits.size:
                bits, scratch, hi_buf, lo_buf = np.empty_like(pos), np.empty_like(pos), np.empty(n), np.empty(n)
            b, sc = bits[:n], scratch[:n]
            draw_at(pos, b, sc)
            pos += _STEP  # pos - STEP is the position of this draw
            hi, lo = hi_buf[:n], lo_buf[:n]
            uniform_pair_into(b, hi, lo, sc)
            day: NDArray[np.intp] | None = None if one_day else t.astype(np.intp)
            moved: NDArray[np.bool_] | None = None  # candidates that are jumps (None: all of them)
            # destination slot: how many of the first K - 1 cumulative probabilities are <= the uniform
            if thinning:
                if day is None:
                    at = row + day_cell
                else:
                    at = day * n_ext
                    at += row
                acc = self.accept[at]
                moved = lo < acc
                lo /= acc
            else:
                at = row
            flat = row * k_slots
            if len(cols):
                slot = (lo >= cols[0][at]).view(np.int8)
                for col in cols[1:]:
                    slot += lo >= col[at]
                flat += slot
            new_row = dest_row[flat]
            arrived: tuple[NDArray[Any], ...] | None = None  # prospects admitted this round, who join the loop
            if self.has_referrals:
                is_ref = self.is_referral_slot[flat]
                if moved is not None:
                    is_ref &= moved
                if is_ref.any():
                    (ref,) = np.nonzero(is_ref)
                    ref_day = np.full(ref.size, first_day) if day is None else day[ref]
                    parts = (idx[ref], t[ref], pos[ref] - _STEP, ref_day)
                    late = None if joined is None else joined[ref]
                    if not merge:
                        _by_round(referred, rnd, late, parts)
                    elif late is None or not late.any():
                        arrived = self._refer(_in_roster_order(parts), joining=True)
                    else:  # pass-2 referrers: their prospects form pass 3, admitted when the chunk ends
                        first = late == 0
                        arrived = self._refer(_in_roster_order(tuple(p[first] for p in parts)), joining=True)
                        _by_round(referred, rnd, late[~first], tuple(p[~first] for p in parts))
                    if moved is None:
                        moved = ~is_ref
                    else:
                        moved &= ~is_ref
            cells = pair[flat]
            if day is not None:
                cells += (day - first_day) * per_day
            if moved is not None:  # rejected candidates and referrers stay where they are, and are no flow
                stay_put = ~moved
                np.copyto(new_row, row, where=stay_put)
                np.copyto(cells, no_jump, where=stay_put)
            self.flows[span] += np.bincount(cells, minlength=no_jump + 1)[:no_jump]
            conv = self.is_conversion_row[new_row]
            if moved is not None:
                conv &= moved
            (buy,) = np.nonzero(conv)
            if buy.size:
                b_idx = idx[buy]
                self.purchases[b_idx] += 1
                late = None if joined is None else joined[buy]
                _by_round(bought, rnd, late, (b_idx, t[buy], new_row[buy], pos[buy]))
            if self.has_detractors:
                det = self.enters_detractor[flat]  # the jump (row, slot) enters a detractor stage from outside
                if moved is not None:
                    det &= moved
                if det.any():
                    det &= self.purchases[idx] > 0
                    self.detractors += int(det.sum())
            if self.event_log:
                ev = slice(None) if moved is None else moved
                self._events.append(
                    (idx[ev].astype(np.int64), t[ev], self.stage_of_row[row[ev]], self.stage_of_row[new_row[ev]])
                )
            vis |= bit_row[new_row]
            nt = np.log(hi)
            nt *= mean_hold[new_row]
            np.subtract(t, nt, out=nt)
            if self.has_dwell:
                dwell = self.is_dwell_row[new_row]
                if moved is not None:
                    dwell &= moved
                (dw,) = np.nonzero(dwell)
                if dw.size:  # a jump into a stage with a non-exponential dwell (rows of the plan: jumps land in stages)
                    r = new_row[dw]
                    nt[dw] = t[dw] + plan.holding(r, self.stage_of_row[r], hi[dw])
            row = new_row
            alive = nt < t_end
            (stay,) = np.nonzero(alive)
            if stay.size < n:
                (out,) = np.nonzero(~alive)
                gone.append((idx[out], nt[out], row[out], pos[out], vis[out]))
                idx, t, row, pos, vis = idx[stay], nt[stay], row[stay], pos[stay], vis[stay]
                if joined is not None:
                    joined = joined[stay]
            else:
                t = nt
            if arrived is not None and arrived[0].size:  # pass 2: the prospects' arrivals are next round
                a_idx, a_t, a_row, a_pos = arrived
                if joined is None:
                    joined = np.zeros(idx.size, dtype=np.intp)
                idx, t, row, pos = (np.concatenate(x) for x in ((idx, a_idx), (t, a_t), (row, a_row), (pos, a_pos)))
                vis = np.concatenate([vis, np.zeros(a_idx.size, dtype=np.uint64)])
                joined = np.concatenate([joined, np.full(a_idx.size, rnd + 1)])
            if idx.size == 0:
                break
        # write back who has left, file in the calendar those due before its end
        o_idx, o_t, o_row, o_pos, o_vis = _joined(gone)
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

    def _refer(self, referrers: tuple[NDArray[Any], ...], joining: bool = False) -> tuple[NDArray[Any], ...]:
        """Advocates' referrals: each brings one new prospect of the advocate's segment, arriving now.

        `referrers` holds the advocates' (roster index, time, stream position of the referring draw, day), in
        roster order. Returns the new prospects' (roster index, arrival time, row, stream position). With
        `joining` the caller advances them itself, so they count as scanned (when everyone before them was).
        """
        idx, t, pos, day = referrers
        seg = self.segment[idx].astype(np.intp)
        self.referrals += np.bincount(day * self.n_segments + seg, minlength=self.referrals.size)
        ckey = self.ckey[idx]
        first, scanned = self.n, joining and self._scanned == self.n
        self._admit(child_keys(ckey, counters(ckey, pos), self.plan.referral_salt), seg, t)
        if scanned:
            self._scanned = self.n
        new = np.arange(first, self.n)
        return new, t.copy(), self.n_rows + self.n_segments + seg, self.state[first : self.n, 1].copy()

    def _book_purchases(self, rounds: list[tuple[NDArray[Any], ...]]) -> None:
        """Count one chunk's first purchases now (the dynamics read them at day boundaries) and enter its purchases
        in the ledger, whose money is booked later in one go (`_settle`).

        `rounds` holds, round by round, the buyers' (idx, time, row, stream position after the buying draw), each
        in roster order; ledger groups keep the rounds apart, so the sums come out as a plain loop adds them.
        """
        if len(rounds) == 1:
            idx, t, row, pos = rounds[0]
            group = np.full(idx.size, self._groups)
        else:
            idx, t, row, pos = _joined(rounds)
            group = np.repeat(np.arange(self._groups, self._groups + len(rounds)), [r[0].size for r in rounds])
        self._groups += len(rounds)
        first = np.isnan(self.first_purchase[idx])
        if len(rounds) > 1 and first.any():  # a customer buying in several rounds: only its earliest is first
            (cand,) = np.nonzero(first)
            _, earliest = np.unique(idx[cand], return_index=True)
            first[:] = False
            first[cand[earliest]] = True
        n_first = int(np.count_nonzero(first))
        self.ever_bought += n_first
        if n_first:
            self.first_purchase[idx[first]] = t[first]
        self._ledger.append((idx, t, row, pos, group))
        self._ledger_size += idx.size
        if self._ledger_size >= LEDGER:
            self._settle()

    def _settle(self) -> None:
        """Book the money of the purchases in the ledger: revenue, margin and prospects' discounted margin.

        A purchase's order value comes from the same counter as its buying draw in the customer's value stream
        (key XOR value key). Each ledger group (a round) is summed in roster order and the groups are added in
        turn, exactly as booking each round as it happens would.
        """
        if not self._ledger:
            return
        idx, t, row, pos, group = _joined(self._ledger)
        self._ledger, self._ledger_size = [], 0
        pos = pos - _STEP
        seg = self.segment_of_row[row]
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
            del bits, scratch, lo, vpos
            if self.n_segments == 1:  # `Plan.order_values` without its per-segment masks (same numbers)
                ov = self.plan.scenario.population.segments[0].order_value
                value = order_value_quantile(ov.kind, ov.mean, ov.cv, hi)
                margin = value * ov.margin
            else:
                value, margin = self.plan.order_values(seg.astype(np.int16), hi)
        cell = t.astype(np.intp)
        cell *= self.n_segments
        cell += seg
        order, pair, pair_cell, rank = _fold_plan(cell, group)
        _fold(self.revenue, order, pair, pair_cell, rank, value)
        _fold(self.margin, order, pair, pair_cell, rank, margin)
        (pro,) = np.nonzero(self.is_prospect_start[self.start_stage[idx]])
        if pro.size:
            disc = margin[pro] * np.exp(-self.delta * (t[pro] - self.entry_time[idx[pro]]))
            _fold(self.prospect_clv, *_fold_plan(seg[pro], group[pro]), disc)

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
        self._settle()
        n = self.n
        meta = self.state[:n, 2]
        final = self.stage_of_row[(meta & _ROW_MASK).view(np.intp)]
        keep = final < s
        visited = meta >> _ROW_BITS if self._packed else self.visited_wide[:n]  # the records' uint64 bitmask
        kept = None if keep.all() else np.flatnonzero(keep)  # one scan of the mask for every column
        cust = (
            CustomerTable(
                segment=self.segment[:n].take(kept),
                start_stage=self.start_stage[:n].take(kept),
                entry_time=self.entry_time[:n].take(kept),
                first_purchase=self.first_purchase[:n].take(kept),
                purchases=self.purchases[:n].take(kept),
                visited=visited.take(kept),
                final_stage=final.take(kept),
            )
            if kept is not None
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
