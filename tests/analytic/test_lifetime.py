"""Lifetime value in closed form: the killed-chain fundamental matrix against values worked by hand, and the
simulated lifetime CLV against its exact expectation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from journeysim.analytic.lifetime import customer_rates, lifetime_view, stage_values
from journeysim.model import Journey, Scenario
from journeysim.model.heterogeneity import Heterogeneity
from journeysim.study.run import run, simulate

DELTA = math.log1p(0.10) / 365.0  # the default 10% a year, per day
LAM, MU, RHO, ALPHA, M = 0.02, 0.01, 4.0, 0.05, 30.0


def loyalty_journey(alpha: float = ALPHA) -> dict[str, Any]:
    """prospect -(alpha)-> purchase -(rho)-> loyalty; loyalty -(lambda)-> purchase, -(mu)-> churned."""
    return {
        "name": "loyalty",
        "stages": ["prospect", "purchase", "loyalty", "churned"],
        "entry": "prospect",
        "conversion": ["purchase"],
        "terminal": ["churned"],
        "positions": {"prospect": "bottom", "purchase": "bottom", "loyalty": "post_purchase", "churned": "exit"},
        "rates": {
            "prospect": {"purchase": alpha},
            "purchase": {"loyalty": RHO},
            "loyalty": {"purchase": LAM, "churned": MU},
        },
    }


def hand_values() -> tuple[float, float]:
    """Worked by hand: v_L = lambda/(lambda+mu+delta) (m + v_P), v_P = rho/(rho+delta) v_L, so
    v_L = lambda m / (lambda + mu + delta - lambda rho / (rho + delta)); -> lambda m / (mu + delta) as rho -> inf."""
    v_l = LAM * M / (LAM + MU + DELTA - LAM * RHO / (RHO + DELTA))
    return v_l, RHO / (RHO + DELTA) * v_l


def test_loyalty_stage_is_worth_lambda_m_over_mu_plus_delta() -> None:
    j = Journey.from_dict(loyalty_journey())
    v = stage_values(j.rate_matrix(), j.conversion_indices, M, DELTA)
    v_l, v_p = hand_values()
    assert v[j.index("loyalty")] == pytest.approx(v_l, rel=1e-12)
    assert v[j.index("purchase")] == pytest.approx(v_p, rel=1e-12)
    assert v[j.index("churned")] == 0.0
    # prospect: e^{-delta T1}, T1 ~ Exp(alpha), then a purchase (m) and the purchase stage's value
    assert v[j.index("prospect")] == pytest.approx(ALPHA / (ALPHA + DELTA) * (M + v_p), rel=1e-12)
    fast = {**loyalty_journey(), "rates": {**loyalty_journey()["rates"], "purchase": {"loyalty": 1e7}}}
    jf = Journey.from_dict(fast)
    vf = stage_values(jf.rate_matrix(), jf.conversion_indices, M, DELTA)[jf.index("loyalty")]
    assert vf == pytest.approx(LAM * M / (MU + DELTA), rel=1e-5)  # 58.47 at 10% a year


def test_without_discounting_the_value_is_m_times_expected_repeat_purchases() -> None:
    """delta = 0: from loyalty a customer buys a Geometric number of times, mean lambda / mu = 2, so v_L = 2 m;
    a chain that never ends has no finite value."""
    j = Journey.from_dict(loyalty_journey())
    assert stage_values(j.rate_matrix(), j.conversion_indices, M, 0.0)[j.index("loyalty")] == pytest.approx(2 * M)
    forever = j.rate_matrix()
    forever[j.index("loyalty"), j.index("churned")] = 0.0
    assert math.isinf(stage_values(forever, j.conversion_indices, M, 0.0)[j.index("loyalty")])


def test_a_customers_effects_give_its_own_value() -> None:
    """A gamma multiplier on the repeat edge: the customer with value 2 repeats at 2 lambda."""
    j = Journey.from_dict(loyalty_journey())
    het = Heterogeneity.from_dict(
        "h", {"freq": {"kind": "gamma", "shape": 1.0, "transitions": {"loyalty": ["purchase"]}}}
    )
    own = customer_rates(j.rate_matrix(), j, het, np.array([[2.0], [0.5]]))
    v = stage_values(own, j.conversion_indices, M, DELTA)[:, j.index("loyalty")]
    for k, f in enumerate((2.0, 0.5)):
        lam = f * LAM
        assert v[k] == pytest.approx(lam * M / (lam + MU + DELTA - lam * RHO / (RHO + DELTA)), rel=1e-12)


def test_simulated_lifetime_clv_matches_the_closed_form() -> None:
    """4,000 prospects at day 0, 60 days, fixed order value 30, 8 replications. Lifetime PV of a prospect who
    buys at T1 is e^{-delta T1} (m + v_P) whatever the horizon (in-horizon margin + future value at the horizon is
    an unbiased split of it), so clv_lifetime -> E[e^{-delta T1} | T1 <= H] (m + v_P) with
    E[e^{-delta T1} | T1 <= H] = alpha/(alpha+delta) (1 - e^{-(alpha+delta) H}) / (1 - e^{-alpha H}).
    Checked within 4 SE of the replications' mean; the horizon clv is far below it (the test has power)."""
    h = 60
    sc = Scenario.from_dict(
        {
            "journey": loyalty_journey(),
            "population": {"segments": {"c": {"initial": {"prospect": 4000}, "order_value": {"mean": M}}}},
            "sim": {"horizon_days": h, "replications": 8, "seed": 11},
        }
    )
    result = run(sc)
    _, v_p = hand_values()
    first = ALPHA / (ALPHA + DELTA) * (1 - math.exp(-(ALPHA + DELTA) * h)) / (1 - math.exp(-ALPHA * h))
    want = first * (M + v_p)
    got = result.samples["clv_lifetime"]
    se = got.std(ddof=1) / math.sqrt(len(got))
    assert abs(got.mean() - want) < 4 * se + 1e-9, (got.mean(), want, se)
    assert result.samples["clv"].mean() < want - 20 * se  # horizon CLV leaves most of the value out


