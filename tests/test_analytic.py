"""Closed-form answers of journeysim.analytic on tiny chains worked by hand, and the matrix exponentials vs ODEs."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.integrate import simpson, solve_ivp

import journeysim.analytic as A
from journeysim.analytic.linalg import closed_classes, van_loan
from journeysim.errors import ConfigError
from journeysim.model.journey import Dwell, Journey
from journeysim.model.population import Population, Segment
from journeysim.model.scenario import Scenario, Settings

CONF = Path(__file__).resolve().parents[1] / "conf" / "journey" / "customer_journey.yaml"


def customer_journey() -> Journey:
    return Journey.from_dict(yaml.safe_load(CONF.read_text()))


def one_step() -> Journey:
    # lead -> buy at 0.3/day, lead -> lost at 0.1/day; buy and lost have no way out.
    # P(buy) = 0.3 / 0.4 = 0.75; the time to leave lead is Exp(0.4) whatever the destination: 2.5 days.
    return Journey(
        stages=("lead", "buy", "lost"),
        entry="lead",
        conversion=("buy",),
        terminal=("lost",),
        rates={"lead": {"buy": 0.3, "lost": 0.1}},
    )


def linear() -> Journey:
    # aware -> interest 0.2, aware -> lost 0.05 (q = 0.25, mean stay 4 days, P(onward) = 0.8)
    # interest -> buy 0.1, interest -> lost 0.1 (q = 0.2, mean stay 5 days, P(buy) = 0.5)
    # P(buy) = 0.8 * 0.5 = 0.4; E[T | buy] = 4 + 5 = 9 days (holding times do not depend on the destination).
    # Visits: aware 1, interest 0.8, buy 0.4, lost 0.2 + 0.4 = 0.6; days: aware 4, interest 0.8 * 5 = 4.
    return Journey(
        stages=("aware", "interest", "buy", "lost"),
        entry="aware",
        conversion=("buy",),
        terminal=("lost",),
        rates={"aware": {"interest": 0.2, "lost": 0.05}, "interest": {"buy": 0.1, "lost": 0.1}},
    )


def back_and_forth() -> Journey:
    # As `linear` but interest also goes back to aware at 0.1 (q_interest = 0.3, each exit 1/3).
    # h_i = 1/3 + h_a / 3 and h_a = 0.8 h_i  =>  h_i = 5/11, h_a = 4/11.
    # m_a = h_a / 0.25 + 0.8 m_i,  m_i = h_i / 0.3 + m_a / 3  =>  m_a = 40/11, so E[T | buy] = m_a / h_a = 10 days.
    # (Check via the conditioned chain: aware -> interest at 0.25, interest -> buy 0.22, -> aware 0.08; visits to
    #  each 15/11; 15/11 * 4 + 15/11 * 10/3 = 110/11 = 10.)
    # Returns to aware: f = 0.8 / 3 = 4/15, visits(aware) = 15/11, visits(interest) = 0.8 * 15/11 = 12/11;
    # days: aware 15/11 * 4 = 60/11, interest 12/11 / 0.3 = 40/11.
    return Journey(
        stages=("aware", "interest", "buy", "lost"),
        entry="aware",
        conversion=("buy",),
        terminal=("lost",),
        rates={"aware": {"interest": 0.2, "lost": 0.05}, "interest": {"buy": 0.1, "aware": 0.1, "lost": 0.1}},
    )


def repeat(churn: float = 0.05) -> Journey:
    # prospect -> buy 0.1, -> lost 0.1 (P = 1/2); buy -> customer 1.0; customer -> buy 0.05, -> lost `churn`.
    # With churn 0.05: P(buy again from customer) = 1/2, so purchases given a first one = 1 / (1 - 1/2) = 2 and
    # E[purchases] = 1/2 * 2 = 1. From customer: 1/2 / (1 - 1/2) = 1. With churn 0 the loop is never left.
    rates: dict[str, dict[str, float]] = {
        "prospect": {"buy": 0.1, "lost": 0.1},
        "buy": {"customer": 1.0},
        "customer": {"buy": 0.05, "lost": churn},
    }
    return Journey(
        stages=("prospect", "buy", "customer", "lost"),
        entry="prospect",
        conversion=("buy",),
        terminal=("lost",),
        rates=rates,
    )


# --------------------------------------------------------------------------- infinite horizon, by hand
def test_one_step_by_hand() -> None:
    j = one_step()
    assert A.conversion_probability(j) == pytest.approx(0.75, rel=1e-12)
    assert A.expected_time_to_purchase(j) == pytest.approx(2.5, rel=1e-12)
    assert A.expected_purchases(j) == pytest.approx(0.75, rel=1e-12)
    assert A.expected_time_in_stage(j).tolist() == pytest.approx([2.5, math.inf, math.inf])
    assert A.stage_reach_probability(j).tolist() == pytest.approx([1.0, 0.75, 0.25])


def test_linear_chain_by_hand() -> None:
    j = linear()
    assert A.conversion_probability(j) == pytest.approx(0.4, rel=1e-12)
    assert A.expected_time_to_purchase(j) == pytest.approx(9.0, rel=1e-12)
    assert A.expected_time_to_purchase(j, start="interest") == pytest.approx(5.0, rel=1e-12)
    assert A.expected_visits(j).tolist() == pytest.approx([1.0, 0.8, 0.4, 0.6], rel=1e-12)
    days = A.expected_time_in_stage(j)
    assert days[["aware", "interest"]].tolist() == pytest.approx([4.0, 4.0], rel=1e-12)
    assert days["buy"] == math.inf and days["lost"] == math.inf
    assert A.stage_reach_probability(j).tolist() == pytest.approx([1.0, 0.8, 0.4, 0.6], rel=1e-12)


def test_back_transition_by_hand() -> None:
    j = back_and_forth()
    assert A.conversion_probability(j) == pytest.approx(4 / 11, rel=1e-12)
    assert A.conversion_probability(j, start="interest") == pytest.approx(5 / 11, rel=1e-12)
    assert A.expected_time_to_purchase(j) == pytest.approx(10.0, rel=1e-12)
    visits = A.expected_visits(j)
    assert visits[["aware", "interest", "buy"]].tolist() == pytest.approx([15 / 11, 12 / 11, 4 / 11], rel=1e-12)
    assert visits["lost"] == pytest.approx(7 / 11, rel=1e-12)
    days = A.expected_time_in_stage(j)
    assert days[["aware", "interest"]].tolist() == pytest.approx([60 / 11, 40 / 11], rel=1e-12)


def test_repeat_purchases_by_hand() -> None:
    j = repeat()
    assert A.expected_purchases(j) == pytest.approx(1.0, rel=1e-12)
    assert A.expected_purchases(j, start="customer") == pytest.approx(1.0, rel=1e-12)
    # Starting in the conversion stage is not a purchase: buy -> customer, then 1 expected purchase.
    assert A.expected_purchases(j, start="buy") == pytest.approx(1.0, rel=1e-12)
    # From buy, a purchase means coming back: P = 1/2, after 1 day in buy and E[Exp(0.1)] = 10 days in customer.
    assert A.conversion_probability(j, start="buy") == pytest.approx(0.5, rel=1e-12)
    assert A.expected_time_to_purchase(j, start="buy") == pytest.approx(11.0, rel=1e-12)
    assert A.conversion_probability(j) == pytest.approx(0.5, rel=1e-12)
    assert A.expected_visits(j)["buy"] == pytest.approx(1.0, rel=1e-12)


def test_purchase_loop_never_left_gives_inf() -> None:
    j = repeat(churn=0.0)
    assert A.expected_purchases(j) == math.inf
    visits = A.expected_visits(j)
    assert visits["buy"] == math.inf and visits["customer"] == math.inf
    assert visits["prospect"] == pytest.approx(1.0)
    assert visits["lost"] == pytest.approx(0.5)
    assert A.conversion_probability(j) == pytest.approx(0.5)
    assert A.expected_time_in_stage(j)["customer"] == math.inf
    assert A.summary(j)["expected_lifetime_days"] == math.inf
    # From inside the loop only the loop is visited.
    inside = A.expected_visits(j, start="customer")
    assert inside["prospect"] == 0.0 and inside["lost"] == 0.0 and inside["buy"] == math.inf
    # Finite horizons stay finite: 1 purchase per 21 days in the loop (1 day in buy, 20 in customer).
    assert A.expected_purchases(j, start="customer", horizon=2100.0) == pytest.approx(100.0, rel=0.01)


def test_loop_without_conversion_is_closed_and_never_converts() -> None:
    j = Journey(
        stages=("lead", "buy", "dormant", "lapsed"),
        entry="lead",
        conversion=("buy",),
        rates={"lead": {"buy": 0.1, "dormant": 0.3}, "dormant": {"lapsed": 0.2}, "lapsed": {"dormant": 0.5}},
    )
    assert closed_classes(j.rate_matrix()).tolist() == [False, True, True, True]
    assert A.conversion_probability(j) == pytest.approx(0.25)
    assert A.conversion_probability(j, start="dormant") == 0.0
    assert math.isnan(A.expected_time_to_purchase(j, start="dormant"))
    assert A.expected_visits(j).tolist() == pytest.approx([1.0, 0.25, math.inf, math.inf])


def test_start_with_no_way_out() -> None:
    j = linear()
    assert A.conversion_probability(j, start="lost") == 0.0
    assert A.conversion_probability(j, start="buy") == 0.0
    assert A.conversion_probability(j, start="buy", horizon=10.0) == 0.0
    assert math.isnan(A.expected_time_to_purchase(j, start="lost"))
    assert A.expected_visits(j, start="lost").tolist() == [0.0, 0.0, 0.0, 1.0]
    assert A.expected_purchases(j, start="buy") == 0.0
    assert A.stage_reach_probability(j, start="buy").tolist() == [0.0, 0.0, 1.0, 0.0]


def test_several_conversion_stages_count_every_entry() -> None:
    # buy -> upgrade is a second purchase: lead -> buy (1/2), buy -> upgrade (1/2), so purchases = 1/2 + 1/4.
    j = Journey(
        stages=("lead", "buy", "upgrade", "lost"),
        entry="lead",
        conversion=("buy", "upgrade"),
        terminal=("lost",),
        rates={"lead": {"buy": 0.2, "lost": 0.2}, "buy": {"upgrade": 1.0, "lost": 1.0}, "upgrade": {"lost": 1.0}},
    )
    assert A.conversion_probability(j) == pytest.approx(0.5)
    assert A.expected_purchases(j) == pytest.approx(0.75)
    assert A.expected_purchases(j, horizon=1e4) == pytest.approx(0.75, rel=1e-9)


# --------------------------------------------------------------------------- finite horizon
def test_one_step_finite_horizon_by_hand() -> None:
    j, mu = one_step(), 0.4
    for t in (0.0, 0.5, 3.0, 20.0):
        assert A.conversion_probability(j, horizon=t) == pytest.approx(0.75 * (1 - math.exp(-mu * t)), abs=1e-13)
        assert A.expected_purchases(j, horizon=t) == pytest.approx(0.75 * (1 - math.exp(-mu * t)), abs=1e-13)
        assert A.expected_time_in_stage(j, horizon=t)["lead"] == pytest.approx((1 - math.exp(-mu * t)) / mu)
    for t in (0.5, 3.0, 20.0):
        # Given a purchase, its time is Exp(0.4): E[T | T <= H] = 1/mu - H e^{-mu H} / (1 - e^{-mu H}).
        want = 1 / mu - t * math.exp(-mu * t) / (1 - math.exp(-mu * t))
        assert A.expected_time_to_purchase(j, horizon=t) == pytest.approx(want, rel=1e-10)
    assert math.isnan(A.expected_time_to_purchase(j, horizon=0.0))


@pytest.mark.parametrize("make", [linear, back_and_forth, repeat, customer_journey])
def test_finite_horizon_tends_to_infinite_horizon(make: Callable[[], Journey]) -> None:
    j = make()
    t = 1e4
    assert A.conversion_probability(j, horizon=t) == pytest.approx(A.conversion_probability(j), rel=1e-9)
    assert A.expected_time_to_purchase(j, horizon=t) == pytest.approx(A.expected_time_to_purchase(j), rel=1e-8)
    assert A.expected_purchases(j, horizon=t) == pytest.approx(A.expected_purchases(j), rel=1e-9)
    np.testing.assert_allclose(A.stage_reach_probability(j, horizon=t), A.stage_reach_probability(j), rtol=1e-9)
    np.testing.assert_allclose(A.expected_visits(j, horizon=t), A.expected_visits(j), rtol=1e-9)
    finite = A.expected_time_in_stage(j, horizon=t)
    infinite = A.expected_time_in_stage(j)
    alive = np.isfinite(infinite.to_numpy())
    np.testing.assert_allclose(finite[alive], infinite[alive], rtol=1e-9)
    # Stages with no way out accumulate the remaining time: not converged, but growing with the horizon.
    assert np.all(finite[~alive] > 0.5 * t * A.stage_reach_probability(j)[~alive])


def test_finite_horizon_is_monotone_in_the_horizon() -> None:
    j = customer_journey()
    horizons = [1.0, 7.0, 30.0, 90.0, 365.0]
    conv = [A.conversion_probability(j, horizon=t) for t in horizons]
    buys = [A.expected_purchases(j, horizon=t) for t in horizons]
    assert np.all(np.diff(conv) > 0) and np.all(np.diff(buys) > 0)
    assert conv[-1] < A.conversion_probability(j) + 1e-12


def _ode_reference(j: Journey, t_end: float, start: int) -> tuple[np.ndarray, np.ndarray]:
    """p(T) and int_0^T p(t) dt by integrating dp/dt = p Q directly (an independent check of the expm)."""
    q = j.generator()
    n = q.shape[0]

    def rhs(_: float, y: np.ndarray) -> np.ndarray:
        p = y[:n]
        return np.concatenate([p @ q, p])

    y0 = np.zeros(2 * n)
    y0[start] = 1.0
    sol = solve_ivp(rhs, (0.0, t_end), y0, method="DOP853", rtol=1e-11, atol=1e-13)
    return sol.y[:n, -1], sol.y[n:, -1]


@pytest.mark.parametrize("t_end", [5.0, 60.0, 365.0])
def test_expm_matches_direct_ode(t_end: float) -> None:
    j = customer_journey()
    p, integral = _ode_reference(j, t_end, j.entry_index)
    rates = j.rate_matrix()
    buy = j.index("purchase")
    days = A.expected_time_in_stage(j, horizon=t_end).to_numpy()
    np.testing.assert_allclose(days, integral, rtol=1e-7, atol=1e-9)
    assert A.expected_purchases(j, horizon=t_end) == pytest.approx(integral @ rates[:, buy], rel=1e-7)
    occ = A.expected_occupancy(j, 0.0, t_end, initial={"awareness": 1.0}).to_numpy()
    np.testing.assert_allclose(occ, p, rtol=1e-7, atol=1e-11)

    # Conversion by T: the same ODE with the purchase stage made absorbing.
    absorbing = Journey(
        stages=j.stages,
        entry=j.entry,
        conversion=j.conversion,
        terminal=(*j.terminal, "purchase"),
        rates={s: row for s, row in j.rates.items() if s != "purchase"},
    )
    p_abs, _ = _ode_reference(absorbing, t_end, j.entry_index)
    assert A.conversion_probability(j, horizon=t_end) == pytest.approx(p_abs[buy], rel=1e-7)


def test_expm_matches_uniformisation_series() -> None:
    # exp(QT) = sum_k Poisson(k; L T) (I + Q / L)^k with L >= max total rate: a positive series, no cancellation.
    j = back_and_forth()
    q = j.generator()
    lam = float(-q.diagonal().min())
    t = 12.0
    step = np.eye(q.shape[0]) + q / lam
    term = np.eye(q.shape[0])
    series = np.zeros_like(q)
    weight = math.exp(-lam * t)
    for k in range(200):
        series += weight * term
        term = term @ step
        weight *= lam * t / (k + 1)
    e, _ = van_loan(q, t)
    np.testing.assert_allclose(e, series, rtol=1e-10, atol=1e-14)
    # The purchase stage is absorbing here, so P(buy by T) is exp(QT)[aware, buy].
    assert A.conversion_probability(j, horizon=t) == pytest.approx(series[0, 2], rel=1e-10)


def test_van_loan_second_integral_by_quadrature() -> None:
    q = back_and_forth().generator()
    t = 7.0
    _, f1, f2 = van_loan(q, t, order=2)
    grid = np.linspace(0.0, t, 4001)
    ex = np.array([van_loan(q, u)[0] for u in grid])
    np.testing.assert_allclose(f1, simpson(ex, x=grid, axis=0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(f2, simpson((t - grid)[:, None, None] * ex, x=grid, axis=0), rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- arrivals and Little's law
def test_occupancy_and_purchases_with_arrivals_by_hand() -> None:
    # One stage left at mu = a + b: E[N(T)] = lam / mu (1 - e^{-mu T}); purchases over [0, T] by arrivals:
    # lam int_0^T P(buy by T - s) ds = lam a / mu (T - (1 - e^{-mu T}) / mu).
    j, lam, a, mu = one_step(), 50.0, 0.3, 0.4
    for t in (1.0, 10.0, 100.0):
        occ = A.expected_occupancy(j, lam, t)
        assert occ["lead"] == pytest.approx(lam / mu * (1 - math.exp(-mu * t)), rel=1e-11)
        assert occ["buy"] == pytest.approx(lam * a / mu * (t - (1 - math.exp(-mu * t)) / mu), rel=1e-11)
        buys = A.expected_purchases_with_arrivals(j, lam, t)
        assert buys == pytest.approx(lam * a / mu * (t - (1 - math.exp(-mu * t)) / mu), rel=1e-11)
    # Initial customers add their own cohort answers.
    both = A.expected_purchases_with_arrivals(j, lam, 10.0, initial={"lead": 100})
    assert both == pytest.approx(A.expected_purchases_with_arrivals(j, lam, 10.0) + 100 * 0.75 * (1 - math.exp(-4)))


def test_littles_law_in_the_long_run() -> None:
    # Steady state: customers in a stage = arrivals per day x expected days a customer spends there.
    j, lam = customer_journey(), 120.0
    occ = A.expected_occupancy(j, lam, 20000.0)
    days = A.expected_time_in_stage(j)
    alive = [s for s in j.stages if s not in j.terminal]
    np.testing.assert_allclose(occ[alive], lam * days[alive], rtol=1e-9)
    # Purchases per day in the long run = arrivals x purchases per customer.
    d1 = A.expected_purchases_with_arrivals(j, lam, 20001.0) - A.expected_purchases_with_arrivals(j, lam, 20000.0)
    assert d1 == pytest.approx(lam * A.expected_purchases(j), rel=1e-7)


def test_entry_stage_that_is_a_conversion_counts_arrivals_as_purchases() -> None:
    j = Journey(stages=("buy", "lost"), entry="buy", conversion=("buy",), rates={"buy": {"lost": 1.0}})
    assert A.expected_purchases_with_arrivals(j, 10.0, 3.0) == pytest.approx(30.0)
    assert A.expected_purchases_with_arrivals(j, 0.0, 3.0, initial={"buy": 5}) == 0.0


def _scenario(journey: Journey, *segments: Segment, horizon: int = 365) -> Scenario:
    return Scenario(journey, Population(tuple(segments)), Settings(horizon_days=horizon))


def test_timeseries_with_flat_arrivals_matches_the_constant_rate_answers() -> None:
    j = customer_journey()
    sc = _scenario(j, Segment("b2c", initial={"awareness": 300, "loyalty": 50}, arrivals_per_day=40.0), horizon=90)
    ts = A.expected_timeseries(sc)
    assert list(ts.columns) == ["day", "segment", "arrivals", *j.stages, "purchases"]
    assert len(ts) == 90
    init = {"awareness": 300, "loyalty": 50}
    for day in (0, 9, 89):
        want = A.expected_occupancy(j, 40.0, day + 1.0, initial=init)
        np.testing.assert_allclose(ts.loc[day, list(j.stages)].to_numpy(float), want.to_numpy(), rtol=1e-9)
    total = A.expected_purchases_with_arrivals(j, 40.0, 90.0, initial=init)
    assert ts["purchases"].sum() == pytest.approx(total, rel=1e-9)


def test_timeseries_with_weekly_and_seasonal_profile_by_superposition() -> None:
    # Arrivals during day d contribute lam_d * (occupancy(T - d) - occupancy(T - d - 1)) at time T (linearity).
    j = customer_journey()
    seg = Segment("b2b", arrivals_per_day=25.0, weekly=(1, 1, 1, 1, 1, 0.3, 0.2), seasonal_amplitude=0.5)
    sc = _scenario(j, seg, horizon=30)
    ts = A.expected_timeseries(sc)
    lam = seg.intensity(30)
    t = 30.0
    want = sum(
        lam[d] * (A.expected_occupancy(j, 1.0, t - d).to_numpy() - A.expected_occupancy(j, 1.0, t - d - 1).to_numpy())
        for d in range(30)
    )
    np.testing.assert_allclose(ts.loc[29, list(j.stages)].to_numpy(float), want, rtol=1e-9)
    buys = sum(
        lam[d]
        * (A.expected_purchases_with_arrivals(j, 1.0, t - d) - A.expected_purchases_with_arrivals(j, 1.0, t - d - 1))
        for d in range(30)
    )
    assert ts["purchases"].sum() == pytest.approx(buys, rel=1e-9)
    np.testing.assert_allclose(ts["arrivals"], lam)


# --------------------------------------------------------------------------- segments, semi-Markov, summary
def test_segment_rates_are_used() -> None:
    j = back_and_forth()
    sc = _scenario(
        j,
        Segment("base"),
        Segment("fast", rate_multiplier=2.0),
        Segment("tuned", transition_multipliers={"interest": {"buy": 2.0}}),
    )
    base = A.conversion_probability(sc, segment="base")
    assert base == pytest.approx(A.conversion_probability(j))
    # Doubling every rate keeps the jump chain (same probability) and halves every time.
    assert A.conversion_probability(sc, segment="fast") == pytest.approx(base)
    assert A.expected_time_to_purchase(sc, segment=1) == pytest.approx(5.0)
    assert A.conversion_probability(sc, horizon=10.0, segment="fast") == pytest.approx(
        A.conversion_probability(j, horizon=20.0)
    )
    # interest -> buy at 0.2: h_i = 1/2 + h_a / 4, h_a = 0.8 h_i  =>  h_i = 1/2 / 0.8 = 5/8, h_a = 1/2.
    assert A.conversion_probability(sc, segment="tuned") == pytest.approx(0.5)


def test_semi_markov_keeps_infinite_horizon_answers_and_warns_for_finite_ones() -> None:
    j = back_and_forth()
    semi = Journey(
        stages=j.stages,
        entry=j.entry,
        conversion=j.conversion,
        terminal=j.terminal,
        rates=j.rates,
        dwell={"interest": Dwell("gamma", 0.5)},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert A.conversion_probability(semi) == pytest.approx(4 / 11)
        assert A.expected_time_to_purchase(semi) == pytest.approx(10.0)
        np.testing.assert_allclose(A.expected_visits(semi), A.expected_visits(j))
        A.expected_occupancy(j, 1.0, 10.0)
    with pytest.warns(A.SemiMarkovWarning, match="interest"):
        A.conversion_probability(semi, horizon=10.0)
    with pytest.warns(A.SemiMarkovWarning):
        A.expected_occupancy(semi, 1.0, 10.0)


def test_scenario_interventions_are_ignored_with_a_warning() -> None:
    from journeysim.interventions import RateMultiplier, Strategy

    j = back_and_forth()
    fix = Strategy(rate_multipliers=(RateMultiplier("interest", "buy", 2.0, 10, 20),))
    sc = Scenario(j, Population((Segment("everyone"),)), Settings(horizon_days=30), strategy=fix)
    with pytest.warns(A.InterventionsIgnoredWarning, match="strategy"):
        assert A.conversion_probability(sc) == pytest.approx(4 / 11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A.conversion_probability(_scenario(j, Segment("everyone")))


def test_summary_headline_numbers() -> None:
    j = back_and_forth()
    s = A.summary(j, horizon=30.0)
    assert s["conversion_probability"] == pytest.approx(4 / 11)
    assert s["expected_days_to_purchase"] == pytest.approx(10.0)
    assert s["expected_purchases"] == pytest.approx(4 / 11)
    assert s["purchases_per_buyer"] == pytest.approx(1.0)
    assert s["expected_lifetime_days"] == pytest.approx(100 / 11)
    assert s["churn_probability"] == pytest.approx(7 / 11)
    assert s["horizon_days"] == 30.0
    assert s["conversion_probability_within_horizon"] == pytest.approx(A.conversion_probability(j, horizon=30.0))
    assert set(A.summary(j)) == {
        "conversion_probability",
        "expected_days_to_purchase",
        "expected_purchases",
        "purchases_per_buyer",
        "expected_lifetime_days",
        "churn_probability",
    }


# --------------------------------------------------------------------------- input checks
def test_bad_inputs_raise_clear_errors() -> None:
    j = linear()
    with pytest.raises(ConfigError, match=r"start: unknown stage 'intrest' \(did you mean 'interest'\?\)"):
        A.conversion_probability(j, start="intrest")
    for bad in (-1.0, math.nan, "soon"):
        with pytest.raises(ConfigError, match="horizon"):
            A.conversion_probability(j, horizon=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="horizon: must be finite"):
        A.expected_occupancy(j, 1.0, math.inf)
    with pytest.raises(ConfigError, match="arrivals_per_day"):
        A.expected_occupancy(j, -1.0, 10.0)
    with pytest.raises(ConfigError, match="initial"):
        A.expected_occupancy(j, 1.0, 10.0, initial=[1.0, 2.0])
    with pytest.raises(ConfigError, match=r"initial\.awarness"):
        A.expected_occupancy(j, 1.0, 10.0, initial={"awarness": 3})
    with pytest.raises(ConfigError, match="segment"):
        A.conversion_probability(j, segment="b2b")
    sc = _scenario(j, Segment("b2c"), Segment("b2b"))
    with pytest.raises(ConfigError, match="2 segments"):
        A.conversion_probability(sc)
    with pytest.raises(ConfigError, match="did you mean 'b2b'"):
        A.conversion_probability(sc, segment="b2bb")
    with pytest.raises(ConfigError, match="out of range"):
        A.conversion_probability(sc, segment=2)
    with pytest.raises(TypeError):
        A.conversion_probability("journey")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="whole number"):
        A.expected_timeseries(sc, horizon=2.5)
    # math.inf is accepted as "infinite horizon"
    assert A.conversion_probability(j, horizon=math.inf) == pytest.approx(0.4)
