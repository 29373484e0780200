"""The jump core: performs, round by round, the next candidate of every customer of a piece until it leaves the
interval; thinning, destinations, flows, purchases and referrals of each round.

Customers taken into a round loop are gathered once into local arrays (time, row, position, stages visited) that
shrink round by round; each customer's state is written back once, when its next candidate leaves the interval,
instead of a gather and a scatter per jump. The draw rules are those of `reference.py`, so both engines walk the
same paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.fast.calendar import Calendar
from journeysim.engine.fast.days import DayHazards
from journeysim.engine.fast.roster import STEP_U64, Roster
from journeysim.engine.fast.rounds import ByRound, Columns, by_round, in_roster_order, joined
from journeysim.engine.fast.tables import RowTables
from journeysim.engine.plan import Plan
from journeysim.engine.streams import LogSample, draw_at, uniform_pair_into

Refer = Callable[[Columns, bool], Columns]  # advocates' (idx, time, position, day) -> their prospects' state


class _Span:
    """The days a call covers and where their flows and thinning tables sit."""

    __slots__ = ("cols", "day_cell", "first_day", "no_jump", "one_day", "span")

    def __init__(self, kernel: Kernel, now: float, t_end: float) -> None:
        tables = kernel.tables
        self.first_day = first_day = int(now)
        last_day = min(kernel.horizon, math.ceil(t_end)) - 1
        self.one_day = first_day == last_day  # every candidate of this call falls on one day (the daily path)
        self.span = slice(first_day * tables.per_day, (last_day + 1) * tables.per_day)
        self.no_jump = (last_day + 1 - first_day) * tables.per_day  # cell of rejected candidates and referrals
        if kernel.thinning:
            self.cols, self.day_cell = kernel.days.day_cum, first_day * tables.n_ext
        else:
            self.cols, self.day_cell = tables.cum_cols, 0


class _Pack:
    """The customers still in a round loop, as local arrays, and scratch buffers for their draws."""

    __slots__ = ("bits", "hi_buf", "idx", "joined", "lo_buf", "pos", "row", "scratch", "t", "vis")

    def __init__(self, idx: NDArray[np.intp], roster: Roster) -> None:
        self.idx = idx
        self.t, self.pos, self.row, self.vis = roster.gather(idx)
        self.joined: NDArray[np.intp] | None = None  # once prospects join: the round each joined (0: pass 1)
        n = idx.size
        self.bits, self.scratch = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
        self.hi_buf, self.lo_buf = np.empty(n), np.empty(n)

    def draw(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Everyone's next draw as a uniform pair (hi, lo); positions move past it."""
        n = self.idx.size
        if n > self.bits.size:
            self.bits, self.scratch = np.empty_like(self.pos), np.empty_like(self.pos)
            self.hi_buf, self.lo_buf = np.empty(n), np.empty(n)
        b, sc = self.bits[:n], self.scratch[:n]
        draw_at(self.pos, b, sc)
        self.pos += STEP_U64  # pos - STEP is the position of this draw
        hi, lo = self.hi_buf[:n], self.lo_buf[:n]
        uniform_pair_into(b, hi, lo, sc)
        return hi, lo


