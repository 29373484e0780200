"""Lookup tables over the extended rows: what a jump from a row (segment x stage) reads, fixed for a run."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.plan import Plan


class RowTables:
    """The plan's rows, then per segment a row for extra arrival candidates (kept with the day's media lift) and a
    row for arrivals that are always kept (Bass adopters, referred prospects, contagion adopters); the plan's own
    arrival row holds the baseline Poisson arrivals. One acceptance table then covers every candidate."""

    def __init__(self, plan: Plan) -> None:
        table = plan.table
        j = plan.scenario.journey
        self.n_stages = s = j.n_stages
        self.n_segments = g = len(plan.scenario.population.segments)
        s1 = s + 1
        self.n_rows = g * s1  # rows of the plan
        self.per_day = g * s1 * s  # flow cells per day
        arrival = np.arange(g) * s1 + s
        self.plan_row = plan_row = np.concatenate([np.arange(self.n_rows), arrival, arrival])
        self.n_ext = plan_row.size
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
        self.is_conversion_row = self._of_stages(list(j.conversion_indices))
        self.is_prospect_start = np.zeros(s, dtype=bool)
        self.is_prospect_start[list(j.pre_purchase_indices)] = True
        det = plan.scenario.word_of_mouth.detractors
        self.is_detractor_row = self._of_stages([j.index(x) for x in det.stages] if det is not None else [])
        self.has_detractors = bool(self.is_detractor_row.any())
        self.enters_detractor = self.is_detractor_row[self.dest_row] & ~np.repeat(self.is_detractor_row, self.k_slots)
        self.is_dwell_row = self._of_stages([i for i, dw in enumerate(plan.dwell) if dw is not None])
        self.has_dwell = bool(self.is_dwell_row.any())
        segments = plan.scenario.population.segments
        self.fixed_values = all(x.order_value.kind == "fixed" or x.order_value.cv == 0 for x in segments)
        self.value_mean = np.array([x.order_value.mean for x in segments])
        self.value_margin = np.array([x.order_value.margin for x in segments])

    def _of_stages(self, stages: list[int]) -> NDArray[np.bool_]:
        """Per extended row: whether its stage is one of `stages` (arrival rows never are)."""
        flag = np.zeros(self.n_stages + 1, dtype=bool)
        flag[stages] = True
        return flag[self.stage_of_row]
