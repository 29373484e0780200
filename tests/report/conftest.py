"""A small run of the shipped customer journey with the default channels and the balanced strategy, kept records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from journeysim.model import Scenario
from journeysim.study.run import RunResult, run

CONF = Path(__file__).resolve().parents[2] / "conf"
SCALE = 0.02  # a fiftieth of the b2c population: about 500 customers at day 0 and 12 arrivals a day


def _yaml(path: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CONF / path).read_text())
    return data


def small_population() -> dict[str, Any]:
    """conf/population/b2c.yaml scaled down by hand (the `scale` key is applied by the config layer)."""
    pop = _yaml("population/b2c.yaml")
    pop.pop("scale", None)
    for seg in pop["segments"].values():
        seg["initial"] = {stage: int(n * SCALE) for stage, n in seg["initial"].items()}
        seg["arrivals_per_day"] = seg["arrivals_per_day"] * SCALE
    return pop


def scenario_dict(horizon_days: int = 70, replications: int = 2, seed: int = 5) -> dict[str, Any]:
    """Journey, small population, default channels and the balanced strategy (budget scaled to the population)."""
    strategy = _yaml("strategy/balanced.yaml")
    strategy["budget"] = strategy["budget"] * SCALE
    return {
        "name": "small_balanced",
        "journey": _yaml("journey/customer_journey.yaml"),
        "population": small_population(),
        "channels": _yaml("channels/default.yaml"),
        "strategy": strategy,
        "sim": {"horizon_days": horizon_days, "replications": replications, "seed": seed},
    }


@pytest.fixture(scope="session")
def small_result() -> RunResult:
    """Two replications over 70 days, records kept (so the flow diagram has its transition counts)."""
    return run(Scenario.from_dict(scenario_dict()), keep_records=True)


@pytest.fixture(scope="session")
def small_result_no_spend() -> RunResult:
    """The same scenario without a strategy and without kept records."""
    data = scenario_dict(horizon_days=20, replications=1)
    del data["strategy"]
    return run(Scenario.from_dict(data))


@pytest.fixture(scope="session")
def small_incremental(small_result: RunResult) -> Any:
    """The small run against no spend on the same seeds (no per-channel variants)."""
    from journeysim.study.incrementality import incremental

    return incremental(small_result.scenario, channels=False)
