"""The next-event calendar: customers filed in day buckets by the day of their next candidate.

A day's advance touches only that day's customers, with no scan of the roster. This is exact: only a customer's
own jumps change its next candidate, and each customer leaving a round loop is filed again (when due inside the
calendar; later ones are found by the next scan of the roster).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.fast import sizes
from journeysim.engine.fast.roster import Roster


class Calendar:
    """Day buckets for days lo <= b < hi; customers beyond roster position `scanned` were admitted after the last
    scan and are in no bucket yet."""

    def __init__(self, roster: Roster, horizon: int) -> None:
        self.roster = roster
        self.horizon = horizon
        self.lo = self.hi = 0
        self.buckets: dict[int, list[NDArray[np.intp]]] = {}
        self.scanned = 0

    def file(self, idx: NDArray[np.intp], t: NDArray[np.float64]) -> None:
        """Put customers whose next candidates (at `t`) fall inside the calendar into their day buckets."""
        if idx.size == 0:
            return
        buckets = self.buckets
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

    def scan(self, start: int, t_end: float) -> NDArray[np.intp]:
        """Customers from roster position `start` on: return those due before `t_end`, file those due later
        inside the calendar."""
        roster = self.roster
        nt = roster.next_time[start : roster.n]
        if nt.size >= sizes.RUN and t_end < self.hi:
            return self._scan_runs(start, nt, t_end)
        (due,) = np.nonzero(nt < self.hi)
        due += start
        self.scanned = roster.n
        if t_end >= self.hi:
            return due
        t = roster.next_time[due]
        now = t < t_end
        self.file(due[~now], t[~now])
        return due[now]

    def _scan_runs(self, start: int, nt: NDArray[np.float64], t_end: float) -> NDArray[np.intp]:
        """`scan` of a long stretch of the roster (`nt` from position `start`), where long stretches of customers
        are already in time order (arrival candidates that have not arrived yet): those are split into the day
        buckets by binary search, with no sort and no gather; the rest go through `file`.

        The same customers end up due and in the same buckets as with `file` alone: floor(t) = d exactly
        when d <= t < d + 1, and `due_before` puts every bucket in roster order."""
        cal_hi, run = self.hi, sizes.RUN
        (cut,) = np.nonzero(~(nt[1:] >= nt[:-1]))  # run i (in time order) is [bounds[i], bounds[i + 1])
        bounds = np.concatenate([[0], cut + 1, [nt.size]])
        length = np.diff(bounds)
        (long_runs,) = np.nonzero(length >= run)
        loose = np.repeat(length < run, length)
        loose &= nt < cal_hi
        (due,) = np.nonzero(loose)
        t = nt[due]
        due += start
        now = t < t_end
        self.file(due[~now], t[~now])
        parts = [due[now]]
        day0 = math.floor(t_end)
        edges = np.array([t_end, *range(day0 + 1, math.ceil(cal_hi)), cal_hi])
        buckets = self.buckets
        for i in long_runs.tolist():
            a, b = int(bounds[i]), int(bounds[i + 1])
            at = np.searchsorted(nt[a:b], edges).tolist()
            a += start
            parts.append(np.arange(a, a + at[0]))
            for day, (lo, hi) in enumerate(itertools.pairwise(at), day0):
                if hi > lo:
                    buckets.setdefault(day, []).append(np.arange(a + lo, a + hi))
        self.scanned = self.roster.n
        out = np.concatenate(parts)
        if len(parts) > 1:
            out.sort()
        return out

    def due_before(self, now: float, t_end: float) -> NDArray[np.intp]:
        """Take out of the calendar, in roster order (as a plain loop over the roster would take them, chunk by
        chunk), every customer whose next candidate falls before `t_end` (the population is up to date at `now`)."""
        whole = math.floor(t_end)  # days before this one lie wholly before t_end
        if t_end > self.hi:
            # beyond the calendar: rebuild it from one scan of the roster, up to WINDOW days ahead
            self.buckets.clear()
            self.hi = min(self.horizon, max(math.ceil(t_end), int(now) + sizes.WINDOW))
            self.lo = whole
            return self.scan(0, t_end)
        parts: list[NDArray[np.intp]] = []
        for b in range(self.lo, whole):
            parts += self.buckets.pop(b, [])
        if whole < t_end and whole in self.buckets:  # a day in part: who is due later that day stays filed
            rest = np.concatenate(self.buckets.pop(whole))
            later = self.roster.next_time[rest] >= t_end
            parts.append(rest[~later])
            if later.any():
                self.buckets[whole] = [rest[later]]
        self.lo = whole
        if self.roster.n > self.scanned:  # customers admitted since the last scan
            parts.append(self.scan(self.scanned, t_end))
        due = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
        due.sort()
        return due

    def all_scanned(self) -> bool:
        """Whether every customer of the roster has been scanned (none admitted since)."""
        return self.scanned == self.roster.n
