"""What both engines share: rate tables, random-stream keys, the customer roster and the draw rules.

Both engines call the same draw rules on the same counter-based uniforms, so with one seed they walk every
customer through the same path; they differ only in how time is advanced (vectorised vs one process each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.dynamics import Dynamics
from journeysim.engine.streams import children, customer_keys, stream_key
from journeysim.model.dwell import Dwell
from journeysim.model.order_value import order_value_quantile
from journeysim.model.scenario import Scenario

__all__ = [
    "ARRIVAL_ID_BASE",
    "CONTAGION_ID_BASE",
    "EXTRA_ID_BASE",
    "Plan",
    "RateTable",
    "bass_times",
    "dwell_quantile",
    "order_value_quantile",
]


@dataclass(frozen=True)
class RateTable:
    """Per (segment, stage) total hazard and destination table; row g * (S + 1) + s, row S of a segment = arrival.

    Destination code S (one past the last stage) is a referral: the customer stays and a new prospect arrives.
    """

    total: NDArray[np.float64]  # (rows,) total outgoing hazard per day
    cum: NDArray[np.float64]  # (rows, K) cumulative destination probabilities (padded with 1.0)
    dest: NDArray[np.int16]  # (rows, K) destination stage per slot (S = referral)
    valid: NDArray[np.bool_]  # (rows, K) slot holds a real destination
    mean_hold: NDArray[np.float64]  # (rows,) 1 / total, inf where a stage has no way out
    cum_cols: tuple[NDArray[np.float64], ...]  # the first K - 1 columns of `cum`, contiguous, for 1-D gathers
    dest_row: NDArray[np.int16]  # (rows, K) table row after the jump (same segment; same row for a referral)
    pair: NDArray[np.int32]  # (rows, K) flat transition id row * S + destination (unused for referrals)

    @classmethod
    def build(cls, rates: NDArray[np.float64], entry: int) -> RateTable:
        """From a (G, S, S + 1) hazard tensor (last column: referrals); arrival rows send everyone to `entry`."""
        n_seg, n_st, _ = rates.shape
        s1 = n_st + 1
        k = max(1, int((rates > 0).sum(axis=2).max()))
        n_rows = n_seg * s1
        cum = np.ones((n_rows, k))
        dest = np.zeros((n_rows, k), dtype=np.int16)
        valid = np.zeros((n_rows, k), dtype=bool)
        for g in range(n_seg):
            for s in range(n_st):
                row = g * s1 + s
                (targets,) = np.nonzero(rates[g, s] > 0)
                if targets.size:
                    dest[row, : targets.size] = targets
                    dest[row, targets.size :] = targets[-1]
                    valid[row, : targets.size] = True
            dest[g * s1 + n_st, :] = entry
        rows = np.arange(n_rows)[:, None]
        same_row = (rows // s1) * s1 + dest
        dest_row = np.where(dest == n_st, rows, same_row).astype(np.int16)
        pair = np.where(dest == n_st, 0, rows * n_st + dest).astype(np.int32)
        table = cls(np.zeros(n_rows), cum, dest, valid, np.full(n_rows, np.inf), (), dest_row, pair)
        total, cum = table.tables_for(_row_rates(rates))
        with np.errstate(divide="ignore"):
            mean_hold = np.where(total > 0, 1.0 / total, np.inf)
        cum_cols = tuple(np.ascontiguousarray(cum[:, c]) for c in range(k - 1))
        return cls(total, cum, dest, valid, mean_hold, cum_cols, dest_row, pair)

    def tables_for(self, row_rates: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Total hazard and cumulative probabilities in this table's slot layout for (rows, S + 1) hazards."""
        q = np.where(self.valid, np.take_along_axis(row_rates, self.dest.astype(np.intp), axis=1), 0.0)
        total = q.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cum = np.cumsum(q, axis=1) / total[:, None]
        cum = np.where(self.valid & (total[:, None] > 0), cum, 1.0)
        last = self.valid.sum(axis=1) - 1
        has = last >= 0
        cum[np.flatnonzero(has), last[has]] = 1.0
        return total, cum

    def slot(self, row: NDArray[np.intp], u: NDArray[np.float64]) -> NDArray[np.intp]:
        """Destination slot for uniforms `u` leaving table rows `row` (inversion on cumulative probabilities)."""
        slot = np.zeros(row.shape[0], dtype=np.intp)
        for col in self.cum_cols:
            slot += u >= col[row]
        return slot

    def destination(self, row: NDArray[np.intp], u: NDArray[np.float64]) -> NDArray[np.int16]:
        """Destination code for uniforms `u` leaving table rows `row`."""
        return self.dest[row, self.slot(row, u)]


