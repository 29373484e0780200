"""What both engines share: rate tables, random-stream keys, the customer roster and the draw rules.

Both engines call the same draw rules on the same counter-based uniforms, so with one seed they walk every
customer through the same path; they differ only in how time is advanced (vectorised vs one process each).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from journeysim.engine.streams import stream_key
from journeysim.model.journey import Dwell
from journeysim.model.scenario import Scenario


@dataclass(frozen=True)
class RateTable:
    """Per (segment, stage) total hazard and destination table; row g * (S + 1) + s, row S of a segment = arrival."""

    total: NDArray[np.float64]  # (G * (S + 1),) total outgoing hazard per day
    cum: NDArray[np.float64]  # (G * (S + 1), K) cumulative destination probabilities (padded with 1.0)
    dest: NDArray[np.int16]  # (G * (S + 1), K) destination stage per slot
    mean_hold: NDArray[np.float64]  # (G * (S + 1),) 1 / total, inf where a stage has no way out
    cum_cols: tuple[NDArray[np.float64], ...]  # the first K - 1 columns of `cum`, contiguous, for 1-D gathers
    dest_row: NDArray[np.int16]  # (G * (S + 1), K) table row of the destination (same segment)
    pair: NDArray[np.int32]  # (G * (S + 1), K) flat transition id: row * S + destination stage

    @classmethod
    def build(cls, rates: NDArray[np.float64], entry: int) -> RateTable:
        """From a (G, S, S) hazard tensor; the arrival row sends everyone to `entry`."""
        n_seg, n_st, _ = rates.shape
        k = max(1, int((rates > 0).sum(axis=2).max()))
        total = np.zeros(n_seg * (n_st + 1))
        cum = np.ones((n_seg * (n_st + 1), k))
        dest = np.zeros((n_seg * (n_st + 1), k), dtype=np.int16)
        for g in range(n_seg):
            for s in range(n_st):
                row = g * (n_st + 1) + s
                (targets,) = np.nonzero(rates[g, s] > 0)
                q = rates[g, s, targets]
                total[row] = q.sum()
                if targets.size:
                    c = np.cumsum(q) / q.sum()
                    c[-1] = 1.0
                    cum[row, : targets.size] = c
                    dest[row, : targets.size] = targets
                    dest[row, targets.size :] = targets[-1]
            arrival = g * (n_st + 1) + n_st
            dest[arrival, :] = entry
        with np.errstate(divide="ignore"):
            mean_hold = np.where(total > 0, 1.0 / total, np.inf)
        rows = np.arange(n_seg * (n_st + 1))[:, None]
        dest_row = ((rows // (n_st + 1)) * (n_st + 1) + dest).astype(np.int16)
        pair = (rows * n_st + dest).astype(np.int32)
        cum_cols = tuple(np.ascontiguousarray(cum[:, c]) for c in range(k - 1))
        return cls(total=total, cum=cum, dest=dest, mean_hold=mean_hold, cum_cols=cum_cols, dest_row=dest_row,
                   pair=pair)

    def slot(self, row: NDArray[np.intp], u: NDArray[np.float64]) -> NDArray[np.intp]:
        """Destination slot for uniforms `u` leaving table rows `row` (inversion on cumulative probabilities)."""
        slot = np.zeros(row.shape[0], dtype=np.intp)
        for col in self.cum_cols:
            slot += u >= col[row]
        return slot

    def destination(self, row: NDArray[np.intp], u: NDArray[np.float64]) -> NDArray[np.int16]:
        """Destination for uniforms `u` leaving table rows `row` (inversion on cumulative probabilities)."""
        return self.dest[row, self.slot(row, u)]


def dwell_quantile(dwell: Dwell, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Holding time with unit mean at upper-tail probability `u` (inversion, so draws stay coupled)."""
    if dwell.kind == "exponential":
        return -np.log(u)
    k = float(dwell.shape)  # type: ignore[arg-type]
    if dwell.kind == "gamma":
        return special.gammainccinv(k, u) / k
    if dwell.kind == "lognormal":
        return np.exp(-0.5 * k * k - k * special.ndtri(u))
    return (-np.log(u)) ** (1.0 / k) / special.gamma(1.0 + 1.0 / k)


