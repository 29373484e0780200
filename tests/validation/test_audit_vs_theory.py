"""An independent audit of the engine and the metrics against theory derived here, not in `journeysim.analytic`.

Each test builds a small scenario, derives the exact answer by hand (matrix exponentials of the generator,
piecewise per day when rates change, mean equations, recurrences) and checks the fast engine within
`TOLERANCE_SE` standard errors estimated from the simulated sample. Covered here and nowhere else:
metric formulas recomputed from the event log, discounted CLV (from each prospect's entry), two conversion
stages with a repeat loop, several overlapping rate windows and channels with a deterministic response, arrival
lifts (up and down) on a weekly and seasonal intensity, a channel lifting referrals with a fee per referral,
Bass with adopters at day 0, gamma / lognormal / Weibull dwell distributions with competing exits, contagion
from stages (the documented daily recurrence) and a horizon longer than the engine's day-bucket calendar.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import special, stats
from scipy.linalg import expm
from theory_check import binomial_se, mean_se, within_se

from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.metrics import scalar_metrics
from journeysim.model import Scenario

ABC = {
    "stages": ["a", "b", "c", "lost"],
    "entry": "a",
    "conversion": ["c"],
    "terminal": ["lost"],
}


def simulate(sc: Scenario, seed: int | np.random.SeedSequence, event_log: bool = False) -> Records:
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return simulate_fast(Plan.compile(sc, seq), event_log=event_log)


def generator(rates: np.ndarray) -> np.ndarray:
    return rates - np.diag(rates.sum(axis=1))


def van_loan(q: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """exp(Qt), int_0^t exp(Qu) du and int_0^t (t - u) exp(Qu) du."""
    n = q.shape[0]
    big = np.zeros((3 * n, 3 * n))
    big[:n, :n] = q
    big[:n, n : 2 * n] = np.eye(n)
    big[n : 2 * n, 2 * n :] = np.eye(n)
    e = expm(big * t)
    return e[:n, :n], e[:n, n : 2 * n], e[:n, 2 * n :]


def discounted_margin_per_customer(rec: Records, margin: float, delta: float) -> np.ndarray:
    """From the event log: each customer's margin on purchases, discounted from their entry time."""
    assert rec.events is not None
    ev = rec.events
    conv = [rec.stages[i] for i in rec.conversion]
    buys = ev[ev["to_stage"].isin(conv)]
    cust = buys["customer"].to_numpy()
    age = buys["time"].to_numpy() - rec.customers.entry_time[cust]
    return np.bincount(cust, weights=margin * np.exp(-delta * age), minlength=len(rec.customers))


# ---------------------------------------------------------------------------------------------------- metrics


