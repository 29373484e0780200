"""The money ledger: purchases and referrals booked per round, order values drawn and summed later in one go.

Purchases are counted (and first purchases dated) when their chunk ends, since the dynamics read them at day
boundaries; their money waits in the ledger. Each ledger group (a round) is summed in roster order and the
groups are added in turn, so every sum comes out exactly as booking each round as it happens would.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.fast import sizes
from journeysim.engine.fast.roster import STEP_U64, Roster
from journeysim.engine.fast.rounds import Columns, joined
from journeysim.engine.fast.tables import RowTables
from journeysim.engine.plan import Plan, order_value_quantile
from journeysim.engine.streams import draw_at, uniform_pair_into


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


class Ledger:
    """Daily revenue, margin and referrals by segment, prospects' discounted margin, and who has ever bought."""

    def __init__(self, plan: Plan, tables: RowTables, roster: Roster) -> None:
        self.plan, self.tables, self.roster = plan, tables, roster
        d, g = plan.scenario.settings.horizon_days, tables.n_segments
        self.delta = plan.scenario.settings.discount_per_day
        self.revenue = np.zeros(d * g)
        self.margin = np.zeros(d * g)
        self.prospect_clv = np.zeros(g)
        self.referrals = np.zeros(d * g, dtype=np.int64)
        self.ever_bought = 0
        self._pending: list[Columns] = []  # purchases whose money is not booked yet
        self._pending_size = 0
        self._groups = 0  # ledger groups (rounds) so far
        #: every purchase's (roster position, time, order value) as booked, when a touch log's paths need them
        self.kept: list[tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]] | None = None
        self.picked: Callable[[NDArray[np.intp]], NDArray[np.bool_]] | None = None  # whose purchases are kept

    def book_referrals(self, day: NDArray[np.intp], seg: NDArray[np.intp]) -> None:
        """Count referrals made on `day` by advocates of segment `seg`."""
        self.referrals += np.bincount(day * self.tables.n_segments + seg, minlength=self.referrals.size)

    def book_purchases(self, rounds: list[Columns]) -> None:
        """Count one chunk's first purchases now and enter its purchases in the ledger (money booked by `settle`).

        `rounds` holds, round by round, the buyers' (idx, time, row, stream position after the buying draw), each
        in roster order; ledger groups keep the rounds apart, so the sums come out as a plain loop adds them.
        """
        if len(rounds) == 1:
            idx, t, row, pos = rounds[0]
            group = np.full(idx.size, self._groups)
        else:
            idx, t, row, pos = joined(rounds)
            group = np.repeat(np.arange(self._groups, self._groups + len(rounds)), [r[0].size for r in rounds])
        self._groups += len(rounds)
        first_purchase = self.roster.first_purchase
        first = np.isnan(first_purchase[idx])
        if len(rounds) > 1 and first.any():  # a customer buying in several rounds: only its earliest is first
            (cand,) = np.nonzero(first)
            _, earliest = np.unique(idx[cand], return_index=True)
            first[:] = False
            first[cand[earliest]] = True
        n_first = int(np.count_nonzero(first))
        self.ever_bought += n_first
        if n_first:
            first_purchase[idx[first]] = t[first]
        self._pending.append((idx, t, row, pos, group))
        self._pending_size += idx.size
        if self._pending_size >= sizes.LEDGER:
            self.settle()

    def settle(self) -> None:
        """Book the money of the purchases in the ledger: revenue, margin and prospects' discounted margin."""
        if not self._pending:
            return
        idx, t, row, pos, group = joined(self._pending)
        self._pending, self._pending_size = [], 0
        seg = self.tables.segment_of_row[row]
        value, margin = self._order_values(idx, pos - STEP_U64, seg)
        if self.kept is not None:
            if self.picked is not None:  # the touch log's sample only
                (mine,) = np.nonzero(self.picked(idx))
                self.kept.append((idx.take(mine), t.take(mine), value.take(mine)))
            else:
                self.kept.append((idx, t, value))
        cell = t.astype(np.intp)
        cell *= self.tables.n_segments
        cell += seg
        order, pair, pair_cell, rank = _fold_plan(cell, group)
        _fold(self.revenue, order, pair, pair_cell, rank, value)
        _fold(self.margin, order, pair, pair_cell, rank, margin)
        (pro,) = np.nonzero(self.tables.is_prospect_start[self.roster.start_stage[idx]])
        if pro.size:
            disc = margin[pro] * np.exp(-self.delta * (t[pro] - self.roster.entry_time[idx[pro]]))
            _fold(self.prospect_clv, *_fold_plan(seg[pro], group[pro]), disc)

    def _order_values(
        self, idx: NDArray[np.intp], pos: NDArray[np.uint64], seg: NDArray[np.intp]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Revenue and margin of purchases by customers `idx` whose buying draws sit at stream positions `pos`.

        A purchase's order value comes from the same counter as its buying draw in the customer's value stream
        (key XOR value key)."""
        tables = self.tables
        if tables.fixed_values:
            value = tables.value_mean[seg]
            return value, value * tables.value_margin[seg]
        ckey = self.roster.ckey[idx]
        vpos = pos - ckey
        vpos += ckey ^ self.plan.value_key
        bits, scratch = np.empty_like(vpos), np.empty_like(vpos)
        hi, lo = np.empty(vpos.size), np.empty(vpos.size)
        uniform_pair_into(draw_at(vpos, bits, scratch), hi, lo, scratch)
        del bits, scratch, lo, vpos
        if tables.n_segments == 1:  # `Plan.order_values` without its per-segment masks (same numbers)
            ov = self.plan.scenario.population.segments[0].order_value
            value = order_value_quantile(ov.kind, ov.mean, ov.cv, hi)
            return value, value * ov.margin
        return self.plan.order_values(seg.astype(np.int16), hi)
