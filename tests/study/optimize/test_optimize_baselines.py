"""The Optuna baseline the optimiser is benchmarked against (benchmarks/bench_optimize_optuna.py): its simplex
search honours the fixed total and the bounds in every trial, its box search stays in the box, and a seeded search
is reproducible. Quality is measured in the benchmark, not asserted here."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from journeysim.model import Scenario
from journeysim.study.optimize.baselines import optuna_search, simplex_plan
from journeysim.study.optimize.evaluate import simulate_plans, with_budgets

CHANNELS = ("c0", "c1", "c2")
TOTAL = 29_999.97
LO = np.zeros(3)
HI = np.array([10_000.0, 12_345.67, 20_000.0])


def test_simplex_plan_normalises_the_weights_then_moves_into_the_bounds() -> None:
    """Worked by hand: weights 1:1:2 of 40 -> 10 / 10 / 20; all zero -> equal split; 30 all on channel 0 capped
    at 10 -> the nearest plan with total 30 is 10 / 10 / 10 (the cut 20 shared equally by the other two)."""
    inf = np.full(3, np.inf)
    np.testing.assert_allclose(simplex_plan(np.array([1.0, 1.0, 2.0]), LO, inf, 40.0), [10.0, 10.0, 20.0])
    np.testing.assert_allclose(simplex_plan(np.zeros(3), LO, inf, 30.0), [10.0, 10.0, 10.0])
    hi = np.array([10.0, 20.0, 20.0])
    np.testing.assert_allclose(simplex_plan(np.array([1.0, 0.0, 0.0]), LO, hi, 30.0), [10.0, 10.0, 10.0])


def test_unknown_space_and_an_open_box_are_refused(independent: Callable[..., Scenario]) -> None:
    with pytest.raises(ValueError, match="space must be one of"):
        optuna_search(independent(replications=2), CHANNELS, LO, HI, total=TOTAL, trials=2, seed=1, space="grid")
    with pytest.raises(ValueError, match="finite upper bound"):
        optuna_search(independent(replications=2), CHANNELS, LO, np.full(3, np.inf), total=TOTAL, trials=2, seed=1,
                      space="box")  # fmt: skip


@pytest.mark.slow
def test_simplex_search_honours_the_total_and_the_bounds_in_every_trial(independent: Callable[..., Scenario]) -> None:
    """12 TPE trials (10 random, 2 modelled): every plan sums to the awkward total exactly and lies in the bounds,
    the engine spends exactly the best plan's total, and the same seed gives the same trials and values."""
    pytest.importorskip("optuna")
    base = independent(replications=2)
    found = optuna_search(base, CHANNELS, LO, HI, total=TOTAL, trials=12, seed=5)
    assert len(found.budgets) == len(found.values) == 12
    for x in found.budgets:
        assert float(np.sum(x)) == TOTAL
        assert np.all(x >= LO) and np.all(x <= HI + 1e-9), x
    best, value = found.best_of()
    assert value == max(found.values) and np.isfinite(value)
    assert found.best_of(4)[1] == max(found.values[:4])
    spent = simulate_plans(base, [with_budgets(base, CHANNELS, best, "best")])["spend"]
    np.testing.assert_allclose(spent, TOTAL, rtol=1e-9)
    again = optuna_search(base, CHANNELS, LO, HI, total=TOTAL, trials=12, seed=5)
    np.testing.assert_array_equal(np.vstack(again.budgets), np.vstack(found.budgets))
    assert again.values == found.values


@pytest.mark.slow
def test_box_search_stays_in_the_box_and_does_not_hold_the_total(independent: Callable[..., Scenario]) -> None:
    """The preset's search: each channel within its range on its own, so the trials' totals vary."""
    pytest.importorskip("optuna")
    found = optuna_search(independent(replications=2), CHANNELS, LO, HI, total=TOTAL, trials=6, seed=5, space="box")
    x = np.vstack(found.budgets)
    assert np.all(x >= LO) and np.all(x <= HI)
    assert np.ptp(x.sum(axis=1)) > 0
