"""Counts tables from simulated replications: the ground truth for round trips and the fit report's intervals.

`counts_frame` turns one replication's records into the CRM shape `read_counts` takes (per segment, period and
stage: entries, occupancy at start and end). `fitted_scenario` is a scenario that continues the fitted model from
the first observed period; `prediction_bands` simulates it a few times and returns per-period quantiles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.engine.records import Records
from journeysim.model.journey import Journey
from journeysim.model.population import Population, Segment
from journeysim.model.scenario import Scenario
from journeysim.study.fit.counts import SegmentCounts
from journeysim.study.run import simulate


def counts_frame(rec: Records, period_days: int = 7, start_day: int = 0) -> pd.DataFrame:
    """One replication as counts: whole periods of `period_days` from `start_day`, per segment and stage."""
    entries = rec.entries()  # (D, G, S)
    occ_end = rec.occupancy()  # (D, G, S) at the end of each day
    occ_start = np.concatenate([rec.initial[None], occ_end[:-1]], axis=0)
    rows = []
    for a in range(start_day, rec.horizon_days - period_days + 1, period_days):
        b = a + period_days
        total = entries[a:b].sum(axis=0)
        for g, seg in enumerate(rec.segments):
            for s, stage in enumerate(rec.stages):
                rows.append(
                    {
                        "segment": seg,
                        "period_start": a,
                        "period_end": b,
                        "stage": stage,
                        "entries": int(total[g, s]),
                        "occupancy_start": int(occ_start[a, g, s]),
                        "occupancy_end": int(occ_end[b - 1, g, s]),
                    }
                )
    return pd.DataFrame(rows)


def fitted_scenario(
    base: Scenario,
    journey: Journey,
    segments: Mapping[str, tuple[Mapping[str, Mapping[str, float]], float, Mapping[str, int]]],
    horizon_days: int,
) -> Scenario:
    """`base` with one plain segment per fitted segment (its rates as transition multipliers of `journey`'s,
    arrival rate, initial occupancy), no strategy, run for `horizon_days`."""
    base_rates = journey.rates
    segs = []
    for name, (rates, arrivals, initial) in segments.items():
        mult = {
            src: {dst: (v / base_rates[src][dst] if base_rates[src][dst] > 0 else 1.0) for dst, v in row.items()}
            for src, row in rates.items()
        }
        segs.append(Segment(name=name, initial=dict(initial), arrivals_per_day=arrivals, transition_multipliers=mult))
    population = Population(segments=tuple(segs))
    settings = dataclasses.replace(base.settings, horizon_days=horizon_days, event_log=False)
    return dataclasses.replace(base, journey=journey, population=population, settings=settings)


def prediction_bands(scenarios: Sequence[Scenario], counts: Sequence[SegmentCounts], seed: int) -> pd.DataFrame:
    """Simulate each scenario once (one per parameter draw, spawned seeds) and give, per segment, period, stage and
    measure (entries, occupancy_end), the mean and the 2.5% / 97.5% quantiles over the replications: intervals that
    hold both customer randomness and parameter uncertainty."""
    offset = min(float(c.starts[0]) for c in counts)
    sims = []
    for rep, (scenario, child) in enumerate(
        zip(scenarios, np.random.SeedSequence(seed).spawn(len(scenarios)), strict=True)
    ):
        rec = simulate(scenario, child)
        entries, occ = rec.entries(), rec.occupancy()
        for c in counts:
            g = rec.segments.index(c.segment)
            for p in range(c.n_periods):
                a, b = int(c.starts[p] - offset), int(c.ends[p] - offset)
                for s, stage in enumerate(rec.stages):
                    sims.append((rep, c.segment, p, stage, "entries", float(entries[a:b, g, s].sum())))
                    sims.append((rep, c.segment, p, stage, "occupancy_end", float(occ[b - 1, g, s])))
    frame = pd.DataFrame(sims, columns=["replication", "segment", "period", "stage", "measure", "value"])
    grouped = frame.groupby(["segment", "period", "stage", "measure"], sort=False)["value"]
    mean, sd = grouped.mean(), grouped.std(ddof=1).fillna(0.0)
    # mean +- 1.96 sd: with a few replications the normal interval is steadier than the sample quantiles
    return pd.DataFrame(
        {"simulated_mean": mean, "pi_low": (mean - 1.96 * sd).clip(lower=0.0), "pi_high": mean + 1.96 * sd}
    ).reset_index()
