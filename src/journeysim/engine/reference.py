"""The reference engine: one SimPy process per customer, scalar code, the same draw rules as the fast engine.

It exists to cross-check the vectorised engine, so it is written for reading, not speed (small populations
only). Customer c's k-th draw gives (hi, lo): lo accepts a thinned candidate and picks the destination, hi the
time to the next candidate. A SimPy process per customer waits for each candidate and acts on it; a day
process sets each day's hazards from the interventions and the population at the start of the day. With one
seed both engines walk every customer through the same path; with different seeds they agree statistically.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np
import simpy
from numpy.typing import NDArray

from journeysim.engine.contagion import adopter_identity, day_adopters, is_driven_by_customers
from journeysim.engine.heterogeneity import CustomerEffects
from journeysim.engine.moves import moves_by_customer, purchases_by_customer
from journeysim.engine.plan import Plan, dwell_quantile, order_value_quantile
from journeysim.engine.records import MediaRecord, Records, customer_table, event_table, journey_records
from journeysim.engine.streams import (
    GOLDEN,
    M1,
    M2,
    MASK64,
    STEP,
    LogSample,
    draw_bits_scalar,
    uniform_pair_scalar,
)
from journeysim.engine.thinning import Acceptance


def finalise_scalar(x: int) -> int:
    """SplitMix64 finaliser on one 64-bit word (`streams.finalise`)."""
    x ^= x >> 30
    x = (x * M1) & MASK64
    x ^= x >> 27
    x = (x * M2) & MASK64
    x ^= x >> 31
    return x


def customer_key_scalar(identity: int, key: int) -> int:
    """Stream key of the customer with this stable identity (`streams.customer_keys`)."""
    return finalise_scalar(((identity * GOLDEN) & MASK64) ^ key)


def child_key_scalar(parent: int, counter: int, salt: int) -> int:
    """Stream key of the prospect referred on the parent's counter-th draw (`streams.child_keys`)."""
    return finalise_scalar(finalise_scalar(((counter * STEP) & MASK64) ^ salt) ^ parent)