def test_every_metric_formula_recomputed_from_the_event_log() -> None:
    """docs/metrics.md formulas, recomputed per customer from the event log; two segments, prospects and existing
    customers (in the conversion stage, loyalty and advocacy at day 0), two terminal stages."""
    journey = {
        "stages": ["aware", "consider", "buy", "loyal", "advocacy", "lost", "churned"],
        "entry": "aware",
        "conversion": ["buy"],
        "terminal": ["lost", "churned"],
        "rates": {
            "aware": {"consider": 0.3, "lost": 0.1, "buy": 0.05},
            "consider": {"buy": 0.2, "aware": 0.1, "lost": 0.1},
            "buy": {"loyal": 1.5, "churned": 0.3},
            "loyal": {"buy": 0.1, "consider": 0.05, "advocacy": 0.05, "churned": 0.02},
            "advocacy": {"buy": 0.08, "churned": 0.01},
        },
    }
    sc = Scenario.from_dict(
        {
            "journey": journey,
            "population": {
                "segments": {
                    "a": {
                        "initial": {"aware": 300, "loyal": 200, "buy": 50},
                        "arrivals_per_day": 20,
                        "order_value": {"kind": "lognormal", "mean": 80, "cv": 0.5, "margin": 0.4},
                    },
                    "b": {
                        "initial": {"consider": 100, "advocacy": 40},
                        "arrivals_per_day": 5,
                        "rate_multiplier": 1.7,
                        "order_value": {"kind": "fixed", "mean": 300, "margin": 0.25},
                    },
                }
            },
            "sim": {"horizon_days": 60, "discount_rate_annual": 0.5},
        }
    )
    rec = simulate(sc, 3, event_log=True)
    m = scalar_metrics(rec, spend=1000.0)
    assert rec.events is not None
    ev, c = rec.events, rec.customers
    n, n_st = len(c), rec.n_stages
    to = ev["to_stage"].cat.codes.to_numpy()
    frm = ev["from_stage"].cat.codes.to_numpy()
    who = ev["customer"].to_numpy()
    t = ev["time"].to_numpy()
    bought = to == 2  # entries into buy
    purchases = np.bincount(who[bought], minlength=n)
    first = np.full(n, np.inf)
    np.minimum.at(first, who[bought], t[bought])
    final = c.start_stage.astype(np.int64).copy()
    final[who] = to  # the log is in time order: the last write is the final stage
    prospect = np.isin(c.start_stage, [0, 1])  # aware (top) and consider (middle); buy, loyal, advocacy are not
    buyer = purchases > 0
    ended = np.isin(final, [5, 6])
    cycle = prospect & buyer & (c.start_stage == 0)
    # segment b's purchases carry a fixed margin of 75; its prospects' part of the CLV is discounted from entry
    delta = math.log(1.5) / 365
    seg_b = c.segment[who[bought]] == 1
    age = t[bought] - c.entry_time[who[bought]]
    clv_b = float(np.sum((75.0 * np.exp(-delta * age))[seg_b & prospect[who[bought]]]))
    expected = {
        "customers": n,
        "new_prospects": int((frm == n_st).sum()),
        "prospects": int(prospect.sum()),
        "purchases": int(purchases.sum()),
        "buyers": int(buyer.sum()),
        "new_buyers": int((prospect & buyer).sum()),
        "conversion_rate": (prospect & buyer).sum() / prospect.sum(),
        "purchases_per_customer": purchases.sum() / n,
        "purchases_per_buyer": purchases.sum() / buyer.sum(),
        "repeat_purchase_rate": (purchases >= 2).sum() / buyer.sum(),
        "sales_cycle_days_mean": float(np.mean(first[cycle] - c.entry_time[cycle])),
        "sales_cycle_days_p90": float(np.percentile(first[cycle] - c.entry_time[cycle], 90)),
        "dropout_rate": (prospect & ~buyer & ended).sum() / prospect.sum(),
        "customer_churn_rate": (buyer & ended).sum() / buyer.sum(),
        "retention_rate": 1 - (buyer & ended).sum() / buyer.sum(),
        "advocacy_balance": 100 * ((buyer & (final == 4)).sum() - (buyer & ended).sum()) / buyer.sum(),
        "cpa": 1000.0 / purchases.sum(),
        "cac": 1000.0 / (prospect & buyer).sum(),
    }
    for name, want in expected.items():
        assert m[name] == pytest.approx(float(want), rel=1e-12), name
    np.testing.assert_array_equal(purchases, c.purchases)
    np.testing.assert_array_equal(final, c.final_stage)
    assert rec.prospect_clv[1] == pytest.approx(clv_b, rel=1e-10)
    assert m["profit"] == pytest.approx(m["margin"] - 1000.0)


# ---------------------------------------------------------------------------------------------------- cohorts


