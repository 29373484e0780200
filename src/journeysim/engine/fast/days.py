"""Day boundaries: each day's thinning tables from the strategy and the population at its start, and the day's
contagion adopters.

Candidates are drawn at each row's largest hazard and accepted with probability (that day's hazard) / (largest)
(`engine.thinning`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.contagion import adopter_identity, day_adopters
from journeysim.engine.fast.roster import Roster
from journeysim.engine.fast.tables import RowTables
from journeysim.engine.plan import Plan
from journeysim.engine.records import MediaRecord
from journeysim.engine.streams import customer_keys
from journeysim.engine.thinning import Acceptance


class DayHazards:
    """Per day, over the extended rows: acceptance probability and cumulative destination probabilities (filled day
    by day, or all at once when no day depends on the population); the occupancy at the start of the current day."""

    def __init__(self, plan: Plan, tables: RowTables, roster: Roster) -> None:
        self.plan, self.tables, self.roster = plan, tables, roster
        d, n_ext = plan.scenario.settings.horizon_days, tables.n_ext
        self.media = MediaRecord.empty(plan.dynamics.channel_names, d)
        self.occupancy = plan.initial_counts().copy()  # (G, S) at the start of the current day
        if plan.thinning:
            self.accept = np.ones(d * n_ext)
            self.day_cum = np.ones((tables.k_slots - 1, d * n_ext))  # row c: cumulative probability c, by cell
            self.acceptance = Acceptance(plan)
        self.contagion_rng = np.random.default_rng(plan.contagion_seed)
        self.contagion_adopted = 0

    def start_day(self, d: int, flows: NDArray[np.int64], ever_bought: int, detractors: int) -> None:
        """Set day d's hazards from the strategy and the population at its start (`flows` recorded up to d)."""
        tables = self.tables
        s, per_day = tables.n_stages, tables.per_day
        if d > 0:
            day_flows = flows[(d - 1) * per_day : d * per_day].reshape(tables.n_segments, s + 1, s)
            self.occupancy += day_flows.sum(axis=1) - day_flows[:, :s, :].sum(axis=2)
        if self.plan.thinning:
            self._set_tables(d, ever_bought, detractors)
        self._contagion(d)

    def _set_tables(self, d: int, ever_bought: int, detractors: int) -> None:
        """Day d's acceptance probabilities and destination tables (`thinning.Acceptance`)."""
        plan, tables = self.plan, self.tables
        mult, arrivals, referral, rec = plan.dynamics.day(d, self.occupancy, ever_bought, detractors)
        self.media.set_day(d, rec)
        total, cum = plan.day_tables(mult, referral)
        n_ext = tables.n_ext
        self.acceptance.day(total, arrivals, self.accept[d * n_ext : (d + 1) * n_ext])
        self.day_cum[:, d * n_ext : (d + 1) * n_ext] = cum[tables.plan_row, :-1].T

    def _contagion(self, d: int) -> None:
        """Admit day d's Bass adopters when adopters are customers in source stages."""
        g, t = day_adopters(self.plan.scenario, d, self.occupancy, self.contagion_adopted, self.contagion_rng)
        m = t.size
        if m == 0:
            return
        ident = np.uint64(adopter_identity(g, self.contagion_adopted)) + np.arange(m, dtype=np.uint64)
        self.contagion_adopted += m
        self.roster.admit(customer_keys(ident, self.plan.journey_key), np.full(m, g, dtype=np.intp), t)
