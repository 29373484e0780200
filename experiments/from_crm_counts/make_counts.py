"""Generate the experiment's weekly funnel counts from a known ground truth (run once; the CSVs are committed).

The ground truth is the shipped `marketing_funnel` journey with the `b2c` consumers at 20% scale, arrivals
constant (no weekday or seasonal pattern), no campaigns, 52 weeks. Writes `data/weekly_counts.csv` (what a CRM
would export) and `data/truth.csv` (the rates and arrival rate that generated it).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

import journeysim as js
from journeysim.model.population import Population
from journeysim.study.fit.simulate import counts_frame
from journeysim.study.run import simulate

HERE = Path(__file__).parent
SEED = 20261204


def ground_truth() -> js.Scenario:
    """The scenario the counts come from."""
    scenario = js.load_scenario(
        ["journey=marketing_funnel", "population=b2c", "strategy=none", "sim.horizon_days=364", "population.scale=0.2"]
    )
    segment = dataclasses.replace(scenario.population.segments[0], weekly=None, seasonal_amplitude=0.0)
    return dataclasses.replace(scenario, population=Population((segment,)))


def main() -> None:
    scenario = ground_truth()
    counts = counts_frame(simulate(scenario, np.random.SeedSequence(SEED)), period_days=7)
    (HERE / "data").mkdir(exist_ok=True)
    counts.to_csv(HERE / "data" / "weekly_counts.csv", index=False)
    rates = scenario.rate_tensor()[0]
    journey = scenario.journey
    rows = [
        {"key": f"journey.rates.{a}.{b}", "value": float(rates[journey.index(a), journey.index(b)])}
        for a, row in journey.rates.items()
        for b in row
    ]
    seg = scenario.population.segments[0]
    rows.append({"key": "population.segments.0.arrivals_per_day", "value": seg.arrivals_per_day})
    pd.DataFrame(rows).to_csv(HERE / "data" / "truth.csv", index=False)


if __name__ == "__main__":
    main()