def test_two_conversion_stages_repeat_loop_and_discounted_clv() -> None:
    """buy and rebuy both convert; loyal -> rebuy -> loyal repeats. Purchases in 60 days = int_0^T p(u) du @ r_C,
    occupancy = p0 exp(QT) at three times, and the discounted margin per prospect =
    margin x int_0^T p0 exp((Q - delta I) u) du @ r_C (continuous discounting from entry)."""
    journey = {
        "stages": ["aware", "consider", "buy", "loyal", "rebuy", "lost", "churned"],
        "entry": "aware",
        "conversion": ["buy", "rebuy"],
        "terminal": ["lost", "churned"],
        "rates": {
            "aware": {"consider": 0.5, "lost": 0.1},
            "consider": {"buy": 0.4, "aware": 0.2, "lost": 0.1},
            "buy": {"loyal": 3.0, "rebuy": 0.5},
            "loyal": {"rebuy": 0.3, "churned": 0.03, "consider": 0.05},
            "rebuy": {"loyal": 4.0, "churned": 0.2},
        },
    }
    n, horizon, margin = 40_000, 60, 5.0
    sc = Scenario.from_dict(
        {
            "journey": journey,
            "population": {
                "segments": {
                    "s": {"initial": {"aware": n}, "order_value": {"kind": "fixed", "mean": 10, "margin": 0.5}}
                }
            },
            "sim": {"horizon_days": horizon, "discount_rate_annual": 20.0},
        }
    )
    rates = sc.journey.rate_matrix()
    q = generator(rates)
    r_c = rates[:, [2, 4]].sum(axis=1)
    delta = sc.settings.discount_per_day
    assert delta == pytest.approx(math.log(21.0) / 365)
    rec = simulate(sc, 101, event_log=True)
    buys = rec.customers.purchases.astype(float)
    within_se("purchases per customer", buys.mean(), van_loan(q, horizon)[1][0] @ r_c, mean_se(buys))
    for day in (10, 30, 60):
        p = expm(q * day)[0]
        occ = rec.occupancy()[day - 1, 0] / n
        for s, name in enumerate(journey["stages"]):
            within_se(f"P({name} at {day})", occ[s], p[s], binomial_se(occ[s], n))
    clv = discounted_margin_per_customer(rec, margin, delta)
    assert rec.prospect_clv.sum() == pytest.approx(clv.sum(), rel=1e-10)
    want = margin * (van_loan(q - delta * np.eye(q.shape[0]), horizon)[1][0] @ r_c)
    within_se("discounted margin per prospect", clv.mean(), want, mean_se(clv))
    # the discount mattered: undiscounted margin is far away
    assert abs(margin * buys.mean() - want) > 20 * mean_se(clv)


# ---------------------------------------------------------------------------------------------------- rates over time


def hill(x: float, k: float, s: float) -> float:
    return x**s / (x**s + k**s)


def test_overlapping_windows_and_channels_match_the_piecewise_matrix_exponential() -> None:
    """Fast rates (several jumps a day), two overlapping windows (x3 for one segment, x0.5 for all), a fixed-fee
    channel lifting purchases with adstock and a Hill response (flight days 10-24), and a segment-targeted channel
    cutting churn (exponential response, days 3-12). With fixed fees the exposures per person do not depend on the
    audience, so each day's rates are known in advance: occupancy = p0 prod_d exp(Q_d) at nine times."""
    journey = {**ABC, "rates": {"a": {"b": 2.0, "lost": 0.2}, "b": {"c": 0.5, "a": 1.0}, "c": {"lost": 0.3, "b": 0.4}}}
    n, horizon = 30_000, 30
    channels = {
        "promo": {
            "cost_model": "fixed_fee",
            "unit_cost": 100.0,
            "stages": ["b"],
            "frequency": 2.0,
            "frequency_cap": 1,
            "adstock": 0.5,
            "response": {"kind": "hill", "half_saturation": 1.0, "slope": 1.5},
            "effects": [{"kind": "purchase", "lift": 1.0}],
        },
        "care": {
            "cost_model": "fixed_fee",
            "unit_cost": 50.0,
            "stages": ["c"],
            "segments": ["y"],
            "response": {"kind": "exponential", "half_saturation": 0.5},
            "effects": [{"kind": "churn", "lift": -0.8}],
        },
    }
    strategy = {
        "budgets": {"promo": 1500.0, "care": 500.0},
        "flights": {"promo": [{"start": 10, "end": 25}], "care": [{"start": 3, "end": 13}]},
        "rate_multipliers": [
            {"from": "a", "to": "b", "factor": 3.0, "start": 5, "end": 12, "segments": ["x"]},
            {"from": "b", "to": "c", "factor": 0.5, "start": 8, "end": 20},
        ],
    }
    sc = Scenario.from_dict(
        {
            "journey": journey,
            "population": {
                "segments": {"x": {"initial": {"a": n}}, "y": {"initial": {"a": n}, "rate_multiplier": 0.7}}
            },
            "channels": channels,
            "strategy": strategy,
            "sim": {"horizon_days": horizon},
        }
    )
    # each day's responses by hand: promo 100 a day buys 2 exposures per person, capped at 1 -> P(X >= 1)
    promo, care, carry = [], [], 0.0
    for d in range(horizon):
        carry = (1 - math.exp(-2.0) if 10 <= d < 25 else 0.0) + 0.5 * carry
        promo.append(hill(carry, 1.0, 1.5))
        care.append(1 - 2 ** (-1.0 / 0.5) if 3 <= d < 13 else 0.0)
    rec = simulate(sc, 7)
    np.testing.assert_allclose(rec.media.response[:, 0], promo, rtol=1e-12)
    np.testing.assert_allclose(rec.media.response[:, 1], care, rtol=1e-12)
    base = sc.rate_tensor()
    occ = rec.occupancy() / n
    for g in (0, 1):
        p = np.array([1.0, 0, 0, 0])
        days = []
        for d in range(horizon):
            r = base[g].copy()
            if g == 0 and 5 <= d < 12:
                r[0, 1] *= 3.0
            if 8 <= d < 20:
                r[1, 2] *= 0.5
            r[1, 2] *= 1 + promo[d]
            if g == 1:
                r[2, 3] *= 1 - 0.8 * care[d]
            p = p @ expm(generator(r))
            days.append(p)
        for day in (2, 5, 8, 11, 12, 15, 20, 25, 30):
            want = days[day - 1]
            for s in range(4):
                got = occ[day - 1, g, s]
                within_se(f"segment {g} stage {s} at {day}", got, want[s], binomial_se(got, n))


