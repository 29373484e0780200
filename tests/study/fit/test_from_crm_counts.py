"""The committed experiment experiments/from_crm_counts: its fitted rates agree with the ground truth that made the
counts (within 4 SE), and its parameter ensemble applies to the fitted options as scenario keys."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import journeysim as js
from journeysim.study.grid import apply

HERE = Path(__file__).resolve().parents[3] / "experiments" / "from_crm_counts"


def test_committed_fit_is_within_4_se_of_the_ground_truth() -> None:
    est = pd.read_csv(HERE / "fit" / "estimates.csv")
    truth = pd.read_csv(HERE / "data" / "truth.csv").set_index("key")["value"]
    keys = [
        f"journey.rates.{a}.{b}" if p == "rate" else "population.segments.0.arrivals_per_day"
        for p, a, b in zip(est["parameter"], est["from_stage"], est["to_stage"], strict=True)
    ]
    z = (est["estimate"].to_numpy() - truth.loc[keys].to_numpy()) / est["se"].to_numpy()
    assert np.all(np.abs(z) < 4), dict(zip(keys, z.round(2), strict=True))


def test_committed_ensemble_applies_to_the_fitted_options() -> None:
    fitted = js.load_scenario(
        ["journey=marketing_funnel_fitted", "population=marketing_funnel_fitted", "strategy=none"],
        config_dir=HERE / "fit",
    )
    draws = pd.read_csv(HERE / "fit" / "parameters.csv")
    assert len(draws) == 200 and draws.columns[0] == "draw"
    row = draws.iloc[3]
    variant = apply(fitted, {k: float(v) for k, v in row.items() if k != "draw"})
    assert variant.population.segments[0].arrivals_per_day == row["population.segments.0.arrivals_per_day"]
    assert variant.journey.rates["intent"]["conversion"] == row["journey.rates.intent.conversion"]