class ReferenceEngine:
    """One replication of a compiled plan, each customer a SimPy process; results as `Records`."""

    def __init__(self, plan: Plan, event_log: bool | LogSample = False) -> None:
        self.plan = plan
        self.contagion_rng = np.random.default_rng(plan.contagion_seed)
        plan.dynamics.reset()
        sc = plan.scenario
        j = sc.journey
        self.n_stages = s = j.n_stages
        self.n_segments = g = len(sc.population.segments)
        self.days = sc.settings.horizon_days
        self.horizon = float(self.days)
        self.delta = sc.settings.discount_per_day
        self.value_key = int(plan.value_key)
        self.referral_salt = int(plan.referral_salt)
        # the plan's candidate tables as plain lists
        self.mean_hold: list[float] = plan.table.mean_hold.tolist()
        self.cum: list[list[float]] = plan.table.cum.tolist()
        self.dest: list[list[int]] = plan.table.dest.tolist()
        self.conversion = frozenset(j.conversion_indices)
        self.prospect_start = frozenset(j.pre_purchase_indices)
        det = sc.word_of_mouth.detractors
        self.detractor_stages = frozenset(j.index(x) for x in det.stages) if det is not None else frozenset()
        # the roster (grown by referrals and contagion adopters) and what happens to each customer
        self.ckey: list[int] = [int(x) for x in plan.ckey]
        self.segment: list[int] = plan.segment.tolist()
        self.start_stage: list[int] = plan.start_stage.tolist()
        self.entry_time: list[float] = plan.entry_time.tolist()
        n0, n = plan.n_initial, plan.n_customers
        self.final_stage: list[int] = self.start_stage[:n0] + [s] * (n - n0)  # S = not (yet) arrived
        self.visited: list[int] = [1 << x for x in self.start_stage[:n0]] + [0] * (n - n0)
        self.purchases: list[int] = [0] * n
        self.first_purchase: list[float] = [math.nan] * n
        # population state the day process reads, and the aggregates
        self.occupancy = [list(map(int, row)) for row in plan.initial_counts()]  # (G, S), kept current
        self.ever_bought = 0
        self.detractors = 0
        self.contagion_adopted = 0
        self.flows = [0] * (self.days * g * (s + 1) * s)
        self.revenue = [0.0] * (self.days * g)
        self.margin = [0.0] * (self.days * g)
        self.prospect_clv = [0.0] * g
        self.referrals = [0] * (self.days * g)
        self.media = MediaRecord.empty(plan.dynamics.channel_names, self.days)
        self.acceptance = Acceptance(plan)
        self.accept: list[list[float]] = []  # per day, per extended row: probability a candidate is a jump
        self.day_cum: list[list[list[float]]] = []  # per day, per row: cumulative destination probabilities
        self.event_log = event_log
        self.events: list[tuple[int, float, int, int]] = []
        self.bought: list[tuple[int, float, float]] = []  # (customer, time, order value), for a touch log's paths
        self.effects = CustomerEffects(plan)
        self.effect_values: dict[int, NDArray[np.float64]] = {}  # per customer with effects: its effect values

    # ------------------------------------------------------------------ draw rules (scalar)
    def holding(self, row: int, stage: int, u: float) -> float:
        """Time to the next candidate in `stage` (table row `row`) at uniform `u`; inf with no way out."""
        mean = self.mean_hold[row]
        dwell = self.plan.dwell[stage] if stage < self.n_stages else None
        if dwell is None:
            return float(-np.log(u)) * mean
        return float(dwell_quantile(dwell, np.asarray(u))) * mean

    def aged(self, c: int, row: int, stage: int, u: float, hold: float) -> float:
        """Initial customer c's holding time `hold` conditioned on the days it already spent in `stage`."""
        age = self.plan.initial_age[c : c + 1] if self.plan.initial_age is not None else np.zeros(1)
        rows, stages = np.array([row], dtype=np.intp), np.array([stage], dtype=np.int16)
        return float(self.plan.aged(np.array([hold]), rows, stages, np.array([u]), age)[0])

    def destination(self, cum: list[float], row: int, u: float) -> int:
        """Destination code leaving `row` at uniform `u`: slot = how many of the first K - 1 cumulative
        probabilities are <= u (inversion; the last slot takes the rest)."""
        slot = sum(1 for c in cum[:-1] if u >= c)
        return self.dest[row][slot]

    def effect_factor_of(self, c: int, row: int) -> float:
        """Customer c's candidate-rate factor in table row `row` (1 without effects there)."""
        a = int(self.effects.of_row[row]) if c in self.effect_values and row < self.effects.of_row.size else -1
        if a < 0:
            return 1.0
        seg = np.array([self.segment[c]], dtype=np.intp)
        return float(self.effects.factors(self.effect_values[c][None, :], seg)[0, a])

    def effect_rejects(self, c: int, cum: list[float], row: int, u: float) -> bool:
        """Per-customer thinning of random effects: whether the candidate at uniform `u` (on slot k) is no jump,
        decided by `u` rescaled within the slot against the customer's acceptance for that slot."""
        a = int(self.effects.of_row[row]) if c in self.effect_values and row < self.effects.of_row.size else -1
        if a < 0 or sum(self.plan.table.valid[row]) < 2:
            return False
        slot = sum(1 for x in cum[:-1] if u >= x)
        low = cum[slot - 1] if slot > 0 else 0.0
        high = cum[slot] if slot < len(cum) - 1 else 1.0
        seg, at = np.array([self.segment[c]]), np.array([a], dtype=np.intp)
        factor = np.array([self.effect_factor_of(c, row)])
        accept = self.effects.acceptance(self.effect_values[c][None, :], seg, at, np.array([slot]), factor)
        return not (u - low) / (high - low) < float(accept[0])

    def draw_effects(self, c: int) -> None:
        """Customer c's random effects, drawn once from its own streams when its process starts."""
        if not self.effects.active:
            return
        seg = np.array([self.segment[c]], dtype=np.intp)
        if self.plan.initial_effects is not None and c < self.plan.n_initial:  # carried over from an earlier run
            self.effect_values[c] = self.plan.initial_effects[c].copy()
            return
        self.effect_values[c] = self.effects.draw(np.array([self.ckey[c]], dtype=np.uint64), seg)[0]

    # ------------------------------------------------------------------ one customer
    def admit(self, env: simpy.Environment, ckey: int, seg: int, t: float) -> None:
        """A new prospect (referral or contagion adopter) of segment `seg` arriving at time t."""
        self.ckey.append(ckey)
        self.segment.append(seg)
        self.start_stage.append(self.plan.scenario.journey.entry_index)
        self.entry_time.append(t)
        self.final_stage.append(self.n_stages)
        self.purchases.append(0)
        self.first_purchase.append(math.nan)
        self.visited.append(0)
        env.process(self.customer(env, len(self.ckey) - 1))

    def customer(self, env: simpy.Environment, c: int) -> Generator[simpy.Event, None, None]:
        """Customer c's life: start in place (or arrive), then act on each candidate jump until the horizon."""
        plan = self.plan
        s, s1 = self.n_stages, self.n_stages + 1
        key, seg = self.ckey[c], self.segment[c]
        # how an arrival is thinned: baseline Poisson prospects, extra candidates for media lifts, or never
        # (initial customers never arrive; referred prospects and contagion adopters always do)
        ext = self.acceptance.extra_row(seg)  # the extended row of an arrival of this kind
        arrival_row = seg * s1 + s if c < plan.base_end else ext if c < plan.poisson_end else ext + self.n_segments
        self.draw_effects(c)
        if c < plan.n_initial:
            stage = self.start_stage[c]
            hi, _ = uniform_pair_scalar(draw_bits_scalar(key, 0))
            t_next = self.holding(seg * s1 + stage, stage, hi) / self.effect_factor_of(c, seg * s1 + stage)
            if plan.initial_age is not None and plan.initial_age[c] > 0:  # part-way through a dwell already
                t_next = self.aged(c, seg * s1 + stage, stage, hi, t_next)
            k = 1
        else:
            stage, t_next, k = s, self.entry_time[c], 0
        while t_next < self.horizon:
            yield env.timeout(max(0.0, t_next - env.now))
            t = t_next  # the candidate's exact time (env.now only orders events)
            day = int(t)
            row = seg * s1 + stage
            hi, lo = uniform_pair_scalar(draw_bits_scalar(key, k))
            draw, k = k, k + 1
            factor = self.effect_factor_of(c, row) if stage < s else 1.0
            cum, u = self.cum[row], lo
            if self.plan.thinning:
                acc = self.accept[day][row if stage < s else arrival_row]
                if lo >= acc:  # not a jump at today's hazards: next candidate at the bound rate
                    t_next = t - float(np.log(hi)) * self.mean_hold[row] / factor
                    continue
                cum, u = self.day_cum[day][row], lo / acc
            if stage < s and self.effect_rejects(c, cum, row, u):  # no jump for this customer's effects
                t_next = t - float(np.log(hi)) * self.mean_hold[row] / factor
                continue
            dst = self.destination(cum, row, u)
            if dst == s:  # a referral: the advocate stays, a new prospect arrives now
                self.referrals[day * self.n_segments + seg] += 1
                self.admit(env, child_key_scalar(key, draw, self.referral_salt), seg, t)
                t_next = t - float(np.log(hi)) * self.mean_hold[row] / factor
                continue
            self.jump(c, t, day, seg, stage, dst, draw)
            stage = dst
            t_next = t + self.holding(seg * s1 + dst, dst, hi) / self.effect_factor_of(c, seg * s1 + dst)

    def jump(self, c: int, t: float, day: int, seg: int, src: int, dst: int, draw: int) -> None:
        """Record customer c's move src -> dst at time t (src = S: arrival) and book a purchase if dst converts."""
        s = self.n_stages
        self.flows[((day * self.n_segments + seg) * (s + 1) + src) * s + dst] += 1
        if src < s:
            self.occupancy[seg][src] -= 1
        self.occupancy[seg][dst] += 1
        self.final_stage[c] = dst
        self.visited[c] |= 1 << dst
        if self.event_log:
            self.events.append((c, t, src, dst))
        if dst in self.conversion:
            self.book_purchase(c, t, seg, day, draw)
        if dst in self.detractor_stages and src not in self.detractor_stages and self.purchases[c] > 0:
            self.detractors += 1

    def book_purchase(self, c: int, t: float, seg: int, day: int, draw: int) -> None:
        """A purchase by customer c on its draw-th draw: count it, value it, discount a prospect's margin."""
        if math.isnan(self.first_purchase[c]):
            self.first_purchase[c] = t
            self.ever_bought += 1
        self.purchases[c] += 1
        u, _ = uniform_pair_scalar(draw_bits_scalar(self.ckey[c] ^ self.value_key, draw))
        ov = self.plan.scenario.population.segments[seg].order_value
        value = float(order_value_quantile(ov.kind, ov.mean, ov.cv, np.asarray(u)))
        margin = value * ov.margin
        if isinstance(self.event_log, LogSample):
            self.bought.append((c, t, value))
        self.revenue[day * self.n_segments + seg] += value
        self.margin[day * self.n_segments + seg] += margin
        if self.start_stage[c] in self.prospect_start:
            self.prospect_clv[seg] += margin * float(np.exp(-self.delta * (t - self.entry_time[c])))

    # ------------------------------------------------------------------ days
    def day_process(self, env: simpy.Environment) -> Generator[simpy.Event, None, None]:
        """At each day boundary: that day's hazards (thinning tables) and contagion adopters."""
        for d in range(self.days):
            occupancy = np.array(self.occupancy, dtype=np.int64)
            if self.plan.thinning:
                self.set_day_tables(d, occupancy)
            self.contagion(env, d, occupancy)
            yield env.timeout(1)

    def set_day_tables(self, d: int, occupancy: NDArray[np.int64]) -> None:
        """Acceptance probabilities (day hazard / bound) and destination tables for day d."""
        plan = self.plan
        mult, arrivals, referral, rec = plan.dynamics.day(d, occupancy, self.ever_bought, self.detractors)
        self.media.set_day(d, rec)
        total, cum = plan.day_tables(mult, referral)
        accept = np.ones(self.acceptance.n_ext)
        self.acceptance.day(total, arrivals, accept)
        self.accept.append(accept.tolist())
        self.day_cum.append(cum.tolist())

    def contagion(self, env: simpy.Environment, d: int, occupancy: NDArray[np.int64]) -> None:
        """Bass adopters on day d when the adopters are customers in source stages (hazard fixed over the day)."""
        g, times = day_adopters(self.plan.scenario, d, occupancy, self.contagion_adopted, self.contagion_rng)
        journey_key = int(self.plan.journey_key)
        for i, t in enumerate(times.tolist()):
            ident = adopter_identity(g, self.contagion_adopted + i)
            self.admit(env, customer_key_scalar(ident, journey_key), g, t)
        self.contagion_adopted += times.size

    # ------------------------------------------------------------------ run
    def run(self) -> Records:
        """Start the day process and one process per customer, then run the calendar to the horizon."""
        env = simpy.Environment()
        if self.plan.thinning or is_driven_by_customers(self.plan.scenario):
            env.process(self.day_process(env))  # first, so each day's tables are set before its candidates
        for c in range(self.plan.n_customers):
            env.process(self.customer(env, c))
        env.run(until=self.horizon)
        return self.records()

    def _effect_values(self) -> dict[str, NDArray[np.float64]]:
        """The effect columns of the customer table (customers who never started have NaN)."""
        empty = np.ones(len(self.effects.names))
        values = np.array([self.effect_values.get(c, empty) for c in range(len(self.ckey))])
        return self.effects.table(values, np.array(self.segment, dtype=np.intp))

    def records(self) -> Records:
        """Package the results like the fast engine: arrival candidates that never arrived are dropped."""
        plan = self.plan
        d, g, s = self.days, self.n_segments, self.n_stages
        final = np.array(self.final_stage, dtype=np.int16)
        keep = final < s
        events = moves = None
        sample = self.event_log if isinstance(self.event_log, LogSample) else None
        picked = None if sample is None else sample.picks(np.array(self.ckey, dtype=np.uint64))
        if self.event_log:
            cols = (
                np.array([e[0] for e in self.events], dtype=np.intp),
                np.array([e[1] for e in self.events], dtype=float),
                np.array([e[2] for e in self.events], dtype=np.int16),
                np.array([e[3] for e in self.events], dtype=np.int16),
            )
            if sample is None or sample.record_all:
                events = event_table(*cols, keep, plan.scenario.journey.stages)
            if picked is not None:  # the touch log's sample: its moves by customer
                mine = picked[cols[0]]
                moves = moves_by_customer(cols[0][mine], cols[1][mine], cols[2][mine], cols[3][mine], keep)
        referrals = np.array(self.referrals, dtype=np.int64).reshape(d, g)
        self.media.add_referral_costs(referrals.sum(axis=1), plan.dynamics)
        records = journey_records(
            plan.scenario,
            initial=plan.initial_counts(),
            flows=np.array(self.flows, dtype=np.int64).reshape(d, g, s + 1, s),
            revenue=np.array(self.revenue).reshape(d, g),
            margin=np.array(self.margin).reshape(d, g),
            prospect_clv=np.array(self.prospect_clv),
            customers=customer_table(
                keep,
                segment=np.array(self.segment, dtype=np.int16),
                start_stage=np.array(self.start_stage, dtype=np.int16),
                entry_time=np.array(self.entry_time, dtype=float),
                first_purchase=np.array(self.first_purchase, dtype=float),
                purchases=np.array(self.purchases, dtype=np.int32),
                visited=np.array(self.visited, dtype=np.uint64),
                final_stage=final,
                effects=self._effect_values() if self.effects.active else None,
            ),
            events=events,
            referrals=referrals,
            media=self.media,
        )
        records.moves = moves
        if picked is not None:
            bought = np.array(self.bought, dtype=float).reshape(-1, 3)
            who = bought[:, 0].astype(np.intp)
            mine = picked[who]
            records.purchases = purchases_by_customer(who[mine], bought[mine, 1], bought[mine, 2], keep)
        records.logged = None if picked is None else picked[keep]
        return records


def simulate_reference(plan: Plan, event_log: bool | LogSample = False) -> Records:
    """Run one replication of a compiled plan with one SimPy process per customer (small populations only)."""
    return ReferenceEngine(plan, event_log=event_log).run()
