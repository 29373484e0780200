"""The engine registry: both engines by their `sim.engine` name, unknown names a ConfigError with did-you-mean."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from journeysim.engine.fast import simulate_fast
from journeysim.engine.reference import simulate_reference
from journeysim.engine.registry import ENGINES
from journeysim.errors import ConfigError
from journeysim.model import Scenario
from journeysim.study.run import simulate


def test_engines_by_name() -> None:
    assert ENGINES.names() == ("fast", "reference")
    assert ENGINES.get("fast") is simulate_fast
    assert ENGINES.get("reference") is simulate_reference


def test_unknown_engine_names_the_setting_and_the_closest_name() -> None:
    with pytest.raises(ConfigError) as err:
        ENGINES.get("fsat", "sim.engine")
    text = str(err.value)
    assert "sim.engine" in text and "fast" in text and "reference" in text


def test_a_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        ENGINES.add("fast", simulate_fast)


def test_simulate_runs_the_engine_the_settings_name(small_scenario: Scenario) -> None:
    fast = simulate(small_scenario, np.random.SeedSequence(2))
    settings = dataclasses.replace(small_scenario.settings, engine="reference")
    by_ref = dataclasses.replace(small_scenario, settings=settings)
    ref = simulate(by_ref, np.random.SeedSequence(2))
    np.testing.assert_array_equal(fast.flows, ref.flows)
