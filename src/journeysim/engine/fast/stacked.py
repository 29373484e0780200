"""Several variants of one scenario in one pass of the fast engine: each variant's segments become segments of one
stacked plan, so a day's rounds, calendar and bookkeeping are paid once for all of them.

Why this is exact: every draw of a customer comes from the customer's own counter-based stream (its key depends
on the seed and its identity, never on the roster position), every table the kernel reads is per row, and every
sum is kept per (day, segment) and added in (round, roster order). Stacking keeps each variant's customers in
their own order (group by group: initial customers, Poisson arrivals, extra candidates, Bass adopters, then the
referred prospects as they come), so each variant's records are byte-identical to running it alone. A variant
that does not thin alone is thinned here with acceptance 1 against the same tables (the same numbers).

What can be stacked (`stackable`): same journey, seed and horizon, the fast engine, no event log, no per-customer
random effects, no detractors and no contagion (these read whole-population counts), and members whose due
customers fit in one chunk alone (`fits`; money is summed chunk by chunk). Anything else runs alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.dynamics import Dynamics
from journeysim.engine.fast import sizes
from journeysim.engine.fast.days import DayHazards
from journeysim.engine.fast.engine import FastEngine
from journeysim.engine.fast.stacked_media import StackedMedia
from journeysim.engine.plan import Plan, RateTable
from journeysim.engine.records import Records, customer_table, journey_records
from journeysim.model.population import Population
from journeysim.model.scenario import Scenario

__all__ = ["simulate_stacked", "stack_key", "stackable"]


def stackable(scenario: Scenario) -> bool:
    """Whether the scenario can share a stacked pass (see the module docstring)."""
    wom = scenario.word_of_mouth
    return (
        scenario.settings.engine == "fast"
        and not scenario.settings.event_log
        and wom.detractors is None
        and wom.contagion is None
        and not any(bool(scenario.heterogeneity_of(g)) for g in range(len(scenario.population.segments)))
        and scenario.start_state is None
    )


def stack_key(scenario: Scenario) -> tuple[object, ...]:
    """Scenarios with equal keys (and `stackable`) can be stacked: same journey, segments' layout, seed, horizon."""
    s = scenario.settings
    return (
        s.seed,
        s.replications,
        s.horizon_days,
        s.start_date,
        s.day_offset,
        repr(scenario.journey),
        len(scenario.population.segments),
    )


def _stacked_scenario(members: Sequence[Plan]) -> Scenario:
    """One scenario whose segments are every member's segments in turn (renamed `<member>/<segment>`), no spend."""
    first = members[0].scenario
    segments = tuple(
        dataclasses.replace(seg, name=f"{m}/{seg.name}")
        for m, plan in enumerate(members)
        for seg in plan.scenario.population.segments
    )
    return dataclasses.replace(first, population=Population(segments), name="stacked", strategy=type(first.strategy)())


def _stacked_table(members: Sequence[Plan]) -> RateTable:
    """The members' rate tables one under the other (rows renumbered), each row exactly as its member has it."""
    tables = [p.table for p in members]
    rows = tables[0].total.shape[0]
    s = members[0].n_stages
    dest_row, pair = [], []
    for m, t in enumerate(tables):
        dest_row.append((t.dest_row.astype(np.int64) + m * rows).astype(np.int16))
        pair.append(np.where(t.dest == s, 0, t.pair.astype(np.int64) + m * rows * s).astype(np.int32))
    cum = np.concatenate([t.cum for t in tables])
    return RateTable(
        total=np.concatenate([t.total for t in tables]),
        cum=cum,
        dest=np.concatenate([t.dest for t in tables]),
        valid=np.concatenate([t.valid for t in tables]),
        mean_hold=np.concatenate([t.mean_hold for t in tables]),
        cum_cols=tuple(np.ascontiguousarray(cum[:, c]) for c in range(cum.shape[1] - 1)),
        dest_row=np.concatenate(dest_row),
        pair=np.concatenate(pair),
    )


def _groups(plan: Plan) -> list[slice]:
    """A plan's roster groups: initial customers, Poisson arrivals, extra arrival candidates, Bass adopters."""
    return [
        slice(0, plan.n_initial),
        slice(plan.n_initial, plan.base_end),
        slice(plan.base_end, plan.poisson_end),
        slice(plan.poisson_end, plan.n_customers),
    ]


def stack_plans(members: Sequence[Plan]) -> Plan:
    """One plan holding every member (same seed and journey): roster group by group, each group member by member."""
    first = members[0]
    if any(p.table.cum.shape[1] != first.table.cum.shape[1] for p in members):
        raise ValueError("stacked members need the same destination slots (same journey)")
    scenario = _stacked_scenario(members)
    n_seg = len(first.scenario.population.segments)
    parts: dict[str, list[NDArray[np.generic]]] = {k: [] for k in ("ckey", "segment", "start_stage", "entry_time")}
    ends = []
    for grp in range(4):
        for m, plan in enumerate(members):
            sl = _groups(plan)[grp]
            parts["ckey"].append(plan.ckey[sl])
            parts["segment"].append((plan.segment[sl] + m * n_seg).astype(np.int16))
            parts["start_stage"].append(plan.start_stage[sl])
            parts["entry_time"].append(plan.entry_time[sl])
        ends.append(sum(a.shape[0] for a in parts["segment"]))
    dynamics = Dynamics(scenario)
    dynamics.needs_state = any(p.dynamics.needs_state for p in members)
    return Plan(
        scenario=scenario,
        dynamics=dynamics,
        table=_stacked_table(members),
        base_rates=np.concatenate([p.base_rates for p in members]),
        journey_key=first.journey_key,
        value_key=first.value_key,
        referral_salt=first.referral_salt,
        ckey=np.concatenate(parts["ckey"]),  # type: ignore[arg-type]
        segment=np.concatenate(parts["segment"]),  # type: ignore[arg-type]
        start_stage=np.concatenate(parts["start_stage"]),  # type: ignore[arg-type]
        entry_time=np.concatenate(parts["entry_time"]),  # type: ignore[arg-type]
        n_initial=ends[0],
        base_end=ends[1],
        poisson_end=ends[2],
        dwell=first.dwell,
        arrival_upper=np.concatenate([p.arrival_upper for p in members]),
        thinning=any(p.thinning for p in members),
        contagion_seed=first.contagion_seed,
    )


