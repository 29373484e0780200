"""The roster: every customer's state, grown as word of mouth admits new customers.

A jump reads and writes one 24-byte record per customer, so a visit touches one place: the next candidate time
(float64 bits), the stream position (key + (counter + 1) x STEP, so a draw is one gather and the finaliser), and
row | visited << 16 (the row alone beyond 48 stages, the visited bits then in `visited_wide`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.fast import sizes
from journeysim.engine.fast.tables import RowTables
from journeysim.engine.heterogeneity import CustomerEffects
from journeysim.engine.plan import Plan
from journeysim.engine.streams import STEP, draw_bits, positions, uniform_pair

STEP_U64 = np.uint64(STEP)
ROW_BITS = np.uint64(16)  # the state's third word: table row in the low 16 bits, stages visited above
ROW_MASK = np.uint64(0xFFFF)
PACKED_STAGES = 48  # up to this many stages the visited bits fit in the state's third word
_RECORD = np.dtype((np.void, 24))  # one customer's state as one item, for single-copy gathers and scatters
_GROWN = (
    "ckey",
    "segment",
    "start_stage",
    "entry_time",
    "purchases",
    "first_purchase",
    "visited_wide",
    "effect_values",
    "effect_factor",
    "effect_accept",
    "effect_ready",
)


def _with_room(a: NDArray[Any], cap: int) -> NDArray[Any]:
    """`a` itself when no room is needed, else a longer array starting with `a`."""
    if cap == a.shape[0]:
        return a
    out = np.empty(cap, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


class Roster:
    """Per-customer arrays (identity, segment, entry, purchases) and the jump state, in roster order."""

    def __init__(self, plan: Plan, tables: RowTables, admits: bool) -> None:
        self.plan = plan
        self.tables = tables
        n, s, g = plan.n_customers, tables.n_stages, tables.n_segments
        cap = n + max(4096, n // 4) if admits else n
        self.n = n
        self.ckey = _with_room(plan.ckey, cap)
        self.segment = _with_room(plan.segment, cap)
        self.start_stage = _with_room(plan.start_stage, cap)
        self.entry_time = _with_room(plan.entry_time, cap)
        self.packed = s <= PACKED_STAGES
        self.state = np.empty((cap, 3), dtype=np.uint64)
        self.records = self.state.view(_RECORD).reshape(cap)
        self.state[:n, 0] = plan.entry_time.view(np.uint64)
        base, extra = slice(0, plan.base_end), slice(plan.base_end, plan.poisson_end)
        always = slice(plan.poisson_end, n)
        meta = self.state[:, 2]  # arrival rows (of the customer's kind) until the customer arrives
        meta[base] = plan.segment[base] * (s + 1) + s
        meta[extra] = plan.segment[extra] + tables.n_rows
        meta[always] = plan.segment[always] + (tables.n_rows + g)
        self.purchases = np.empty(cap, dtype=np.int32)
        self.purchases[:n] = 0
        self.first_purchase = np.empty(cap)
        self.first_purchase[:n] = np.nan
        self.visited_wide = np.zeros(cap if not self.packed else 0, dtype=np.uint64)
        # per-customer random effects (none: empty): candidate-rate factor per affected stage, acceptance per slot
        self.effects = CustomerEffects(plan)
        self.effect_values = np.empty((cap if self.effects.active else 0, len(self.effects.names)))
        self.effect_factor = np.empty((cap if self.effects.active else 0, self.effects.n_affected))
        self.effect_accept = np.empty((cap if self.effects.active else 0, len(self.effects.accept_pairs)))
        #: whether a customer's factor and acceptance columns are filled: at its first affected stage, not before
        self.effect_ready = np.zeros(cap if self.effects.active else 0, dtype=bool)
        if self.effects.active:
            for start in range(0, n, sizes.CHUNK):
                block = slice(start, min(start + sizes.CHUNK, n))
                self._draw_effects(block)
            if plan.initial_effects is not None:  # customers carried over from an earlier run keep their effects
                n0 = plan.n_initial
                self.effect_values[:n0] = plan.initial_effects
        self._place_initial()

    @property
    def next_time(self) -> NDArray[np.float64]:
        """Per customer, the time of the next candidate jump (a strided view of the state)."""
        return self.state[:, 0].view(np.float64)

    def _place_initial(self) -> None:
        """Customers present at day 0 start in their stage with a holding time from their draw 0."""
        plan, n0, n = self.plan, self.plan.n_initial, self.n
        chunk = sizes.CHUNK
        for start in range(0, n, chunk):  # in blocks: bounds the temporaries for very large populations
            block = slice(start, min(start + chunk, n))
            self.state[block, 1] = positions(self.ckey[block], 0 if start >= n0 else 1)
            if start < n0 < block.stop:  # arrivals are still before their draw 0
                self.state[n0 : block.stop, 1] -= STEP_U64
        for start in range(0, n0, chunk):
            block = slice(start, min(start + chunk, n0))
            st = plan.start_stage[block]
            row = plan.segment[block].astype(np.intp) * (self.tables.n_stages + 1) + st
            if self.packed:
                meta = self.tables.bit[st] << ROW_BITS
                meta |= row.view(np.uint64)
                self.state[block, 2] = meta
            else:
                self.state[block, 2] = row
                self.visited_wide[block] = self.tables.bit[st]
            hi, _ = uniform_pair(draw_bits(self.ckey[block], 0))
            hold = plan.holding(row, st, hi)
            if plan.initial_age is not None:  # carried over from an earlier run, part-way through a dwell
                hold = plan.aged(hold, row, st, hi, plan.initial_age[block])
            if self.effects.active:
                a = self.effects.of_row[row]
                (h,) = np.nonzero(a >= 0)
                if h.size:
                    self.ready_effects(h + block.start)
                    hold[h] /= self.effect_factor[h + block.start, a[h]]
            self.state[block, 0] = hold.view(np.uint64)

    def _draw_effects(self, block: slice) -> None:
        """Customers `block`'s random effects, drawn once from their own streams."""
        values = self.effects.draw(self.ckey[block], self.segment[block])
        self.effect_values[block] = values
        self.effect_ready[block] = False

    def ready_effects(self, idx: NDArray[np.intp]) -> None:
        """Fill the candidate-rate factors and acceptances of customers `idx` (distinct) not yet filled: done when
        a customer first reaches an affected stage, since most never do; per customer, so the numbers are the same."""
        todo = idx[~self.effect_ready[idx]]
        if todo.size == 0:
            return
        values, seg = self.effect_values[todo], self.segment[todo]
        factor = self.effects.factors(values, seg)
        self.effect_factor[todo] = factor
        self.effect_accept[todo] = self.effects.accepts(values, seg, factor)
        self.effect_ready[todo] = True

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
                arr = np.empty((new_cap, *old.shape[1:]), dtype=old.dtype)
                arr[: self.n] = old[: self.n]
                setattr(self, name, arr)
        state = np.empty((new_cap, 3), dtype=np.uint64)
        state[: self.n] = self.state[: self.n]
        self.state, self.records = state, state.view(_RECORD).reshape(new_cap)

    def admit(self, ckey: NDArray[np.uint64], seg: NDArray[np.intp], t: NDArray[np.float64]) -> None:
        """Add customers who arrive at the entry stage at times `t` (referrals, contagion adopters)."""
        m = t.shape[0]
        if m == 0:
            return
        self._grow(m)
        sl = slice(self.n, self.n + m)
        self.ckey[sl] = ckey
        self.segment[sl] = seg
        self.start_stage[sl] = self.plan.scenario.journey.entry_index
        self.entry_time[sl] = t
        self.state[sl, 0] = t.view(np.uint64)
        self.state[sl, 1] = positions(ckey, 0)
        self.state[sl, 2] = self.tables.n_rows + self.tables.n_segments + seg  # arrival row of the always-kept kind
        self.purchases[sl] = 0
        self.first_purchase[sl] = np.nan
        if not self.packed:
            self.visited_wide[sl] = 0
        if self.effects.active:
            self._draw_effects(sl)
        self.n += m

    def gather(self, idx: NDArray[np.intp]) -> tuple[NDArray[Any], ...]:
        """Customers `idx`'s (next time, stream position, row, visited bits) as fresh local arrays."""
        n_all = idx.size
        got = np.take(self.records, idx).view(np.uint64).reshape(n_all, 3)
        t = got[:, 0].copy().view(np.float64)
        pos = got[:, 1].copy()
        meta = got[:, 2]
        row = (meta & ROW_MASK).view(np.intp)
        vis = meta >> ROW_BITS if self.packed else np.zeros(n_all, dtype=np.uint64)
        return t, pos, row, vis

    def store(
        self,
        idx: NDArray[np.intp],
        t: NDArray[np.float64],
        row: NDArray[np.intp],
        pos: NDArray[np.uint64],
        vis: NDArray[np.uint64],
    ) -> None:
        """Write customers `idx`'s state back in one scatter (`vis`: stages visited since `gather`, modified)."""
        put = np.empty((idx.size, 3), dtype=np.uint64)
        put[:, 0] = t.view(np.uint64)
        put[:, 1] = pos
        if self.packed:
            vis <<= ROW_BITS
            vis |= row.view(np.uint64)
            put[:, 2] = vis
        else:
            put[:, 2] = row.view(np.uint64)
            self.visited_wide[idx] |= vis
        self.records[idx] = put.view(_RECORD).reshape(idx.size)

    def final_rows_and_visited(self) -> tuple[NDArray[np.intp], NDArray[np.uint64]]:
        """Every customer's row at the end and the bitmask of stages visited."""
        meta = self.state[: self.n, 2]
        visited = meta >> ROW_BITS if self.packed else self.visited_wide[: self.n]
        return (meta & ROW_MASK).view(np.intp), visited
