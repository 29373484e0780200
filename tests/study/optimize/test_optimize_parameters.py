"""The optimiser's answer under parameter uncertainty: a small ensemble over the conversion rate."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from journeysim.model.scenario import Scenario
from journeysim.model.uncertainty import ParameterUncertainty
from journeysim.study.optimize.optimise import optimise
from journeysim.study.optimize.parameters import parameter_summary
from journeysim.study.optimize.spec import OptimizeSpec

KEY = "journey.rates.prospect.buyer"
CHANNELS = ("c0", "c1", "c2")


def _with_ensemble(build: Callable[..., Scenario], rates: tuple[float, ...], per_draw: int = 2, replications: int = 8):
    base = build(replications=replications)
    pu = ParameterUncertainty((KEY,), tuple((r,) for r in rates), per_draw=per_draw, source="test")
    return dataclasses.replace(base, settings=dataclasses.replace(base.settings, parameter_uncertainty=pu))


def test_off_without_ensemble(independent: Callable[..., Scenario]) -> None:
    x = np.full(3, 10_000.0)
    assert parameter_summary(independent(replications=2), CHANNELS, x, x, "new_buyers") == {}


def test_identical_plans_have_zero_difference_and_a_wider_interval_with_more_spread(
    independent: Callable[..., Scenario],
) -> None:
    narrow = _with_ensemble(independent, (0.5, 0.5, 0.5, 0.5))
    wide = _with_ensemble(independent, (0.1, 0.3, 1.0, 3.0))
    chosen, current = np.array([20_000.0, 5_000.0, 5_000.0]), np.full(3, 10_000.0)
    s_narrow = parameter_summary(narrow, CHANNELS, chosen, current, "new_buyers")
    s_wide = parameter_summary(wide, CHANNELS, chosen, current, "new_buyers")
    same = parameter_summary(wide, CHANNELS, current, current, "new_buyers")
    assert same["param_difference"] == 0.0 and same["param_p_beats"] == 0.5
    assert s_wide["param_draws"] == 4.0
    w = lambda s: s["param_objective_high"] - s["param_objective_low"]  # noqa: E731
    # new buyers scale with rate / (rate + 0.5): the wide ensemble moves the objective far more than noise does
    assert w(s_wide) > 2 * w(s_narrow)
    assert s_wide["param_share_parameters"] > s_narrow["param_share_parameters"]
    assert s_wide["decisive_parameter"] in (KEY, "")
    assert 0.0 <= s_wide["param_p_beats"] <= 1.0
    assert math.isfinite(s_wide["param_p_beats_noise_only"])


def test_optimise_reports_parameter_entries(independent: Callable[..., Scenario]) -> None:
    base = _with_ensemble(independent, (0.3, 0.5, 0.8), per_draw=1, replications=3)
    result = optimise(base, OptimizeSpec(CHANNELS, total=30_000.0, objective="new_buyers"))
    assert "param_p_beats" in result.summary and "decisive_parameter" in result.summary