def order_value_quantile(kind: str, mean: float, cv: float, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Order values at lower-tail probability `u` for the order-value families."""
    if kind == "fixed" or cv == 0:
        return np.full(u.shape, mean)
    if kind == "lognormal":
        s2 = np.log1p(cv * cv)
        return np.exp(np.log(mean) - 0.5 * s2 + np.sqrt(s2) * special.ndtri(u))
    k = 1.0 / (cv * cv)
    return special.gammaincinv(k, u) * (mean / k)


@dataclass
class Plan:
    """The compiled scenario for one replication: tables, stream keys and the customer roster."""

    scenario: Scenario
    table: RateTable
    journey_key: np.uint64
    value_key: np.uint64
    segment: NDArray[np.int16]  # per customer
    start_stage: NDArray[np.int16]  # per customer
    entry_time: NDArray[np.float64]  # per customer
    n_initial: int
    dwell: tuple[Dwell | None, ...]  # per stage, None when exponential

    @property
    def n_stages(self) -> int:
        return self.scenario.journey.n_stages

    @property
    def n_customers(self) -> int:
        return int(self.segment.shape[0])

    @classmethod
    def compile(cls, scenario: Scenario, seed: np.random.SeedSequence) -> Plan:
        """Spawn the component streams (arrivals, journeys, order values) and draw the roster."""
        arrivals_seq, journey_seq, value_seq = seed.spawn(3)
        j = scenario.journey
        horizon = scenario.settings.horizon_days
        init = scenario.initial_counts()
        seg_parts = [np.repeat(np.arange(init.shape[0], dtype=np.int16), init.sum(axis=1))]
        stage_parts = [np.concatenate([np.repeat(np.arange(j.n_stages, dtype=np.int16), row) for row in init])]
        time_parts = [np.zeros(int(init.sum()))]
        for g, (seg, seq) in enumerate(zip(scenario.population.segments, arrivals_seq.spawn(len(init)), strict=True)):
            rng = np.random.default_rng(seq)
            counts = rng.poisson(seg.intensity(horizon))
            times = np.repeat(np.arange(horizon, dtype=float), counts) + rng.random(int(counts.sum()))
            times.sort()
            seg_parts.append(np.full(times.size, g, dtype=np.int16))
            stage_parts.append(np.full(times.size, j.entry_index, dtype=np.int16))
            time_parts.append(times)
        order = np.argsort(np.concatenate(time_parts[1:]), kind="stable") if len(time_parts) > 1 else None
        seg_arr = np.concatenate(seg_parts[1:]) if len(seg_parts) > 1 else np.zeros(0, np.int16)
        st_arr = np.concatenate(stage_parts[1:]) if len(stage_parts) > 1 else np.zeros(0, np.int16)
        t_arr = np.concatenate(time_parts[1:]) if len(time_parts) > 1 else np.zeros(0)
        if order is not None:
            seg_arr, st_arr, t_arr = seg_arr[order], st_arr[order], t_arr[order]
        dwell = tuple(None if j.dwell.get(s, Dwell()).is_exponential else j.dwell[s] for s in j.stages)
        return cls(
            scenario=scenario,
            table=RateTable.build(scenario.rate_tensor(), j.entry_index),
            journey_key=stream_key(journey_seq),
            value_key=stream_key(value_seq),
            segment=np.concatenate([seg_parts[0], seg_arr]),
            start_stage=np.concatenate([stage_parts[0], st_arr]),
            entry_time=np.concatenate([time_parts[0], t_arr]),
            n_initial=int(init.sum()),
            dwell=dwell,
        )

    def holding(self, row: NDArray[np.intp], stage: NDArray[np.int16], u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Holding times in `stage` for table rows `row` at uniforms `u`; inf where the stage has no way out."""
        mean = self.table.mean_hold[row]
        out = -np.log(u) * mean
        for s, d in enumerate(self.dwell):
            if d is not None:
                m = stage == s
                if m.any():
                    out[m] = dwell_quantile(d, u[m]) * mean[m]
        return out

    def order_values(
        self, segment: NDArray[np.int16], u: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Revenue and margin for purchases by customers of `segment` at uniforms `u`."""
        value = np.empty(u.shape)
        margin = np.empty(u.shape)
        for g, seg in enumerate(self.scenario.population.segments):
            m = segment == g
            if m.any():
                ov = seg.order_value
                value[m] = order_value_quantile(ov.kind, ov.mean, ov.cv, u[m])
                margin[m] = value[m] * ov.margin
        return value, margin
