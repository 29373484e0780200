"""Carry-over between periods: the closed forms of `analytic.carryover` worked by hand, the optimiser's curves on
effective doses (chain-rule marginal returns, the identity without adstock), and the seasonal model with geometric
adstock 0.9 whose exact optimum (from the day-by-day closed form in conftest.py) is recovered within the
simulation's standard error, the fixed total honoured exactly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from journeysim.analytic.carryover import carried_doses, carry_matrix, period_adstock, response_path
from journeysim.interventions.strategy import Strategy
from journeysim.model import Scenario
from journeysim.study.optimize import OptimizeSpec, Target, optimise
from journeysim.study.optimize.carry import doses, unit_days
from journeysim.study.optimize.curves import Carry, HillSum, fit_curves
from journeysim.study.optimize.evaluate import counterfactual, simulate_plans
from journeysim.study.optimize.periods import Period, cells_of, with_cells


def test_response_path_by_hand() -> None:
    """Exposures 1, 1 with decay 0.5: adstock 1, 1.5; a Hill curve of half-saturation 1 gives 1/2 and 1.5/2.5."""
    np.testing.assert_allclose(response_path([1.0, 1.0], 0.5, 1.0), [0.5, 0.6])
    np.testing.assert_allclose(response_path([1.0, 0.0, 0.0], 0.0, 1.0), [0.5, 0.0, 0.0])


def test_carry_matrix_by_hand() -> None:
    """Two 2-day periods, one unit of money spread evenly (0.5 a day), decay 0.5. The first cell's adstock is 0.5,
    0.75 in its period (sum 1.25) and 0.375, 0.1875 in the next (sum 0.5625); the second cell's own is 0.5, 0.75
    (1.25). So one unit in period 1 carries 0.5625 / 1.25 = 0.45 units of period 2's money; nothing flows back,
    nothing crosses channels, and decay 0 is the identity."""
    daily = np.array([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [0.5, 0.5, 0, 0]])
    spans = [(0, 2), (2, 4), (0, 2)]
    np.testing.assert_allclose(period_adstock(daily[0], 0.5, spans[:2]), [1.25, 0.5625])
    m = carry_matrix(daily, [0.5, 0.5, 0.5], spans, [0, 0, 1])
    np.testing.assert_allclose(m, [[1, 0.45, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(carry_matrix(daily, [0.0] * 3, spans, [0, 0, 1]), np.eye(3))
    # day by day, in units of each period's own mean adstock (1.25 / 2): period 2's days get 0.6, 0.3 from cell 1
    g = carried_doses(daily, [0.5, 0.5, 0.5], spans, [0, 0, 1])
    np.testing.assert_allclose(g, [[0.8, 1.2, 0.6, 0.3, 0, 0], [0, 0, 0.8, 1.2, 0, 0], [0, 0, 0, 0, 0.8, 1.2]])


def test_dose_matrix_of_a_flighted_plan(independent: Callable[..., Scenario]) -> None:
    """c0 flighted on days 10-40 over two 30-day periods: one unit of each cell's money lands on its own days; with
    adstock 0.5 the first cell carries into the second only; without adstock there is no matrix."""
    strategy = Strategy.from_dict({"budgets": {"c0": 9_000}, "flights": {"c0": [{"start": 10, "end": 40}]}}, 60)
    base = dataclasses.replace(independent(), strategy=strategy)
    cells = cells_of(base, ("c0",), (Period("p1", 0, 30), Period("p2", 30, 60)))
    days = unit_days(cells, 60)
    np.testing.assert_allclose(days[0, 10:30], 1 / 20)
    np.testing.assert_allclose(days[1, 30:40], 1 / 10)
    assert days[0, :10].sum() == 0 and days[1, 40:].sum() == 0
    assert doses(base, cells) is None
    ch = dataclasses.replace(base.channels["c0"], adstock=0.5)
    carried = dataclasses.replace(base, channels={**base.channels, "c0": ch})
    carry = doses(carried, cells)
    assert carry is not None and list(carry.start) == [0, 21]  # p1: its 10 days without money share a column
    np.testing.assert_allclose(np.add.reduceat(carry.weight, carry.start), 1.0)
    m = carry.mean
    # period 1 ends (day 29) at adstock (1/20)(1 + ... + 0.5^19) = 0.1 (1 - 2^-20), whose tail over days 30-59 sums
    # to that x (1 - 2^-30); period 2's own 1/10 a day reaches 0.2 (1 - 2^-(t+1)) on its t-th day (sum 0.2 (9 + 2^-10)
    # over days 30-39) and leaves a tail 0.2 (1 - 2^-10)(1 - 2^-20) over days 40-59
    tail = 0.1 * (1 - 2.0**-20) * (1 - 2.0**-30)
    own = 0.2 * (9 + 2.0**-10) + 0.2 * (1 - 2.0**-10) * (1 - 2.0**-20)
    np.testing.assert_allclose(m, [[1, tail / own], [0, 1]], rtol=1e-6)


def test_curves_on_doses_have_chain_rule_slopes() -> None:
    """Two 2-day periods, period 1's money carrying 0.6 and 0.3 into period 2's days: a cell's part is a_k times
    the mean Hill value of its days' doses, the marginal return of a cell's money matches finite differences
    (through every day it doses), and a fit on the doses recovers the curves it came from."""
    days = np.array([[0.8, 1.2, 0.6, 0.3], [0.0, 0.0, 0.8, 1.2]])
    carry = Carry(days, np.array([0, 2]), np.full(4, 0.5))
    curve = HillSum(np.array([10.0, 5.0]), np.array([2.0, 3.0]), np.array([1.0, 1.0]), carry)
    x = np.array([1.5, 2.5])
    d = x @ days  # 1.2, 1.8 | 2.9, 3.45
    by_hand = 10 * (1.2 / 3.2 + 1.8 / 3.8) / 2 + 5 * (2.9 / 5.9 + 3.45 / 6.45) / 2
    np.testing.assert_allclose(d, [1.2, 1.8, 2.9, 3.45])
    assert curve(x) == pytest.approx(by_hand)
    np.testing.assert_allclose(carry.mean, [[1.0, 0.45], [0.0, 1.0]])
    eps = 1e-6
    numeric = [(curve(x + eps * e) - curve(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(curve.slope(x), numeric, rtol=1e-6)
    grid = np.array([[a, b] for a in (0.0, 0.5, 1.5, 3.0, 6.0) for b in (0.0, 1.0, 2.5, 5.0)])
    fitted = fit_curves(("p1", "p2"), grid, {"y": np.array([curve(g) for g in grid])}, carry=carry)["y"]
    assert isinstance(fitted, HillSum) and fitted.carry is carry
    np.testing.assert_allclose([fitted(g) for g in grid], [curve(g) for g in grid], atol=1e-3)


def test_carry_over_optimum_is_recovered(
    seasonal: Callable[..., Scenario],
    seasonal_carry: tuple[Callable[..., float], Callable[[float, float], np.ndarray]],
    not_beaten: Callable[..., None],
) -> None:
    """The seasonal model with adstock 0.9 (half-life 6.6 days in 30-day periods): the exact split of 6,000 is
    4,668 / 1,332 (per-cell curves without carry-over pick 3,808 / 2,192 and lose 23 of its 6,258 expected new
    buyers). Measured: 4,651 / 1,349 in 9 plans, 0.01 expected new buyers short of the optimum. The total is
    honoured exactly, the split is within 3% of the total of the exact one, the expected loss under 0.05%, and on
    16 fresh paired replications the exact split is not better by more than 3 standard errors."""
    expected, best = seasonal_carry
    spec = OptimizeSpec(("c0",), total=6_000.0, objective="new_buyers", periods="2")
    base = seasonal(adstock=0.9)
    result = optimise(base, spec)
    truth = best(6_000.0, 0.9)
    assert float(result.chosen.sum()) == 6_000.0
    assert np.abs(result.chosen - truth).max() < 0.03 * 6_000.0, (result.chosen, truth)
    lost = expected(truth, 0.9) - expected(result.chosen, 0.9)
    assert lost < 5e-4 * expected(truth, 0.9), lost
    marginal = result.allocation["marginal_objective"].to_numpy()
    assert abs(marginal[0] - marginal[1]) < 0.05 * marginal.mean(), marginal  # an interior optimum

    fresh = seasonal(replications=16, seed=11, adstock=0.9)
    cells = result.cells
    assert cells is not None
    not_beaten(fresh, [with_cells(fresh, cells, x, n) for x, n in ((result.chosen, "found"), (truth, "truth"))])


def test_carry_closed_form_matches_the_simulation(
    seasonal: Callable[..., Scenario], seasonal_carry: tuple[Callable[..., float], Callable[[float, float], np.ndarray]]
) -> None:
    """The day-by-day closed form the recovery test trusts: at adstock 0.9 its expected incremental new buyers of
    three splits (3,000 / 3,000: 6,172.9; 4,668 / 1,332: 6,258.5; 1,000 / 5,000: 5,591.4) are within 3 standard
    errors of 16 simulated paired replications (measured with 32: 6,186.7, 6,273.2, 5,601.3, se ~17)."""
    expected, _ = seasonal_carry
    base = seasonal(replications=16, seed=5, adstock=0.9)
    cells = cells_of(base, ("c0",), (Period("p1", 0, 30), Period("p2", 30, 60)))
    splits = [np.array([3_000.0, 3_000.0]), np.array([4_668.0, 1_332.0]), np.array([1_000.0, 5_000.0])]
    table = simulate_plans(base, [counterfactual(base, ("c0",))] + [with_cells(base, cells, x, "x") for x in splits])
    buyers = {k: g["new_buyers"].to_numpy(float) for k, g in table.groupby("candidate")}
    for k, x in enumerate(splits, start=1):
        d = buyers[k] - buyers[0]
        se = d.std(ddof=1) / np.sqrt(d.size)
        assert abs(d.mean() - expected(x, 0.9)) < 3 * se, (x, d.mean(), expected(x, 0.9), se)


def test_fixed_total_with_carry_over(independent: Callable[..., Scenario]) -> None:
    """Three channels with adstock 0.7 over two periods (6 cells, the daily-dose curves): an awkward total is
    honoured exactly by the answer and every refined plan, and the engine spends it."""
    base = independent(replications=3)
    channels = {c: dataclasses.replace(ch, adstock=0.7) for c, ch in base.channels.items()}
    base = dataclasses.replace(base, channels=channels)
    total = 29_999.97
    result = optimise(base, OptimizeSpec(("c0", "c1", "c2"), total=total, periods="2", simulations=23))
    assert result.curves.carry is not None
    assert float(np.sum(result.chosen)) == total
    refine = result.evaluations[result.evaluations["kind"] == "refine"]
    assert len(refine) > 0
    for _, plan in refine.iterrows():
        assert float(np.sum(plan[list(result.channels)].to_numpy(float))) == total
    assert result.cells is not None
    spent = simulate_plans(base, [with_cells(base, result.cells, result.chosen, "chosen")])["spend"]
    np.testing.assert_allclose(spent, total, rtol=1e-9)


def test_least_total_with_carry_over(
    seasonal: Callable[..., Scenario],
    seasonal_carry: tuple[Callable[..., float], Callable[[float, float], np.ndarray]],
) -> None:
    """5,000 incremental new buyers at 90% confidence with adstock 0.9: the least total whose best split's
    expectation reaches 5,000 is 1,224 (979 / 245). Measured: 1,289 (+5%, the margin lifting the one-sided lower
    bound over the target; lower bound 5,003, expectation 5,062) in 10 plans, where per-cell curves spend 1,498
    (+22%) on 1,082 / 416. The search keeps going while its last plan falls short (it used to stop there)."""
    expected, best = seasonal_carry
    lo, hi = 500.0, 5_000.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if expected(best(mid, 0.9), 0.9) < 5_000.0 else (lo, mid)
    spec = OptimizeSpec(("c0",), target=Target("new_buyers", 5_000.0, 0.9), periods="2", max_total=20_000.0)
    result = optimise(seasonal(adstock=0.9), spec)
    assert float(result.summary["lower_bound"]) >= 5_000.0
    assert hi <= result.total <= 1.1 * hi, (result.total, hi)