class _StackedDays(DayHazards):
    """Day tables of the stacked plan: each member's dynamics on its own segments' occupancy, one table pass."""

    def __init__(self, plan: Plan, members: Sequence[Plan], engine: FastEngine) -> None:
        super().__init__(plan, engine.tables, engine.roster)
        self.members = members
        self.n_seg = len(members[0].scenario.population.segments)
        s = members[0].n_stages
        self.stacked_media = StackedMedia(members, self.n_seg * (s + 1), self.n_seg, s)

    def _set_tables(self, d: int, ever_bought: int, detractors: int) -> None:
        plan, tables, g = self.plan, self.tables, self.n_seg
        s = tables.n_stages
        mult, arrivals, referral = self.stacked_media.day(d, self.occupancy)
        rates = plan.base_rates.copy()
        rates[:, :s] *= mult
        rates[:, s] *= np.repeat(referral, g * (s + 1))
        total, cum = plan.table.tables_for(rates)
        n_ext = tables.n_ext
        self.acceptance.day(total, arrivals, self.accept[d * n_ext : (d + 1) * n_ext])
        self.day_cum[:, d * n_ext : (d + 1) * n_ext] = cum[tables.plan_row, :-1].T


class StackedEngine(FastEngine):
    """The fast engine over a stacked plan; `member_records()` splits the result back into each member's records."""

    def __init__(self, members: Sequence[Plan]) -> None:
        super().__init__(stack_plans(members))
        self.members = members
        for p in members:
            p.dynamics.reset()  # before the stacked media read each channel's starting adstock
        self.days = _StackedDays(self.plan, members, self)
        self.kernel.days = self.days

    def advance_all(self) -> None:
        """Advance to the horizon with one chunk for every member's due customers (each member's would be one)."""
        chunk = sizes.CHUNK
        sizes.CHUNK = chunk * len(self.members)
        try:
            super().advance_all()
        finally:
            sizes.CHUNK = chunk

    def member_records(self) -> list[Records]:
        """Each member's records, as `FastEngine.records` builds them for the member alone."""
        tables, roster, ledger = self.tables, self.roster, self.ledger
        d, s, n, g = self.horizon, tables.n_stages, roster.n, len(self.members[0].scenario.population.segments)
        ledger.settle()
        rows, visited = roster.final_rows_and_visited()
        final = tables.stage_of_row[rows]
        keep = final < s
        segment = roster.segment[:n]
        member_of = segment // g
        flows = self.kernel.flows.reshape(d, -1, s + 1, s)
        revenue, margin = ledger.revenue.reshape(d, -1), ledger.margin.reshape(d, -1)
        referrals = ledger.referrals.reshape(d, -1)
        out = []
        member_media = self.days.stacked_media.records()  # type: ignore[attr-defined]
        for m, plan in enumerate(self.members):
            (idx,) = np.nonzero(member_of == m)
            cols = slice(m * g, (m + 1) * g)
            customers = customer_table(
                keep[idx],
                segment=(segment[idx] - np.int16(m * g)).astype(np.int16),
                start_stage=roster.start_stage[idx],
                entry_time=roster.entry_time[idx],
                first_purchase=roster.first_purchase[idx],
                purchases=roster.purchases[idx],
                visited=visited[idx],
                final_stage=final[idx],
            )
            own_referrals = np.ascontiguousarray(referrals[:, cols])
            media = member_media[m]
            media.add_referral_costs(own_referrals.sum(axis=1), plan.dynamics)
            out.append(
                journey_records(
                    plan.scenario,
                    flows=np.ascontiguousarray(flows[:, cols]),
                    revenue=np.ascontiguousarray(revenue[:, cols]),
                    margin=np.ascontiguousarray(margin[:, cols]),
                    prospect_clv=ledger.prospect_clv[cols].copy(),
                    customers=customers,
                    events=None,
                    referrals=own_referrals,
                    media=media,
                )
            )
        return out


def fits(plan: Plan) -> bool:
    """Whether a member is small enough to stack exactly: alone, its customers due in one advance always fit in
    one chunk (money is summed per chunk's rounds, so the chunks must not split differently stacked)."""
    return 2 * plan.n_customers <= sizes.CHUNK


def simulate_stacked(members: Sequence[Plan]) -> list[Records]:
    """Run compiled plans of stackable scenarios (same seed and journey) in one pass; each member's records.
    Members too large to stack exactly (`fits`) run alone, one after the other."""
    if len(members) == 1 or not all(fits(p) for p in members):
        return [FastEngine(p).run() for p in members]
    engine = StackedEngine(members)
    engine.advance_all()
    return engine.member_records()
