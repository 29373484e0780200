"""Shared fixtures: the shipped default journey and small scenarios built on it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from journeysim.model import Journey, OrderValue, Population, Scenario, Segment, Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def journey_dict() -> dict:
    """The default customer journey as the YAML mapping users write."""
    return yaml.safe_load((ROOT / "conf" / "journey" / "customer_journey.yaml").read_text())


@pytest.fixture(scope="session")
def journey(journey_dict: dict) -> Journey:
    return Journey.from_dict(journey_dict)


@pytest.fixture
def small_scenario(journey: Journey) -> Scenario:
    """Two segments, initial customers in several stages, arrivals, random order values."""
    pop = Population(
        (
            Segment(
                "consumers",
                initial={"awareness": 300, "loyalty": 50},
                arrivals_per_day=3.0,
                order_value=OrderValue("lognormal", 60.0, 0.5, 0.4),
            ),
            Segment(
                "business",
                initial={"consideration": 100},
                arrivals_per_day=1.0,
                rate_multiplier=0.7,
                transition_multipliers={"intent": {"purchase": 2.0}},
                order_value=OrderValue("gamma", 400.0, 0.3, 0.3),
            ),
        )
    )
    return Scenario(journey, pop, Settings(horizon_days=120, seed=7))


#: The files a job writes whatever launched it (status.json holds timings; .hydra/hydra.yaml names the launcher).
JOB_DATA = (
    "metrics.json",
    "funnel.csv",
    "timeseries.parquet",
    "samples.parquet",
    "config.yaml",
    ".hydra/config.yaml",
    ".hydra/overrides.yaml",
    "incrementality.json",
    "bottlenecks.csv",
)


@pytest.fixture(scope="session")
def job_data() -> tuple[str, ...]:
    """The files a job writes whatever launched it (`JOB_DATA`), for tests that compare launchers' jobs."""
    return JOB_DATA