class Kernel:
    """Jumps pieces of customers; records daily flows, detractors and (optionally) the event log."""

    def __init__(
        self,
        plan: Plan,
        tables: RowTables,
        roster: Roster,
        calendar: Calendar,
        days: DayHazards,
        event_log: bool | LogSample,
    ) -> None:
        self.plan, self.tables, self.roster, self.calendar, self.days = plan, tables, roster, calendar, days
        self.thinning = plan.thinning
        self.horizon = plan.scenario.settings.horizon_days
        self.flows = np.zeros(self.horizon * tables.per_day, dtype=np.int64)
        self.detractors = 0
        self.event_log = bool(event_log)
        #: a sampled event log: only the picked customers' moves are recorded (`logged`: per roster position)
        self.sample = event_log if isinstance(event_log, LogSample) and event_log.records_a_share else None
        self.logged = np.zeros(0, bool)
        self.n_picked = 0  # roster positions picked so far (the first n_picked entries of `logged`)
        self.events: list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int16], NDArray[np.int16]]] = []
        effects = roster.effects
        #: per extended row: the affected-stage index of per-customer effects, -1 where none (None: no effects)
        self.effect_of_row = effects.of_row[tables.plan_row] if effects.active else None
        #: ... and -1 also where the row has a single way out (its acceptance is always 1: only time is scaled)
        self.accept_of_row = None
        if self.effect_of_row is not None:
            several = plan.table.valid[tables.plan_row].sum(axis=1) > 1
            self.accept_of_row = np.where(several, self.effect_of_row, -1)

    def advance_piece(
        self, idx: NDArray[np.intp], now: float, t_end: float, bought: ByRound, referred: ByRound, refer: Refer | None
    ) -> None:
        """Jump customers `idx` until each one's next candidate is at or after `t_end`, then write their state back
        and file them in the calendar. Purchases and referrals go to `bought` and `referred` under (pass, round);
        with `refer` (merging), prospects referred in pass 1 are admitted at once and join the loop as pass 2."""
        span = _Span(self, now, t_end)
        pack = _Pack(idx, self.roster)
        gone: list[Columns] = []  # (idx, next time, row, position, visited) of who has left
        rnd = -1
        while True:
            rnd += 1
            hi, lo = pack.draw()
            day: NDArray[np.intp] | None = None if span.one_day else pack.t.astype(np.intp)
            flat, moved = self._slots(pack.row, lo, day, span)
            if self.effect_of_row is not None:
                moved = self._effects_accept(pack, flat, lo, day, span, moved)
            arrived: Columns | None = None  # prospects admitted this round, who join the loop
            if self.tables.has_referrals:
                moved, arrived = self._referrals(pack, flat, moved, day, span, rnd, referred, refer)
            new_row = self._book(pack, flat, moved, day, span, rnd, bought)
            nt = self._next_times(pack.t, hi, new_row, moved, pack.idx)
            pack.row = new_row
            self._shrink(pack, nt, t_end, gone)
            if arrived is not None and arrived[0].size:  # pass 2: the prospects' arrivals are next round
                self._join(pack, arrived, rnd)
            if pack.idx.size == 0:
                break
        o_idx, o_t, o_row, o_pos, o_vis = joined(gone)
        self.roster.store(o_idx, o_t, o_row, o_pos, o_vis)
        if t_end < self.calendar.hi:
            near = o_t < self.calendar.hi
            self.calendar.file(o_idx[near], o_t[near])

    def _slots(
        self, row: NDArray[np.intp], lo: NDArray[np.float64], day: NDArray[np.intp] | None, span: _Span
    ) -> tuple[NDArray[np.intp], NDArray[np.bool_] | None]:
        """Each candidate's flat (row, destination slot) index and, when thinning, whether it is a jump (None: all
        are); the slot is how many of the first K - 1 cumulative probabilities are <= the uniform. `lo` is reused."""
        moved: NDArray[np.bool_] | None = None
        if self.thinning:
            if day is None:
                at = row + span.day_cell
            else:
                at = day * self.tables.n_ext
                at += row
            acc = self.days.accept[at]
            moved = lo < acc
            lo /= acc
        else:
            at = row
        flat = row * self.tables.k_slots
        cols = span.cols
        if len(cols):
            slot = (lo >= cols[0][at]).view(np.int8)
            for col in cols[1:]:
                slot += lo >= col[at]
            flat += slot
        return flat, moved

    def _effects_accept(
        self,
        pack: _Pack,
        flat: NDArray[np.intp],
        lo: NDArray[np.float64],
        day: NDArray[np.intp] | None,
        span: _Span,
        moved: NDArray[np.bool_] | None,
    ) -> NDArray[np.bool_] | None:
        """Per-customer thinning for random effects: a candidate on slot k of an affected stage is a jump with
        probability accept[k], decided by its uniform rescaled within the slot (`lo` as `_slots` left it)."""
        assert self.accept_of_row is not None
        row = pack.row
        a = self.accept_of_row[row]
        (h,) = np.nonzero(a >= 0)
        if h.size == 0:
            return moved
        out = np.ones(row.shape[0], dtype=bool) if moved is None else moved
        k = self.tables.k_slots
        rh = row[h]
        slot = flat[h] - rh * k
        at = rh
        if self.thinning:  # the day's destination table, as `_slots` read it
            at = rh + span.day_cell if day is None else day[h] * self.tables.n_ext + rh
        low, high = np.zeros(h.size), np.ones(h.size)
        for c, col in enumerate(span.cols):
            edge = col[at]
            np.copyto(low, edge, where=slot == c + 1)
            np.copyto(high, edge, where=slot == c)
        within = (lo[h] - low) / (high - low)
        roster = self.roster
        who, ah = pack.idx[h], a[h]
        out[h] &= within < roster.effect_accept[who, roster.effects.accept_col[ah, slot]]  # kept per customer
        return out

    def _referrals(
        self,
        pack: _Pack,
        flat: NDArray[np.intp],
        moved: NDArray[np.bool_] | None,
        day: NDArray[np.intp] | None,
        span: _Span,
        rnd: int,
        referred: ByRound,
        refer: Refer | None,
    ) -> tuple[NDArray[np.bool_] | None, Columns | None]:
        """File (or, merging, admit at once) the prospects advocates refer this round; referrers stay where they
        are and are no jump. Returns the new `moved` and the prospects who join the loop."""
        is_ref = self.tables.is_referral_slot[flat]
        if moved is not None:
            is_ref &= moved
        if not is_ref.any():
            return moved, None
        (ref,) = np.nonzero(is_ref)
        ref_day = np.full(ref.size, span.first_day) if day is None else day[ref]
        parts = (pack.idx[ref], pack.t[ref], pack.pos[ref] - STEP_U64, ref_day)
        late = None if pack.joined is None else pack.joined[ref]
        arrived: Columns | None = None
        if refer is None:
            by_round(referred, rnd, late, parts)
        elif late is None or not late.any():
            arrived = refer(in_roster_order(parts), True)
        else:  # pass-2 referrers: their prospects form pass 3, admitted when the chunk ends
            first = late == 0
            arrived = refer(in_roster_order(tuple(p[first] for p in parts)), True)
            by_round(referred, rnd, late[~first], tuple(p[~first] for p in parts))
        if moved is None:
            return ~is_ref, arrived
        moved &= ~is_ref
        return moved, arrived

    def _book(
        self,
        pack: _Pack,
        flat: NDArray[np.intp],
        moved: NDArray[np.bool_] | None,
        day: NDArray[np.intp] | None,
        span: _Span,
        rnd: int,
        bought: ByRound,
    ) -> NDArray[np.intp]:
        """Record the round's jumps (flows, purchases, detractors, events, stages visited); return the new rows
        (rejected candidates and referrers keep theirs)."""
        tables, idx, row = self.tables, pack.idx, pack.row
        new_row = tables.dest_row[flat]
        cells = tables.pair[flat]
        if day is not None:
            cells += (day - span.first_day) * tables.per_day
        if moved is not None:  # rejected candidates and referrers stay where they are, and are no flow
            stay_put = ~moved
            np.copyto(new_row, row, where=stay_put)
            np.copyto(cells, span.no_jump, where=stay_put)
        self.flows[span.span] += np.bincount(cells, minlength=span.no_jump + 1)[: span.no_jump]
        conv = tables.is_conversion_row[new_row]
        if moved is not None:
            conv &= moved
        (buy,) = np.nonzero(conv)
        if buy.size:
            b_idx = idx[buy]
            self.roster.purchases[b_idx] += 1
            late = None if pack.joined is None else pack.joined[buy]
            by_round(bought, rnd, late, (b_idx, pack.t[buy], new_row[buy], pack.pos[buy]))
        if tables.has_detractors:
            det = tables.enters_detractor[flat]  # the jump (row, slot) enters a detractor stage from outside
            if moved is not None:
                det &= moved
            if det.any():
                det &= self.roster.purchases[idx] > 0
                self.detractors += int(det.sum())
        if self.event_log:
            ev: Any = slice(None) if moved is None else moved
            if self.sample is not None:  # a few of the movers: their positions, then one gather per column
                ev = np.flatnonzero(self.picked(idx) if moved is None else moved & self.picked(idx))
            sr = tables.stage_of_row
            self.events.append((idx[ev].astype(np.int64, copy=False), pack.t[ev], sr[row[ev]], sr[new_row[ev]]))
        pack.vis |= tables.bit_row[new_row]
        return new_row

    def picked(self, idx: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Whether roster positions `idx` are in the event log's sample (picks made as the roster grows)."""
        n, have = self.roster.n, self.n_picked
        if n > have and self.sample is not None:
            if n > self.logged.size:  # room grows geometrically: admits come a few at a time
                self.logged = np.concatenate([self.logged[:have], np.empty(max(n, 2 * have) - have, bool)])
            self.logged[have:n] = self.sample.picks(self.roster.ckey[have:n])
            self.n_picked = n
        return self.logged[idx]

    def _next_times(
        self,
        t: NDArray[np.float64],
        hi: NDArray[np.float64],
        new_row: NDArray[np.intp],
        moved: NDArray[np.bool_] | None,
        idx: NDArray[np.intp],
    ) -> NDArray[np.float64]:
        """Each customer's next candidate time from uniform `hi`: exponential at the row's bound rate (times the
        customer's effect factor on affected stages), or the dwell quantile after a jump into a stage with a
        non-exponential dwell."""
        tables = self.tables
        nt = np.log(hi)
        nt *= tables.mean_hold[new_row]
        if self.effect_of_row is not None:
            a = self.effect_of_row[new_row]
            (h,) = np.nonzero(a >= 0)
            if h.size:
                self.roster.ready_effects(idx[h])
                nt[h] /= self.roster.effect_factor[idx[h], a[h]]
        np.subtract(t, nt, out=nt)
        if tables.has_dwell:
            dwell = tables.is_dwell_row[new_row]
            if moved is not None:
                dwell &= moved
            (dw,) = np.nonzero(dwell)
            if dw.size:  # rows of the plan: jumps land in stages
                r = new_row[dw]
                nt[dw] = t[dw] + self.plan.holding(r, tables.stage_of_row[r], hi[dw])
        return nt

    @staticmethod
    def _shrink(pack: _Pack, nt: NDArray[np.float64], t_end: float, gone: list[Columns]) -> None:
        """Move to `nt` and let go of customers whose next candidate is at or after `t_end` (into `gone`)."""
        alive = nt < t_end
        (stay,) = np.nonzero(alive)
        if stay.size < pack.idx.size:
            (out,) = np.nonzero(~alive)
            gone.append((pack.idx[out], nt[out], pack.row[out], pack.pos[out], pack.vis[out]))
            pack.idx, pack.t, pack.row = pack.idx[stay], nt[stay], pack.row[stay]
            pack.pos, pack.vis = pack.pos[stay], pack.vis[stay]
            if pack.joined is not None:
                pack.joined = pack.joined[stay]
        else:
            pack.t = nt

    @staticmethod
    def _join(pack: _Pack, arrived: Columns, rnd: int) -> None:
        """Prospects admitted this round join the loop: their arrivals are the next round."""
        a_idx, a_t, a_row, a_pos = arrived
        joined_at = np.zeros(pack.idx.size, dtype=np.intp) if pack.joined is None else pack.joined
        pack.idx = np.concatenate((pack.idx, a_idx))
        pack.t = np.concatenate((pack.t, a_t))
        pack.row = np.concatenate((pack.row, a_row))
        pack.pos = np.concatenate((pack.pos, a_pos))
        pack.vis = np.concatenate([pack.vis, np.zeros(a_idx.size, dtype=np.uint64)])
        pack.joined = np.concatenate([joined_at, np.full(a_idx.size, rnd + 1)])