def test_future_values_come_from_each_customers_final_stage() -> None:
    sc = Scenario.from_dict(
        {
            "journey": loyalty_journey(),
            "population": {"segments": {"c": {"initial": {"loyalty": 300}, "order_value": {"mean": M}}}},
            "sim": {"horizon_days": 30, "replications": 1, "seed": 3},
        }
    )
    rec = simulate(sc, np.random.SeedSequence(3))
    view = lifetime_view(sc, rec)
    j = sc.journey
    v_l, v_p = hand_values()
    stage = rec.customers.final_stage
    want = np.select([stage == j.index("loyalty"), stage == j.index("purchase")], [v_l, v_p], 0.0)
    np.testing.assert_allclose(view.future, want, rtol=1e-12)
    np.testing.assert_allclose(view.discount, math.exp(-DELTA * 30))
    assert view.margin_curve.size == 0  # nobody started as a prospect: no acquired customers


def _two_segments(strategy: dict[str, Any]) -> Scenario:
    journey = loyalty_journey(alpha=0.0005)
    journey["rates"]["prospect"]["churned"] = 0.0005
    segments = {
        "bargain": {"initial": {"prospect": 1500}, "order_value": {"mean": 20.0}},
        "premium": {"initial": {"prospect": 1500}, "order_value": {"mean": 30.0}},
    }
    return Scenario.from_dict(
        {
            "journey": journey,
            "population": {"segments": segments},
            "strategy": strategy,
            "sim": {"horizon_days": 90, "replications": 4, "seed": 5},
        }
    )


def test_late_acquisition_no_longer_looks_worse_than_early_low_value() -> None:
    """Early: bargain prospects (order value 20) bought in days 0-10; late: premium prospects (30) bought in days
    80-90. Within the horizon the early cohort has had time to repeat and looks better (measured 44 vs 33 per new
    buyer); over their lifetimes the premium customers are worth half as much again (1 + lambda/(mu+delta) = 2.95
    orders each, discounted to entry: about 59 vs 87; measured 60 vs 85)."""

    def push(segment: str, start: int) -> dict[str, Any]:
        rm = {"from": "prospect", "to": "purchase", "factor": 400, "start": start, "end": start + 10}
        return {"rate_multipliers": [{**rm, "segments": [segment]}]}

    early = run(_two_segments(push("bargain", 0))).samples
    late = run(_two_segments(push("premium", 80))).samples
    assert early["clv"].mean() > late["clv"].mean()
    assert late["clv_lifetime"].mean() > 1.3 * early["clv_lifetime"].mean()


def test_customer_rates_agree_with_the_analytic_journey_of_one_customer() -> None:
    """BG/NBD effects (a gamma purchase rate and a beta drop-out at the purchase): the stacked per-customer rates
    are the rate matrices of `analytic.heterogeneity.journey_for`, customer by customer."""
    from journeysim.analytic.heterogeneity import journey_for
    from journeysim.study.btyd.option import btyd_heterogeneity, btyd_journey

    params = (0.243, 4.414, 0.793, 2.426)
    j = Journey.from_dict(btyd_journey("bgnbd", params, unit="weeks"))
    het = Heterogeneity.from_dict("h", btyd_heterogeneity("bgnbd", params, "weeks"))
    values = np.array([[0.2, 0.1], [3.0, 0.7], [1.0, 0.0]])
    own = customer_rates(j.rate_matrix(), j, het, values)
    for k, v in enumerate(values):
        np.testing.assert_allclose(own[k], journey_for(j, het, list(v)).rate_matrix(), rtol=1e-12)
    # without discounting: each purchase is the last with probability p, so an active customer buys a
    # Geometric(p) number of times, mean 1 / p: its value from `active` is m / p (m = 1 here)
    v0 = stage_values(own, j.conversion_indices, 1.0, 0.0)[:, j.index("active")]
    np.testing.assert_allclose(v0[:2], 1.0 / values[:2, 1], rtol=1e-9)
    assert math.isinf(v0[2])  # never drops out, never discounted: no finite value
