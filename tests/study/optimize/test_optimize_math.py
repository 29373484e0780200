"""The optimiser's pure math, with numbers worked by hand: Hill sums and their slopes, the fit, the projection on
the budget simplex, SLSQP against the closed-form equal-marginal optimum, limits and the least total."""

from __future__ import annotations

import numpy as np
import pytest

from journeysim.study.optimize.curves import Curves, HillSum, Linear, fit_hill
from journeysim.study.optimize.solve import Limits, exact_total, least_total, maximise, project
from journeysim.study.optimize.spec import Bound, OptimizeSpec, box

A, H = np.array([100.0, 200.0, 600.0]), np.array([1_000.0, 2_000.0, 4_000.0])


def curves() -> Curves:
    hill = HillSum(A, H, np.ones(3))
    return Curves(("a", "b", "c"), {"new_buyers": hill, "revenue": hill, "margin": hill, "spend": Linear(np.ones(3))})


def truth(total: float) -> np.ndarray:
    """Equal marginals a h / (x + h)^2 with sum x = total: x = (total + sum h) sqrt(a h) / sum sqrt(a h) - h."""
    w = np.sqrt(A * H)
    return (total + H.sum()) * w / w.sum() - H


def test_hill_value_and_slope_by_hand() -> None:
    """a x / (x + h) at x = h is a / 2; its slope a h / (x + h)^2 there is a / (4 h): 100/2 = 50 and 100/4000."""
    c = HillSum(np.array([100.0]), np.array([1_000.0]), np.array([1.0]))
    assert c(np.array([1_000.0])) == pytest.approx(50.0)
    assert c.slope(np.array([1_000.0]))[0] == pytest.approx(0.025)


def test_fit_recovers_known_curves_from_exact_data() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10_000, size=(30, 3))
    y = HillSum(A, H, np.ones(3)).parts(x).sum(axis=1)
    fitted, _ = fit_hill(x, y)
    np.testing.assert_allclose(fitted.a, A, rtol=0.02)
    np.testing.assert_allclose(fitted.h, H, rtol=0.02)


def test_maximise_finds_the_equal_marginal_optimum() -> None:
    """Total 20,000: sqrt(a h) = 316.23 / 632.46 / 1,549.19 (sum 2,497.88), x = 27,000 sqrt(a h) / 2,497.88 - h
    = 2,418.2 / 4,836.3 / 12,745.5 (by hand)."""
    total = 20_000.0
    x, ok = maximise(curves(), "new_buyers", np.zeros(3), np.full(3, np.inf), total)
    assert ok
    np.testing.assert_allclose(x, truth(total), rtol=1e-4)
    np.testing.assert_allclose(truth(total), [2_418.2, 4_836.3, 12_745.5], atol=0.1)
    assert x.sum() == total
    slopes = HillSum(A, H, np.ones(3)).slope(x)
    np.testing.assert_allclose(slopes, slopes.mean(), rtol=1e-4)


def test_profit_objective_subtracts_spend() -> None:
    """Profit = margin - spend: with a fixed total the spend is fixed, so the split is the margin-optimal one."""
    x, _ = maximise(curves(), "profit", np.zeros(3), np.full(3, np.inf), 20_000.0)
    np.testing.assert_allclose(x, truth(20_000.0), rtol=1e-4)


def test_a_binding_bound_and_the_rest_equal() -> None:
    hi = np.array([np.inf, np.inf, 8_000.0])
    x, _ = maximise(curves(), "new_buyers", np.zeros(3), hi, 20_000.0)
    assert x[2] == pytest.approx(8_000.0)
    s = HillSum(A, H, np.ones(3)).slope(x)
    assert s[0] == pytest.approx(s[1], rel=1e-4) and s[2] > s[0]


def test_project_and_exact_total() -> None:
    x = project(np.array([5.0, -1.0, 10.0]), np.zeros(3), np.array([4.0, 4.0, 4.0]), 9.0)
    np.testing.assert_allclose(x, [4.0, 1.0, 4.0])
    y = exact_total(np.array([0.1, 0.2, 0.3]), np.zeros(3), np.ones(3), 0.6000001)
    assert y.sum() == 0.6000001


def test_limits_bind_and_infeasible_limits_are_flagged() -> None:
    """ROAS >= r with revenue = the Hill sum and spend = x: 20,000 cannot earn 1,000 x its spend."""
    _, ok = maximise(curves(), "new_buyers", np.zeros(3), np.full(3, np.inf), 20_000.0, Limits(min_roas=1_000.0))
    assert not ok
    _, ok = maximise(curves(), "new_buyers", np.zeros(3), np.full(3, np.inf), 200.0, Limits(min_roas=0.05))
    assert ok


def test_least_total_reaches_the_goal_at_the_least_cost() -> None:
    """Goal 500 (of at most 900): the least total whose best split reaches 500 within 0.01% of max_total."""
    goal = 500.0
    x, ok = least_total(curves(), "new_buyers", goal, lambda t: (np.zeros(3), np.full(3, t)), 100_000.0)
    assert ok
    value = HillSum(A, H, np.ones(3))(x)
    assert value == pytest.approx(goal, rel=2e-3)
    # at the best split of the same total, a little less money cannot reach the goal
    x2, _ = maximise(curves(), "new_buyers", np.zeros(3), np.full(3, np.inf), 0.98 * x.sum())
    assert HillSum(A, H, np.ones(3))(x2) < goal
    _, ok = least_total(curves(), "new_buyers", 5_000.0, lambda t: (np.zeros(3), np.full(3, t)), 100_000.0)
    assert not ok


def test_box_combines_absolute_relative_and_share_bounds() -> None:
    spec = OptimizeSpec(
        ("a", "b", "c"),
        total=1_000.0,
        bounds={"a": Bound(100.0, 300.0), "b": Bound(0.5, 2.0, relative=True)},
        min_share=0.1,
        max_share=0.6,
    )
    lo, hi = box(spec, np.array([0.0, 200.0, 50.0]), 1_000.0)
    np.testing.assert_allclose(lo, [100.0, 100.0, 100.0])
    np.testing.assert_allclose(hi, [300.0, 400.0, 600.0])