def _row_rates(rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """(G, S, S + 1) hazards as (G * (S + 1), S + 1) table rows; arrival rows are zero."""
    n_seg, n_st, w = rates.shape
    out = np.zeros((n_seg, n_st + 1, w))
    out[:, :n_st, :] = rates
    return out.reshape(n_seg * (n_st + 1), w)


def dwell_quantile(dwell: Dwell, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Holding time with unit mean at upper-tail probability `u` (inversion, so draws stay coupled)."""
    return dwell.quantile(u)


#: identity spaces, so every customer's stream key is stable whatever else the scenario contains
ARRIVAL_ID_BASE = 1 << 40
CONTAGION_ID_BASE = 1 << 56
EXTRA_ID_BASE = 1 << 60


def bass_times(
    market: int, p: float, q: float, seeded: int, horizon: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Exact adoption times of a Bass market: the i-th adoption waits Exp((M - i)(p + q (a0 + i) / M))."""
    i = np.arange(market, dtype=float)
    rate = (market - i) * (p + q * (seeded + i) / market)
    with np.errstate(divide="ignore"):
        times = np.cumsum(rng.exponential(1.0, market) / rate)
    return times[times < horizon]


def _replication_seed(scenario: Scenario, seed: np.random.SeedSequence) -> tuple[int, np.random.SeedSequence]:
    """The replication a seed belongs to (its last spawn-key word) and the seed its streams come from: moved to a
    generation of its own in a continued run (`population.from_run`), unchanged otherwise."""
    replication = int(seed.spawn_key[-1]) if seed.spawn_key else 0
    return replication, seed if scenario.start_state is None else scenario.start_state.seed_for(seed)


def _initial_roster(init: NDArray[np.int64]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Segments, stages, entry times and identities of the (G, S) customers present at day 0, by segment and stage."""
    n_seg, n_st = init.shape
    n0 = int(init.sum())
    seg = np.repeat(np.arange(n_seg, dtype=np.int16), init.sum(axis=1))
    stage = np.concatenate([np.repeat(np.arange(n_st, dtype=np.int16), row) for row in init])
    return [seg], [stage], [np.zeros(n0)], [np.arange(n0, dtype=np.uint64)]


@dataclass
class Plan:
    """The compiled scenario for one replication: tables, dynamics, stream keys and the customer roster.

    `table` holds the hazards used to draw candidate jumps: the largest each (row, destination) can reach on any
    day. When `thinning` is on, a candidate at time t is accepted with probability (that day's total hazard) /
    (the bound) and its destination drawn from that day's table; otherwise every candidate is a jump.
    """

    scenario: Scenario
    dynamics: Dynamics
    table: RateTable
    base_rates: NDArray[np.float64]  # (rows, S + 1) hazards before interventions (last column: referrals)
    journey_key: np.uint64
    value_key: np.uint64
    referral_salt: np.uint64
    ckey: NDArray[np.uint64]  # per customer stream key
    segment: NDArray[np.int16]  # per customer
    start_stage: NDArray[np.int16]  # per customer
    entry_time: NDArray[np.float64]  # per customer
    n_initial: int
    base_end: int  # customers [n_initial, base_end) are baseline Poisson arrivals
    poisson_end: int  # customers [base_end, poisson_end) are extra arrival candidates for media lifts
    dwell: tuple[Dwell | None, ...]  # per stage, None when exponential
    arrival_upper: NDArray[np.float64]  # (G,) largest factor media can put on each segment's arrivals
    thinning: bool
    contagion_seed: np.random.SeedSequence  # daily contagion draws; each run makes its own generator from it
    initial: NDArray[np.int64] | None = None  # (G, S) customers present at day 0 (None: the scenario's counts)
    initial_effects: NDArray[np.float64] | None = None  # (n_initial, E) carried-over effect values, or None
    initial_age: NDArray[np.float64] | None = None  # (n_initial,) days already spent in the start stage, or None

    @property
    def n_stages(self) -> int:
        return self.scenario.journey.n_stages

    @property
    def n_customers(self) -> int:
        return int(self.segment.shape[0])

    def initial_counts(self) -> NDArray[np.int64]:
        """(G, S) customers present at day 0 in this replication."""
        return self.scenario.initial_counts() if self.initial is None else self.initial

    @classmethod
    def compile(cls, scenario: Scenario, seed: np.random.SeedSequence) -> Plan:
        """Spawn the component streams (arrivals, journeys, order values, word of mouth) and draw the roster."""
        replication, seed = _replication_seed(scenario, seed)
        arrivals_seq, journey_seq, value_seq, wom_seq, extra_seq = children(seed, 5)
        j, pop = scenario.journey, scenario.population
        horizon = scenario.settings.horizon_days
        n_seg = len(pop.segments)
        dynamics = Dynamics.compile(scenario)
        arrival_upper = dynamics.arrival_upper if dynamics.arrival_upper is not None else np.ones(n_seg)
        init = scenario.initial_counts(replication)
        n0 = int(init.sum())
        seg_parts, stage_parts, time_parts, id_parts = _initial_roster(init)
        bass_seq, contagion_seq, referral_seq = children(wom_seq, 3)
        wom_rng = np.random.default_rng(bass_seq)
        contagion = scenario.word_of_mouth.contagion
        poisson: list[tuple[int, NDArray[np.float64], NDArray[np.uint64]]] = []
        extra: list[tuple[int, NDArray[np.float64], NDArray[np.uint64]]] = []
        bass: list[tuple[int, NDArray[np.float64], NDArray[np.uint64]]] = []
        base_seqs, extra_seqs = children(arrivals_seq, n_seg), children(extra_seq, n_seg)
        for g, seg in enumerate(pop.segments):
            # the baseline stream at the organic rate, and (when media can lift arrivals) extra candidates at
            # (upper - 1) x that rate from a stream of their own: the baseline's prospects are then the same
            # customers whatever the strategy (common random numbers)
            lam = scenario.arrival_intensity(g, horizon)
            for out, seq, rate, base_id in (
                (poisson, base_seqs[g], lam, ARRIVAL_ID_BASE * (1 + g)),
                (extra, extra_seqs[g], lam * (arrival_upper[g] - 1.0), EXTRA_ID_BASE + (g << 40)),
            ):
                if out is extra and arrival_upper[g] <= 1.0:
                    continue
                rng = np.random.default_rng(seq)
                counts = rng.poisson(rate)
                times = np.repeat(np.arange(horizon, dtype=float), counts) + rng.random(int(counts.sum()))
                times.sort()
                out.append((g, times, np.uint64(base_id) + np.arange(times.size, dtype=np.uint64)))
            if contagion is not None and contagion.source is None and contagion.segment == seg.name:
                bt = bass_times(contagion.market_size, contagion.p, contagion.q, int(init[g].sum()), horizon, wom_rng)
                bass.append((g, bt, np.uint64(CONTAGION_ID_BASE + (g << 40)) + np.arange(bt.size, dtype=np.uint64)))
        # roster: initial customers, baseline Poisson arrivals, extra arrival candidates (kept only as media
        # lift arrivals), then Bass adopters; each group in time order within its segment
        for g, t, ident in poisson + extra + bass:
            seg_parts.append(np.full(t.size, g, dtype=np.int16))
            stage_parts.append(np.full(t.size, j.entry_index, dtype=np.int16))
            time_parts.append(t)
            id_parts.append(ident)
        n_base = sum(t.size for _, t, _ in poisson)
        n_extra = sum(t.size for _, t, _ in extra)
        dwell = tuple(None if j.dwell.get(s, Dwell()).is_exponential else j.dwell[s] for s in j.stages)
        rates = np.concatenate([scenario.rate_tensor(), scenario.referral_rates()[:, :, None]], axis=2)
        base_rates = _row_rates(rates)
        upper = dynamics.upper if dynamics.upper is not None else np.ones((base_rates.shape[0], j.n_stages))
        bound = rates.copy()
        bound[:, :, : j.n_stages] *= upper.reshape(n_seg, j.n_stages + 1, j.n_stages)[:, : j.n_stages, :]
        bound[:, :, j.n_stages] *= dynamics.referral_upper
        journey_key = stream_key(journey_seq)
        carried = scenario.start_state.of(replication) if scenario.start_state is not None else None
        dynamics.carry_adstock(carried.adstock if carried is not None else {})
        return cls(
            scenario=scenario,
            dynamics=dynamics,
            table=RateTable.build(bound, j.entry_index),
            base_rates=base_rates,
            journey_key=journey_key,
            value_key=stream_key(value_seq),
            referral_salt=stream_key(referral_seq),
            ckey=customer_keys(np.concatenate(id_parts), journey_key),
            segment=np.concatenate(seg_parts),
            start_stage=np.concatenate(stage_parts),
            entry_time=np.concatenate(time_parts),
            n_initial=n0,
            base_end=n0 + n_base,
            poisson_end=n0 + n_base + n_extra,
            dwell=dwell,
            arrival_upper=arrival_upper,
            thinning=dynamics.active,
            contagion_seed=contagion_seq,
            initial=init,
            initial_effects=None if carried is None else carried.effects,
            initial_age=None if carried is None else carried.age,
        )

    def day_tables(self, mult: NDArray[np.float64], referral: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Total hazard and cumulative destination probabilities per row under one day's multipliers."""
        n_st = self.n_stages
        rates = self.base_rates.copy()
        rates[:, :n_st] *= mult
        rates[:, n_st] *= referral
        return self.table.tables_for(rates)

    def holding(self, row: NDArray[np.intp], stage: NDArray[np.int16], u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Holding times (to the next candidate jump) for table rows `row` at uniforms `u`; inf with no way out."""
        mean = self.table.mean_hold[row]
        out = -np.log(u) * mean
        for s, d in enumerate(self.dwell):
            if d is not None:
                m = stage == s
                if m.any():
                    out[m] = dwell_quantile(d, u[m]) * mean[m]
        return out

    def aged(
        self,
        hold: NDArray[np.float64],
        row: NDArray[np.intp],
        stage: NDArray[np.int16],
        u: NDArray[np.float64],
        age: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """`hold` (from `holding` at `u`) for customers `age` days into a non-exponential dwell already: the rest of
        a holding time conditioned on having lasted that long (memoryless stages need no change)."""
        for s, d in enumerate(self.dwell):
            if d is None:
                continue
            m = (stage == s) & (age > 0)
            if m.any():
                mean = self.table.mean_hold[row[m]]
                hold[m] = d.residual(age[m] / mean, u[m]) * mean
        return hold

    def order_values(
        self, segment: NDArray[np.int16], u: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Revenue and margin for purchases by customers of `segment` at uniforms `u`."""
        value = np.empty(u.shape)
        margin = np.empty(u.shape)
        for g, seg in enumerate(self.scenario.population.segments):
            m = segment == g
            if m.any():
                value[m] = seg.order_value.quantile(u[m])
                margin[m] = value[m] * seg.order_value.margin
        return value, margin
