"""The optimiser over (channel, period) cells: periods resolved from the request, cells built from the current plan,
the written per-flight plan spending what was simulated, the closed-form seasonal optimum recovered within the
simulation's standard error, a fixed total honoured exactly with a channel's range over its periods, bad input."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

import numpy as np
import pytest

from journeysim.errors import ConfigError
from journeysim.interventions.schedule import daily_spend
from journeysim.interventions.strategy import Strategy
from journeysim.model import Scenario
from journeysim.model.scenario import Settings
from journeysim.study.optimize import Bound, OptimizeInputError, OptimizeSpec, Target, optimise
from journeysim.study.optimize.evaluate import simulate_plans
from journeysim.study.optimize.periods import Period, cells_of, plan_flights, resolve, with_cells


def _names(request: str, horizon: int, start: str | None = None) -> list[tuple[str, int, int]]:
    settings = Settings(horizon_days=horizon, start_date=start)
    return [(p.name, p.start, p.end) for p in resolve(request, settings)]


def test_periods_from_the_request() -> None:
    """Calendar months from a mid-month start date, 30-day blocks without a date, equal blocks, explicit days."""
    assert _names("months", 60, "2027-01-15") == [("2027-01", 0, 17), ("2027-02", 17, 45), ("2027-03", 45, 60)]
    assert _names("months", 60, "2026-12-01") == [("2026-12", 0, 31), ("2027-01", 31, 60)]
    assert _names("months", 65) == [("p1", 0, 30), ("p2", 30, 60), ("p3", 60, 65)]
    assert _names("4", 60) == [("p1", 0, 15), ("p2", 15, 30), ("p3", 30, 45), ("p4", 45, 60)]
    assert _names("0:20,20:60", 60) == [("p1", 0, 20), ("p2", 20, 60)]


@pytest.mark.parametrize(
    ("request_", "problem"),
    [("61", "do not fit the 60-day horizon"), ("0", "do not fit"), ("0:30,30:90", "ends after the 60-day horizon"),
     ("0:30,31:60", "do not tile"), ("weeks", "unknown periods 'weeks'"), ("0:x", "is not START:END")],
)  # fmt: skip
def test_bad_periods_name_the_setting(request_: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(request_, Settings(horizon_days=60))
    assert info.value.setting == "periods" and problem in info.value.problem and info.value.fix


def test_cells_follow_the_current_plan_and_rebuild_it(independent: Callable[..., Scenario]) -> None:
    """c0 flighted on days 10-40 only: it has cells in p1 (20 days) and p2 (10 days), current money 2:1; c1 (whole
    horizon) splits evenly; a channel the plan does not fund gets cells at no money. The current money rebuilds the
    plan itself; other money lands on each cell's days."""
    strategy = Strategy.from_dict(
        {"budgets": {"c0": 9_000, "c1": 6_000}, "flights": {"c0": [{"start": 10, "end": 40}]}}, 60
    )
    base = dataclasses.replace(independent(), strategy=strategy)
    periods = (Period("p1", 0, 30), Period("p2", 30, 60))
    cells = cells_of(base, ("c0", "c1", "c2"), periods)
    assert cells.names == ("c0@p1", "c0@p2", "c1@p1", "c1@p2", "c2@p1", "c2@p2")
    np.testing.assert_allclose(cells.current, [6_000, 3_000, 3_000, 3_000, 0, 0])
    assert with_cells(base, cells, cells.current, "same").strategy.plans == base.strategy.plans
    x = np.array([1_000.0, 4_000.0, 0.0, 500.0, 300.0, 0.0])
    plans = {p.channel: p for p in with_cells(base, cells, x, "x").strategy.plans}
    spend = {c: daily_spend(p, 60) for c, p in plans.items()}
    np.testing.assert_allclose(spend["c0"][10:30], 1_000 / 20)
    np.testing.assert_allclose(spend["c0"][30:40], 4_000 / 10)
    assert spend["c0"][:10].sum() == 0 and spend["c0"][40:].sum() == 0
    np.testing.assert_allclose([spend["c1"][:30].sum(), spend["c1"][30:].sum()], [0, 500])
    np.testing.assert_allclose([spend["c2"][:30].sum(), spend["c2"][30:].sum()], [300, 0])

    written = plan_flights(cells, x, float(x.sum()))  # the plan.yaml form runs as a strategy and spends the same
    again = Strategy.from_dict({"flights": written}, 60)
    for p in again.plans:
        np.testing.assert_allclose(daily_spend(p, 60), spend[p.channel], atol=1e-9)
    assert written["c0"] == [{"start": 10, "end": 30, "budget": 1_000.0}, {"start": 30, "end": 40, "budget": 4_000.0}]


