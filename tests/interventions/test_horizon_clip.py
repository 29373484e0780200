"""A horizon shorter than the plan is a window on the plan: flights and rate-multiplier windows are clipped to it with
a note, each kept day spending what the whole plan spends on it (issue 15, item 2)."""

from __future__ import annotations

import numpy as np
import pytest

import journeysim as js
from journeysim.interventions import Strategy
from journeysim.interventions.schedule import daily_spend

PLAN = {
    "name": "push",
    "budget": 1200.0,
    "allocation": {"search": 0.5, "email": 0.5},
    "pacing": "front_loaded",
    "flights": {"search": [{"start": 0, "end": 180}], "email": [{"start": 100, "end": 150}]},
    "rate_multipliers": [{"from": "intent", "to": "purchase", "factor": 2.0, "start": 5, "end": 15}],
}


def test_flights_past_the_horizon_keep_the_plans_daily_spend() -> None:
    full = Strategy.from_dict(PLAN, 365)
    quick = Strategy.from_dict(PLAN, 90)
    search_full, search_quick = full.plans[0], quick.plans[0]
    assert search_quick.flights[0].end == 90 and not quick.plans[1].flights  # email's flight falls past day 90
    np.testing.assert_allclose(daily_spend(search_quick, 90), daily_spend(search_full, 365)[:90], rtol=1e-12)
    assert search_quick.budget == pytest.approx(daily_spend(search_full, 365)[:90].sum(), rel=1e-12)
    assert quick.plans[1].budget == 0.0 and daily_spend(quick.plans[1], 90).sum() == 0.0
    assert full.notes == ()


def test_rate_multiplier_windows_are_clipped_with_a_note() -> None:
    five = Strategy.from_dict(PLAN, 5)
    assert five.rate_multipliers == ()  # the window 5..15 starts after a 5-day horizon
    ten = Strategy.from_dict(PLAN, 10)
    assert (ten.rate_multipliers[0].start, ten.rate_multipliers[0].end) == (5, 10)
    (note,) = ten.notes
    assert note.startswith("strategy 'push' clipped to the 10-day horizon: search (flights to day 180: spends ")
    assert "rate_multipliers[0] (window to day 15)" in note


def test_shipped_presets_combine_with_a_shorter_horizon() -> None:
    for strategy in ("conversion_push", "awareness_push", "nurture", "retention", "balanced"):
        sc = js.load_scenario([f"strategy={strategy}", "sim=quick", "population.scale=0.01"])
        assert sc.settings.horizon_days == 90
        assert all(f.end <= 90 for p in sc.strategy.plans for f in p.flights)
    push = js.load_scenario(["strategy=conversion_push", "sim=quick", "population.scale=0.01"])
    assert push.strategy.notes and "90-day horizon" in push.strategy.notes[0]