def test_arrival_lifts_up_and_down_on_a_weekly_seasonal_intensity() -> None:
    """Arrivals on day d are Poisson(lambda_d m_d): lambda_d = 300 x weekly[d mod 7] (mean 1) x (1 + 0.5 cos(2 pi
    (d - 20) / 365)), m_d = (1 + 1.5 r1_d)(1 - 0.5 r2_d) from a fixed-fee TV flight (Hill, cap 2, adstock) and a
    channel with a negative arrival lift. The prospects' margin, discounted from each one's arrival, is
    sum_d lambda_d m_d int_d^{d+1} margin e_a int_0^{T - tau} exp((Q - delta I) u) du r_C dtau."""
    journey = {**ABC, "rates": {"a": {"b": 0.3, "lost": 0.1}, "b": {"c": 0.2, "a": 0.1}, "c": {"lost": 0.05, "b": 0.1}}}
    horizon, weekly = 42, [1, 2, 3, 1, 1, 0.5, 0.5]
    channels = {
        "tv": {
            "cost_model": "fixed_fee",
            "unit_cost": 100.0,
            "market_audience": 1e6,
            "frequency": 3.0,
            "frequency_cap": 2,
            "adstock": 0.3,
            "response": {"kind": "hill", "half_saturation": 1.0, "slope": 2.0},
            "effects": [{"kind": "arrivals", "lift": 1.5}],
        },
        "bad_press": {
            "cost_model": "fixed_fee",
            "unit_cost": 10.0,
            "market_audience": 1e6,
            "response": {"kind": "linear", "half_saturation": 0.5},
            "effects": [{"kind": "arrivals", "lift": -0.5}],
        },
    }
    sc = Scenario.from_dict(
        {
            "journey": journey,
            "population": {
                "segments": {
                    "s": {
                        "arrivals_per_day": 300.0,
                        "weekly": weekly,
                        "seasonal_amplitude": 0.5,
                        "seasonal_peak_day": 20,
                        "order_value": {"kind": "fixed", "mean": 100.0},
                    }
                }
            },
            "channels": channels,
            "strategy": {
                "budgets": {"tv": 1000.0, "bad_press": 150.0},
                "flights": {"tv": [{"start": 10, "end": 20}], "bad_press": [{"start": 15, "end": 30}]},
            },
            "sim": {"horizon_days": horizon, "discount_rate_annual": 50.0},
        }
    )
    d = np.arange(horizon)
    w = np.array(weekly) / np.mean(weekly)
    lam = 300.0 * w[d % 7] * (1 + 0.5 * np.cos(2 * np.pi * (d - 20) / 365))
    lift, carry = np.ones(horizon), 0.0
    for day in range(horizon):
        x = 3.0 if 10 <= day < 20 else 0.0
        carry = special.gammainc(1, x) + special.gammainc(2, x) + 0.3 * carry  # E[min(Poisson(x), 2)]
        lift[day] = (1 + 1.5 * hill(carry, 1.0, 2.0)) * (1 - 0.5 * (1.0 if 15 <= day < 30 else 0.0))
    want = lam * lift
    reps = [simulate(sc, s, event_log=(i == 0)) for i, s in enumerate(np.random.SeedSequence(1000).spawn(8))]
    arrivals = np.array([r.flows[:, 0, -1, :].sum(axis=1) for r in reps], dtype=float)
    se = np.sqrt(want / len(reps))  # Poisson counts
    for day in range(horizon):
        within_se(f"arrivals on day {day}", arrivals[:, day].mean(), want[day], se[day])
    # discounted margin from each prospect's own arrival time (one replication with the event log)
    rates = sc.journey.rate_matrix()
    delta = sc.settings.discount_per_day
    qd = generator(rates) - delta * np.eye(4)
    per_arrival_day = []
    for day in range(horizon):
        upper = van_loan(qd, horizon - day)[2]
        lower = van_loan(qd, horizon - day - 1)[2] if day < horizon - 1 else np.zeros((4, 4))
        per_arrival_day.append(100.0 * ((upper - lower)[0] @ rates[:, 2]))
    total = float(want @ np.array(per_arrival_day))
    clv = discounted_margin_per_customer(reps[0], 100.0, delta)
    assert reps[0].prospect_clv.sum() == pytest.approx(clv.sum(), rel=1e-10)
    within_se("discounted margin of all arrivals", clv.sum(), total, float(np.sqrt(np.sum(clv**2))))


