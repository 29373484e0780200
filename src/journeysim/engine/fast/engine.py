"""The fast engine: SimPy holds the event calendar, the population advances in vectorised numpy between events.

Each customer holds the time of its next candidate jump. `advance_to(t)` performs, in rounds, the next candidate
of every customer whose candidate falls before `t`, until none does; so every transition is simulated (several
per day included) and cost grows with transitions, not customers x days. A SimPy process ticks at day boundaries
only when a day's rates depend on the population at its start (audiences, detractors, contagion from advocates).
The parts: `RowTables` (what a jump reads), `Roster` (per-customer state), `Calendar` (who is due when),
`Kernel` (the jumps), `Ledger` (money and referrals), `DayHazards` (each day's thinning tables).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from journeysim.engine.contagion import is_driven_by_customers
from journeysim.engine.fast import sizes
from journeysim.engine.fast.calendar import Calendar
from journeysim.engine.fast.days import DayHazards
from journeysim.engine.fast.kernel import Kernel
from journeysim.engine.fast.ledger import Ledger
from journeysim.engine.fast.roster import Roster
from journeysim.engine.fast.rounds import ByRound, Columns, in_roster_order, joined
from journeysim.engine.fast.tables import RowTables
from journeysim.engine.moves import Moves, Purchases, moves_from_rounds, purchases_by_customer
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records, customer_table, event_table, journey_records
from journeysim.engine.streams import LogSample, child_keys, counters


class FastEngine:
    """Vectorised next-event engine over one compiled plan (one replication)."""

    def __init__(self, plan: Plan, event_log: bool | LogSample = False) -> None:
        self.plan = plan
        sc = plan.scenario
        self.horizon = sc.settings.horizon_days
        self.now = 0.0
        self.tables = RowTables(plan)
        admits = sc.word_of_mouth.referrals is not None or is_driven_by_customers(sc)
        self.roster = Roster(plan, self.tables, admits)
        self.calendar = Calendar(self.roster, self.horizon)
        self.ledger = Ledger(plan, self.tables, self.roster)
        self.days = DayHazards(plan, self.tables, self.roster)
        self.event_log = event_log
        self.kernel = Kernel(plan, self.tables, self.roster, self.calendar, self.days, event_log)
        if isinstance(event_log, LogSample):  # the touch log's paths value each purchase (its sample's only)
            self.ledger.kept = []
            self.ledger.picked = self.kernel.picked if event_log.records_a_share else None
        plan.dynamics.reset()

    def start_day(self, d: int) -> None:
        """Set day d's hazards from the strategy and the population at its start (after `advance_to(d)`)."""
        self.days.start_day(d, self.kernel.flows, self.ledger.ever_bought, self.kernel.detractors)

    def advance_to(self, t_end: float) -> None:
        """Perform every jump that happens before `t_end` (bounded by the horizon).

        Customers due inside the calendar (WINDOW days, found by one scan of the roster) sit in day buckets; a
        later call inside the calendar takes only the buckets it covers.
        """
        t_end = min(float(t_end), float(self.horizon))
        if t_end <= self.now:
            return
        calendar = self.calendar
        with np.errstate(divide="ignore", invalid="ignore"):
            due = calendar.due_before(self.now, t_end)
            while due.size:
                chunk = sizes.CHUNK
                for start in range(0, due.size, chunk):
                    self._advance_chunk(due[start : start + chunk], t_end, alone=due.size <= chunk)
                if calendar.all_scanned():
                    break
                # customers admitted meanwhile (referrals): those due before t_end go round again
                due = calendar.scan(calendar.scanned, t_end)
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
        bought: ByRound = {}
        referred: ByRound = {}
        piece = min(sizes.PIECE, sizes.CHUNK)
        merge = alone and idx.size <= piece and self.calendar.all_scanned()
        for start in range(0, idx.size, piece):
            self.kernel.advance_piece(
                idx[start : start + piece], self.now, t_end, bought, referred, self._refer if merge else None
            )
        for key in sorted(referred):
            self._refer(in_roster_order(joined(referred[key])))
        if bought:
            self.ledger.book_purchases([in_roster_order(joined(bought[key])) for key in sorted(bought)])

    def _refer(self, referrers: Columns, joining: bool = False) -> Columns:
        """Advocates' referrals: each brings one new prospect of the advocate's segment, arriving now.

        `referrers` holds the advocates' (roster index, time, stream position of the referring draw, day), in
        roster order. Returns the new prospects' (roster index, arrival time, row, stream position). With
        `joining` the caller advances them itself, so they count as scanned (when everyone before them was).
        """
        roster, calendar, tables = self.roster, self.calendar, self.tables
        idx, t, pos, day = referrers
        seg = roster.segment[idx].astype(np.intp)
        self.ledger.book_referrals(day, seg)
        ckey = roster.ckey[idx]
        first, scanned = roster.n, joining and calendar.all_scanned()
        roster.admit(child_keys(ckey, counters(ckey, pos), self.plan.referral_salt), seg, t)
        if scanned:
            calendar.scanned = roster.n
        new = np.arange(first, roster.n)
        return new, t.copy(), tables.n_rows + tables.n_segments + seg, roster.state[first : roster.n, 1].copy()

    def _day_process(self, env: simpy.Environment) -> Generator[Any, Any, None]:
        """The day-boundary process: bring the population up to the boundary, then set the new day's hazards."""
        for d in range(self.horizon):
            self.advance_to(d)
            self.start_day(d)
            yield env.timeout(1)

    def run(self) -> Records:
        """Run to the horizon on a SimPy calendar and return the records."""
        self.advance_all()
        return self.records()

    def advance_all(self) -> None:
        """Advance to the horizon: day by day on a SimPy calendar when days depend on the population."""
        plan = self.plan
        env = simpy.Environment()
        if plan.dynamics.needs_state or is_driven_by_customers(plan.scenario):
            env.process(self._day_process(env))
        elif plan.thinning:
            for d in range(self.horizon):  # no day depends on the population: set every day up front
                self.start_day(d)
        env.run(until=self.horizon)
        self.advance_to(env.now)

    def records(self) -> Records:
        """Package the state as `Records`; Poisson arrival candidates that were thinned away are dropped."""
        plan, tables, roster, ledger = self.plan, self.tables, self.roster, self.ledger
        d, g, s, n = self.horizon, tables.n_segments, tables.n_stages, roster.n
        ledger.settle()
        rows, visited = roster.final_rows_and_visited()
        final = tables.stage_of_row[rows]
        keep = final < s
        customers = customer_table(
            keep,
            segment=roster.segment[:n],
            start_stage=roster.start_stage[:n],
            entry_time=roster.entry_time[:n],
            first_purchase=roster.first_purchase[:n],
            purchases=roster.purchases[:n],
            visited=visited,
            final_stage=final,
            effects=roster.effects.table(roster.effect_values[:n], roster.segment[:n])
            if roster.effects.active
            else None,
        )
        sample = self.event_log if isinstance(self.event_log, LogSample) else None
        picked = None  # the sample (None: everyone, or no touch log)
        if sample is not None and sample.share < 1.0:
            picked = self.kernel.logged[:n] if self.kernel.n_picked >= n else sample.picks(roster.ckey[:n])
        events, moves = self._logs(keep, picked)
        media = self.days.media
        media.add_referral_costs(ledger.referrals.reshape(d, g).sum(axis=1), plan.dynamics)
        records = journey_records(
            plan.scenario,
            initial=plan.initial_counts(),
            flows=self.kernel.flows.reshape(d, g, s + 1, s),
            revenue=ledger.revenue.reshape(d, g),
            margin=ledger.margin.reshape(d, g),
            prospect_clv=ledger.prospect_clv,
            customers=customers,
            events=events,
            referrals=ledger.referrals.reshape(d, g),
            media=media,
        )
        records.moves = moves
        if sample is not None:
            records.logged = None if picked is None else picked[keep]
            records.purchases = self._purchases(keep, picked)
        return records

    def _purchases(self, keep: NDArray[np.bool_], picked: NDArray[np.bool_] | None) -> Purchases:
        """The sample's purchases by customer, then time, with their order values (from the ledger)."""
        kept = self.ledger.kept or []
        idx: NDArray[np.intp] = np.concatenate([k[0] for k in kept]) if kept else np.zeros(0, np.intp)
        t, value = (np.concatenate([k[i] for k in kept]) if kept else np.zeros(0) for i in (1, 2))
        if picked is not None and self.ledger.picked is None:  # the ledger kept everyone's: the sample's only
            (mine,) = np.nonzero(picked[idx])
            idx, t, value = idx.take(mine), t.take(mine), value.take(mine)
        return purchases_by_customer(idx, t, value, keep)

    def _logs(self, keep: NDArray[np.bool_], picked: NDArray[np.bool_] | None) -> tuple[Any, Moves | None]:
        """(the event table when the event log was asked for, the sample's moves by customer when a touch log's
        sample was): both from the kernel's recorded moves (`keep`: who arrived; `picked`: the sample)."""
        if not self.kernel.event_log:
            return None, None
        parts = self.kernel.events
        sample = self.event_log if isinstance(self.event_log, LogSample) else None
        events = None
        if sample is None or sample.record_all:
            cols = [np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dtype=int) for i in range(4)]
            events = event_table(cols[0], cols[1], cols[2], cols[3], keep, self.plan.scenario.journey.stages)
        if sample is None:
            return events, None
        if picked is not None and sample.record_all:  # every move was recorded: the sample's only
            parts = [tuple(c[picked[p[0]]] for c in p) for p in parts]  # type: ignore[misc]
        return events, moves_from_rounds(parts, keep)


def simulate_fast(plan: Plan, event_log: bool | LogSample = False) -> Records:
    """Run one replication of a compiled plan with the vectorised engine."""
    return FastEngine(plan, event_log=event_log).run()
