"""Exact thinning, for both engines: candidates are drawn at each row's largest hazard and a candidate is a jump
with probability (that day's hazard) / (largest), so a rate change at a day boundary takes effect exactly there.

Acceptance is kept over the extended rows: the plan's rows (its arrival row holding the baseline Poisson
arrivals), then per segment a row for extra arrival candidates (drawn for media lifts on arrivals) and a row for
arrivals that are always kept (referred prospects, contagion adopters).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.plan import Plan


class Acceptance:
    """Writes a day's acceptance probabilities over the extended rows."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        s = plan.scenario.journey.n_stages
        self.n_segments = g = len(plan.scenario.population.segments)
        self.n_rows = g * (s + 1)
        self.n_ext = self.n_rows + 2 * g
        self._bounded = plan.table.total > 0
        self._arrival_rows = np.arange(g) * (s + 1) + s

    def extra_row(self, segment: int) -> int:
        """The extended row of a segment's extra arrival candidates (the always-kept row follows `n_segments` on)."""
        return self.n_rows + segment

    def day(self, total: NDArray[np.float64], arrivals: NDArray[np.float64], out: NDArray[np.float64]) -> None:
        """Fill `out` (n_ext, holding ones) for a day with hazards `total` by plan row and arrival factor m by
        segment: hazard / bound (1 where the bound is 0); baseline arrivals kept with min(1, m), extra candidates
        (drawn at (U - 1) x the organic rate, U the largest m) with max(0, m - 1) / (U - 1), the rest always."""
        plan, g, n_rows = self.plan, self.n_segments, self.n_rows
        np.divide(total, plan.table.total, out=out[:n_rows], where=self._bounded)
        out[self._arrival_rows] = np.minimum(1.0, arrivals)
        extra = out[n_rows : n_rows + g]
        extra[:] = 0.0
        np.divide(arrivals - 1.0, plan.arrival_upper - 1.0, out=extra, where=plan.arrival_upper > 1)
        np.clip(extra, 0.0, 1.0, out=extra)