def test_channel_lifting_referrals_matches_the_mean_equations_and_pays_per_referral() -> None:
    """e -> v at alpha, e lost at beta, v churns at delta and refers at r (1 + 3 resp_d), resp from a fixed-fee
    programme (Hill, adstock 0.5) on days 10-19 for advocates; referred prospects join e. The means solve
    d(E, V, Ref)/dt = M_d (E, V, Ref) day by day; spend = budget + 2.5 x referrals on flight days."""
    journey = {
        "stages": ["e", "v", "gone"],
        "entry": "e",
        "conversion": ["v"],
        "terminal": ["gone"],
        "rates": {"e": {"v": 0.2, "gone": 0.05}, "v": {"gone": 0.1}},
        "promoters": ["v"],
    }
    alpha, beta, delta, rate, horizon = 0.2, 0.05, 0.1, 0.08, 40
    channels = {
        "programme": {
            "cost_model": "fixed_fee",
            "unit_cost": 20.0,
            "stages": ["v"],
            "adstock": 0.5,
            "response": {"kind": "hill", "half_saturation": 1.0},
            "cost_per_referral": 2.5,
            "effects": [{"kind": "referrals", "lift": 3.0}],
        }
    }
    sc = Scenario.from_dict(
        {
            "journey": journey,
            "population": {"segments": {"everyone": {"initial": {"e": 3000}}}},
            "word_of_mouth": {"referrals": {"rate": rate}},
            "channels": channels,
            "strategy": {"budgets": {"programme": 200.0}, "flights": {"programme": [{"start": 10, "end": 20}]}},
            "sim": {"horizon_days": horizon},
        }
    )
    x, carry, refs = np.array([3000.0, 0.0]), 0.0, []
    for d in range(horizon):
        carry = (1.0 if 10 <= d < 20 else 0.0) + 0.5 * carry  # 1 exposure per person per day at full fee
        rr = rate * (1 + 3.0 * hill(carry, 1.0, 1.0))
        m = np.array([[-(alpha + beta), rr, 0], [alpha, -delta, 0], [0, rr, 0]])
        y = expm(m) @ np.array([x[0], x[1], 0.0])
        x = y[:2]
        refs.append(y[2])
    want = np.array(refs)
    runs = [simulate(sc, s) for s in np.random.SeedSequence(8).spawn(16)]
    got = np.array([r.referrals[:, 0] if r.referrals is not None else np.zeros(horizon) for r in runs], dtype=float)
    for lo, hi in ((0, 10), (10, 20), (20, 40)):
        v = got[:, lo:hi].sum(axis=1)
        within_se(f"referrals on days {lo}-{hi - 1}", v.mean(), want[lo:hi].sum(), mean_se(v))
    spend = np.array([r.spend for r in runs])
    within_se("spend with referral fees", spend.mean(), 200.0 + 2.5 * want[10:20].sum(), mean_se(spend))
    ends = np.array([r.occupancy()[-1, 0, :2] for r in runs], dtype=float)
    within_se("E at the horizon", ends[:, 0].mean(), x[0], mean_se(ends[:, 0]))
    within_se("V at the horizon", ends[:, 1].mean(), x[1], mean_se(ends[:, 1]))