def test_seasonal_closed_form_optimum_is_recovered(
    seasonal: Callable[..., Scenario],
    seasonal_closed_form: Callable[[float], np.ndarray],
    not_beaten: Callable[..., None],
) -> None:
    """One channel, two periods, the second converting half as often: the analytic split of 6,000 is 3,824 / 2,176
    (measured: 3,851 / 2,149 in 8 simulated plans; fitted a 4,430 / 2,206 vs 4,500 / 2,250, h 1,752 / 1,808 vs
    1,800). On 16 fresh paired replications the analytic split is not better by more than 3 standard errors, and
    the marginal returns of the two periods are equal at the chosen plan."""
    spec = OptimizeSpec(("c0",), total=6_000.0, objective="new_buyers", periods="2")
    result = optimise(seasonal(), spec)
    truth = seasonal_closed_form(6_000.0)
    assert float(result.chosen.sum()) == 6_000.0
    assert np.abs(result.chosen - truth).max() < 0.03 * 6_000.0, (result.chosen, truth)
    curve = result.curves["new_buyers"]
    np.testing.assert_allclose(curve.a[1] / curve.a[0], 0.5, rtol=0.1)
    marginal = result.allocation["marginal_objective"].to_numpy()
    assert abs(marginal[0] - marginal[1]) < 0.05 * marginal.mean(), marginal
    assert list(result.allocation["period"]) == ["p1", "p2"]

    fresh = seasonal(replications=16, seed=11)
    cells = result.cells
    assert cells is not None
    plans = [with_cells(fresh, cells, x, n) for x, n in ((result.chosen, "found"), (truth, "truth"))]
    not_beaten(fresh, plans)


def test_fixed_total_with_periods_and_a_channel_range(independent: Callable[..., Scenario]) -> None:
    """Three channels over two periods (6 cells), an awkward total, c2 capped at 12,345.67 over both periods and
    c1 at 2,000 in p1: the cells add up to the total exactly, the caps hold, the engine spends the total."""
    total = 29_999.97
    bounds = {"c2": Bound(0.0, 12_345.67), "c1@p1": Bound(0.0, 2_000.0)}
    spec = OptimizeSpec(("c0", "c1", "c2"), total=total, bounds=bounds, periods="2", simulations=23)
    base = independent(replications=3)
    result = optimise(base, spec)
    assert float(np.sum(result.chosen)) == total
    alloc = result.allocation
    assert alloc.groupby("channel")["budget"].sum()["c2"] <= 12_345.67 * (1 + 1e-9)
    assert alloc.set_index(["channel", "period"]).loc[("c1", "p1"), "budget"] <= 2_000.0 * (1 + 1e-9)
    assert result.cells is not None
    spent = simulate_plans(base, [with_cells(base, result.cells, result.chosen, "chosen")])["spend"]
    np.testing.assert_allclose(spent, total, rtol=1e-9)
    refine = result.evaluations[result.evaluations["kind"] == "refine"]
    for _, plan in refine.iterrows():
        assert float(np.sum(plan[list(result.channels)].to_numpy(float))) == total


def test_least_total_over_periods(
    seasonal: Callable[..., Scenario], seasonal_closed_form: Callable[[float], np.ndarray]
) -> None:
    """3,000 incremental new buyers at 90% confidence over the two periods: the least total is T* with
    a_1 x_1/(x_1+b) + a_2 x_2/(x_2+b) = 3,000 at the optimal split of T* (2,695: 1,887 / 807). Measured: 2,769
    (+2.7%, the margin that lifts the one-sided lower bound over the target), split 1,963 / 806 against the closed
    form's 1,931 / 838 for that total."""
    a, b = np.array([4_500.0, 2_250.0]), 1_800.0

    def best(total: float) -> float:
        x = seasonal_closed_form(total)
        return float((a * x / (x + b)).sum())

    lo, hi = 100.0, 20_000.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if best(mid) < 3_000.0 else (lo, mid)
    least = hi
    spec = OptimizeSpec(("c0",), target=Target("new_buyers", 3_000.0, 0.9), periods="2", max_total=20_000.0)
    result = optimise(seasonal(), spec)
    assert float(result.summary["lower_bound"]) >= 3_000.0
    assert least <= result.total <= 1.08 * least, (result.total, least)
    np.testing.assert_allclose(result.chosen, seasonal_closed_form(result.total), atol=0.03 * result.total)


def test_bad_period_requests_are_collected(independent: Callable[..., Scenario]) -> None:
    """An unknown period in a bound, too many periods, a bound per period without periods, too few simulations for
    the cells: nothing is simulated."""
    base = independent(replications=1)
    spec = OptimizeSpec(("c0", "c1"), total=1_000.0, periods="2", bounds={"c0@p9": Bound(0.0, 10.0)})
    with pytest.raises(OptimizeInputError) as info:
        optimise(base, spec)
    assert [p.setting for p in info.value.problems] == ["bounds.c0@p9"]
    assert "unknown period 'p9'" in info.value.problems[0].problem
    with pytest.raises(OptimizeInputError) as info:
        optimise(base, OptimizeSpec(("c0",), total=1_000.0, periods="61"))
    assert "do not fit the 60-day horizon" in str(info.value)
    with pytest.raises(OptimizeInputError) as info:
        optimise(base, OptimizeSpec(("c0",), total=1_000.0, bounds={"c0@p1": Bound(0.0, 10.0)}))
    assert "needs periods" in str(info.value)
    with pytest.raises(OptimizeInputError) as info:
        optimise(base, OptimizeSpec(("c0", "c1"), total=1_000.0, periods="2", simulations=9))
    assert "one per cell" in str(info.value)


def test_settings_start_date_is_a_date() -> None:
    assert Settings(horizon_days=5, start_date="2027-01-15").start_date == datetime.date(2027, 1, 15)
