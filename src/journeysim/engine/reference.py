"""The reference engine: one SimPy process per customer, scalar code, the same draw rules as the fast engine.

It exists to cross-check the vectorised engine: it is slow (small populations only) but each customer's
life reads top to bottom. Customer c's k-th draw is `mix(c, k, journey_key)` -> (hi, lo): lo picks the
destination of the jump, hi the holding time in the new stage; so with one seed both engines walk every
customer through the same path, and with different seeds they must agree statistically.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Generator

import numpy as np
import pandas as pd
import simpy

from journeysim.engine.plan import Plan, dwell_quantile, order_value_quantile
from journeysim.engine.records import OUTSIDE, CustomerTable, Records

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_COUNTER_BITS = 24
_INV32 = 1.0 / 4294967296.0


def mix_scalar(customer: int, counter: int, key: int) -> int:
    """`streams.mix` for one (customer, counter) pair in plain integer arithmetic (SplitMix64 finaliser)."""
    x = ((customer << _COUNTER_BITS) + counter) & _MASK64
    x = (x * _GOLDEN) & _MASK64
    x ^= key
    x ^= x >> 30
    x = (x * _M1) & _MASK64
    x ^= x >> 27
    x = (x * _M2) & _MASK64
    x ^= x >> 31
    return x


def uniform_pair_scalar(bits: int) -> tuple[float, float]:
    """`streams.uniform_pair` for one 64-bit word: uniforms in (0, 1) from the high and low 32 bits."""
    return ((bits >> 32) + 0.5) * _INV32, ((bits & 0xFFFFFFFF) + 0.5) * _INV32


class ReferenceEngine:
    """One replication of a compiled plan, each customer a SimPy process; results as `Records`."""

    def __init__(self, plan: Plan, event_log: bool = False) -> None:
        self.plan = plan
        sc = plan.scenario
        j = sc.journey
        n = plan.n_customers
        self.n_stages = j.n_stages
        self.n_segments = len(sc.population.segments)
        self.horizon = float(sc.settings.horizon_days)
        self.delta = sc.settings.discount_per_day
        self.journey_key = int(plan.journey_key)
        self.value_key = int(plan.value_key)
        # the plan's tables as plain Python lists (scalar access)
        self.total: list[float] = plan.table.total.tolist()
        self.cum: list[list[float]] = plan.table.cum.tolist()
        self.dest: list[list[int]] = plan.table.dest.tolist()
        self.conversion = frozenset(j.conversion_indices)
        self.prospect_start = frozenset(j.pre_purchase_indices)
        # per-customer results
        self.final_stage = plan.start_stage.copy()
        self.purchases = np.zeros(n, dtype=np.int32)
        self.first_purchase = np.full(n, np.nan)
        self.visited = np.zeros(n, dtype=np.uint64)
        # aggregates (flat, indexed like the fast engine's)
        d, g, s = sc.settings.horizon_days, self.n_segments, self.n_stages
        self.flows = [0] * (d * g * (s + 1) * s)
        self.revenue = [0.0] * (d * g)
        self.margin = [0.0] * (d * g)
        self.prospect_clv = [0.0] * g
        self.event_log = event_log
        self.events: list[tuple[int, float, int, int]] = []

    # ------------------------------------------------------------------ draw rules (scalar)
    def destination(self, row: int, u: float) -> int:
        """Stage reached from table row `row` at uniform `u`: first slot whose cumulative probability exceeds u."""
        cum = self.cum[row]
        slot = min(bisect.bisect_right(cum, u), len(cum) - 1)
        return self.dest[row][slot]

    def holding(self, segment: int, stage: int, u: float) -> float:
        """Holding time in `stage` at uniform `u`: mean 1 / total rate; infinite when the stage has no way out."""
        total = self.total[segment * (self.n_stages + 1) + stage]
        if total <= 0:
            return math.inf
        mean = 1.0 / total
        dwell = self.plan.dwell[stage]
        if dwell is None:
            return float(-np.log(u)) * mean
        return float(dwell_quantile(dwell, np.asarray(u))) * mean

    # ------------------------------------------------------------------ one customer
    def customer(self, env: simpy.Environment, c: int) -> Generator[simpy.Event, None, None]:
        """Customer c's life: arrive (or start in place), then wait for each holding time and jump."""
        plan = self.plan
        seg = int(plan.segment[c])
        if c < plan.n_initial:
            stage = int(plan.start_stage[c])
            visited = 1 << stage
            hi, _ = uniform_pair_scalar(mix_scalar(c, 0, self.journey_key))
            wait = self.holding(seg, stage, hi)
            k = 1
        else:
            stage = self.n_stages  # the virtual source: not yet arrived
            visited = 0
            wait = float(plan.entry_time[c])
            k = 0
        while env.now + wait < self.horizon:
            yield env.timeout(wait)
            t = env.now
            hi, lo = uniform_pair_scalar(mix_scalar(c, k, self.journey_key))
            dst = self.destination(seg * (self.n_stages + 1) + stage, lo)
            day = int(t)
            self.flows[((day * self.n_segments + seg) * (self.n_stages + 1) + stage) * self.n_stages + dst] += 1
            if self.event_log:
                self.events.append((c, t, stage, dst))
            if dst in self.conversion:
                self.book_purchase(c, t, seg, day, k)
            stage = dst
            visited |= 1 << dst
            k += 1
            wait = self.holding(seg, dst, hi)
        self.final_stage[c] = stage
        self.visited[c] = visited

    def book_purchase(self, c: int, t: float, seg: int, day: int, k: int) -> None:
        """A purchase by customer c at time t on its k-th draw: count it, value it, discount prospects' margin."""
        self.purchases[c] += 1
        if math.isnan(self.first_purchase[c]):
            self.first_purchase[c] = t
        u, _ = uniform_pair_scalar(mix_scalar(c, k, self.value_key))
        ov = self.plan.scenario.population.segments[seg].order_value
        value = float(order_value_quantile(ov.kind, ov.mean, ov.cv, np.asarray(u)))
        margin = value * ov.margin
        cell = day * self.n_segments + seg
        self.revenue[cell] += value
        self.margin[cell] += margin
        if int(self.plan.start_stage[c]) in self.prospect_start:
            self.prospect_clv[seg] += margin * float(np.exp(-self.delta * (t - float(self.plan.entry_time[c]))))

    # ------------------------------------------------------------------ run
    def run(self) -> Records:
        """Start one process per customer and run the calendar to the horizon."""
        env = simpy.Environment()
        for c in range(self.plan.n_customers):
            env.process(self.customer(env, c))
        env.run(until=self.horizon)
        return self.records()

    def records(self) -> Records:
        """Package the results exactly like the fast engine does."""
        plan = self.plan
        j = plan.scenario.journey
        d, g, s = plan.scenario.settings.horizon_days, self.n_segments, self.n_stages
        events = None
        if self.event_log:
            ev = sorted(self.events, key=lambda e: (e[1], e[0]))  # by time, then customer
            cat = pd.CategoricalDtype([*j.stages, OUTSIDE])
            events = pd.DataFrame(
                {
                    "customer": np.array([e[0] for e in ev], dtype=np.int64),
                    "time": np.array([e[1] for e in ev], dtype=float),
                    "from_stage": pd.Categorical.from_codes(np.array([e[2] for e in ev], dtype=int), dtype=cat),
                    "to_stage": pd.Categorical.from_codes(np.array([e[3] for e in ev], dtype=int), dtype=cat),
                }
            )
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
            flows=np.array(self.flows, dtype=np.int64).reshape(d, g, s + 1, s),
            revenue=np.array(self.revenue).reshape(d, g),
            margin=np.array(self.margin).reshape(d, g),
            prospect_clv=np.array(self.prospect_clv),
            customers=CustomerTable(
                segment=plan.segment,
                start_stage=plan.start_stage,
                entry_time=plan.entry_time,
                first_purchase=self.first_purchase,
                purchases=self.purchases,
                visited=self.visited,
                final_stage=self.final_stage,
            ),
            events=events,
        )


def simulate_reference(plan: Plan, event_log: bool = False) -> Records:
    """Run one replication of a compiled plan with one SimPy process per customer (small populations)."""
    return ReferenceEngine(plan, event_log=event_log).run()