# ---------------------------------------------------------------------------------------------------- word of mouth


def test_bass_with_adopters_at_day_zero_is_bass_with_a_larger_innovation() -> None:
    """a0 customers aware at day 0 count as adopters: each of the M unaware adopts at p + q (a0 + N) / M, which is
    Bass with p' = p + q a0 / M: F(t) = (1 - e^{-(p'+q)t}) / (1 + (q/p') e^{-(p'+q)t})."""
    p, q, market, a0 = 0.005, 0.3, 20_000, 1000
    sc = Scenario.from_dict(
        {
            "journey": {**ABC, "rates": {"a": {"b": 0.1, "lost": 0.05}, "b": {"c": 0.2}, "c": {"lost": 0.02}}},
            "population": {"segments": {"m": {"initial": {"c": a0}}}},
            "word_of_mouth": {"contagion": {"segment": "m", "market_size": market, "p": p, "q": q}},
            "sim": {"horizon_days": 30},
        }
    )
    days = np.array([3, 7, 10, 15, 20, 30])
    shares = np.array(
        [
            simulate(sc, s).flows[:, 0, -1, :].sum(axis=1).cumsum()[days - 1] / market
            for s in np.random.SeedSequence(1).spawn(8)
        ]
    )
    pe = p + q * a0 / market
    e = np.exp(-(pe + q) * days)
    want = (1 - e) / (1 + (q / pe) * e)
    for k, day in enumerate(days):
        within_se(f"F({day})", shares[:, k].mean(), want[k], mean_se(shares[:, k]))
    # without the a0 head start the curve is far slower (Bass with p itself)
    e0 = np.exp(-(p + q) * 10)
    assert abs(shares[:, 2].mean() - (1 - e0) / (1 + (q / p) * e0)) > 0.2


def test_contagion_from_stages_follows_the_documented_daily_recurrence() -> None:
    """source: [a] with nobody leaving a: A_d = a0 + adopted by day d, held for the day, so the unaware share obeys
    u_{d+1} = u_d exp(-(p + q A_d / M)) (Binomial adoptions per day, law of large numbers at M = 50,000)."""
    market, a0, p, q = 50_000, 100, 0.001, 0.4
    sc = Scenario.from_dict(
        {
            "journey": {**ABC, "rates": {"a": {"c": 1e-12}, "c": {"lost": 0.05}}},
            "population": {"segments": {"m": {"initial": {"a": a0}}}},
            "word_of_mouth": {"contagion": {"segment": "m", "market_size": market, "p": p, "q": q, "source": ["a"]}},
            "sim": {"horizon_days": 30},
        }
    )
    u, want = 1.0, []
    for _ in range(30):
        u *= math.exp(-(p + q * (a0 + market * (1 - u)) / market))
        want.append(1 - u)
    got = np.array(
        [simulate(sc, s).flows[:, 0, -1, :].sum(axis=1).cumsum() / market for s in np.random.SeedSequence(2).spawn(6)]
    )
    for day in (1, 5, 10, 15, 20, 29):
        within_se(f"adopted by the end of day {day}", got[:, day].mean(), want[day], mean_se(got[:, day]))


# ---------------------------------------------------------------------------------------------------- semi-Markov


@pytest.mark.parametrize(
    ("kind", "shape", "seed"), [("gamma", 0.4, 21), ("lognormal", 0.8, 22), ("weibull", 2.5, 23), ("weibull", 0.7, 24)]
)
def test_dwell_survival_and_competing_exits(kind: str, shape: float, seed: int) -> None:
    """Stage a with mean 1/0.3 and three exits: P(still in a at t) is the family's survival function with that
    mean, and the exit is b, c or lost with probabilities 4/6, 1/6, 1/6 whatever the time spent in a."""
    n = 30_000
    sc = Scenario.from_dict(
        {
            "journey": {
                **ABC,
                "rates": {"a": {"b": 0.2, "c": 0.05, "lost": 0.05}, "b": {"c": 0.5, "lost": 0.5}, "c": {"lost": 0.1}},
                "dwell": {"a": {"kind": kind, "shape": shape}},
            },
            "population": {"segments": {"s": {"initial": {"a": n}}}},
            "sim": {"horizon_days": 40},
        }
    )
    mean = 1 / 0.3
    dist: Any
    if kind == "gamma":
        dist = stats.gamma(shape, scale=mean / shape)
    elif kind == "lognormal":
        dist = stats.lognorm(shape, scale=mean * math.exp(-(shape**2) / 2))
    else:
        dist = stats.weibull_min(shape, scale=mean / math.gamma(1 + 1 / shape))
    rec = simulate(sc, seed, event_log=True)
    occ = rec.occupancy()[:, 0, 0] / n
    for day in (1, 2, 4, 8, 15):
        want = float(dist.sf(day))
        within_se(f"{kind}({shape}) P(in a at {day})", occ[day - 1], want, binomial_se(occ[day - 1], n))
    assert rec.events is not None
    out = rec.events[rec.events["from_stage"] == "a"]
    dest = out["to_stage"].astype(str).to_numpy()
    for stage, prob in (("b", 4 / 6), ("c", 1 / 6), ("lost", 1 / 6)):
        share = float(np.mean(dest == stage))
        within_se(f"exit to {stage}", share, prob, binomial_se(prob, dest.size))
    early = out["time"].to_numpy() < np.median(out["time"].to_numpy())
    gap = float(np.mean(dest[early] == "b") - np.mean(dest[~early] == "b"))
    within_se("exit to b: early minus late leavers", gap, 0.0, math.sqrt(2 * (4 / 6) * (2 / 6) / (dest.size / 2)))


# ---------------------------------------------------------------------------------------------------- long horizon


def test_daily_calendar_beyond_its_window_matches_the_daily_steps() -> None:
    """An audience channel makes the engine advance day by day; 800 days exceed its 366-day calendar of day
    buckets and holding times run to hundreds of days. Occupancy and purchases vs x_{d+1} = x_d E_d + lambda e F_d
    (E_d = exp(Q_d), F_d = int_0^1 exp(Q_d u) du), with b -> c lifted x2.5 on days 400-699."""
    journey = {
        **ABC,
        "rates": {"a": {"b": 0.05, "lost": 0.01}, "b": {"c": 0.02, "a": 0.01}, "c": {"lost": 0.002, "b": 0.001}},
    }
    horizon, lam = 800, 50.0
    channels = {
        "promo": {
            "cost_model": "fixed_fee",
            "unit_cost": 10.0,
            "stages": ["b"],
            "response": {"kind": "exponential", "half_saturation": 0.5},
            "effects": [{"from": "b", "to": "c", "lift": 2.0}],
        }
    }
    sc = Scenario.from_dict(
        {
            "journey": journey,
            "population": {"segments": {"s": {"initial": {"a": 20_000, "c": 20_000}, "arrivals_per_day": lam}}},
            "channels": channels,
            "strategy": {"budgets": {"promo": 3000.0}, "flights": {"promo": [{"start": 400, "end": 700}]}},
            "sim": {"horizon_days": horizon},
        }
    )
    rates = sc.journey.rate_matrix()
    steps = {}
    for on in (False, True):
        r = rates.copy()
        if on:
            r[1, 2] *= 1 + 2.0 * 0.75  # one exposure a day: 1 - 2^(-1 / 0.5)
        steps[on] = (van_loan(generator(r), 1.0), r)
    x = np.array([20_000.0, 0.0, 20_000.0, 0.0])
    occ, buys = [], []
    for d in range(horizon):
        (e, f1, f2), r = steps[400 <= d < 700]
        buys.append((x @ f1 + lam * f2[0]) @ r[:, 2])
        x = x @ e + lam * f1[0]
        occ.append(x)
    rec = simulate(sc, 40)
    assert rec.media.response[399, 0] == 0.0 and rec.media.response[400, 0] == pytest.approx(0.75)
    got = rec.occupancy()[:, 0]
    for day in (100, 365, 366, 367, 400, 500, 699, 700, 733, 799):
        for s in range(4):
            # Poisson (arrivals) and binomial (initial customers) parts: variance at most the mean
            within_se(f"stage {s} at the end of day {day}", got[day, s], occ[day][s], math.sqrt(occ[day][s]))
    per_day = rec.purchases_per_day()[:, 0]
    for lo, hi in ((0, 400), (400, 700), (700, 800)):
        want = float(np.sum(buys[lo:hi]))
        # purchases are at most a Poisson-binomial sum per customer with repeats: 2x the mean bounds the variance
        within_se(f"purchases on days {lo}-{hi - 1}", float(per_day[lo:hi].sum()), want, math.sqrt(2 * want))


# ---------------------------------------------------------------------------------------------------- config shapes


def test_one_name_written_alone_means_a_list_of_one() -> None:
    """`terminal: lost`, `stages: b`, `source: advocacy`... mean the one-element lists; `tuple("lost")` used to
    split them into letters ('l', 'o', 's', 't'), which failed the stage checks with a misleading message."""

    def build(one: Any) -> Scenario:
        journey = {
            "stages": ["aware", "consider", "buy", "advocacy", "lost"],
            "entry": "aware",
            "conversion": "buy",
            "terminal": one("lost"),
            "promoters": one("advocacy"),
            "rates": {
                "aware": {"consider": 0.3, "lost": 0.1},
                "consider": {"buy": 0.2, "lost": 0.1},
                "buy": {"advocacy": 0.5, "lost": 0.1},
                "advocacy": {"buy": 0.05, "lost": 0.02},
            },
        }
        channels = {
            "email": {
                "cost_model": "per_send",
                "unit_cost": 0.1,
                "stages": one("consider"),
                "positions": one("bottom"),
                "segments": one("s"),
                "effects": [{"kind": "purchase", "lift": 0.5}],
            }
        }
        return Scenario.from_dict(
            {
                "journey": journey,
                "population": {"segments": {"s": {"initial": {"aware": 2000, "advocacy": 100}}}},
                "channels": channels,
                "strategy": {
                    "budgets": {"email": 500.0},
                    "messaging": {"email": one("consider")},
                    "rate_multipliers": [
                        {"from": "aware", "to": "consider", "factor": 2.0, "start": 5, "end": 9, "segments": one("s")}
                    ],
                },
                "word_of_mouth": {
                    "referrals": {"stages": one("advocacy"), "rate": 0.05},
                    "contagion": {"segment": "s", "market_size": 500, "p": 0.01, "q": 0.2, "source": one("advocacy")},
                    "detractors": {
                        "stages": one("lost"),
                        "strength": 1.0,
                        "effects": [{"from": "consider", "to": "buy"}],
                    },
                },
                "sim": {"horizon_days": 30},
            }
        )

    alone, listed = build(lambda x: x), build(lambda x: [x])
    assert alone == listed
    assert alone.journey.terminal == ("lost",) and alone.word_of_mouth.contagion is not None
    assert alone.word_of_mouth.contagion.source == ("advocacy",)
    np.testing.assert_array_equal(simulate(alone, 5).flows, simulate(listed, 5).flows)
