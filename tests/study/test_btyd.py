"""BTYD closed forms against independent numerical integration, published CDNOW values, and simulated recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from journeysim.errors import ConfigError
from journeysim.study.btyd import MODELS, RepeatSummary, fit_btyd, summarise_transactions

BG = MODELS.get("bgnbd")
PARETO = MODELS.get("paretonbd")
#: BG/NBD on CDNOW in weeks (Fader, Hardie & Lee 2005, table/text) and a Pareto/NBD point near its CDNOW fit.
CDNOW_BG = (0.243, 4.414, 0.793, 2.426)
PARETO_POINT = (0.55, 10.58, 0.61, 11.67)
HISTORIES = [(0, 0.0, 38.86), (1, 5.0, 30.0), (2, 30.43, 38.86), (7, 35.0, 38.0), (3, 12.0, 52.0)]


def _over_quantiles(f: object, d1: object, d2: object, nodes: int = 300) -> float:
    """E[f(u, v)] over two independent mixing distributions: Gauss-Legendre in quantile space, where the mixing
    densities (singular at 0 for shapes below 1) disappear into the change of variable."""
    u, w = np.polynomial.legendre.leggauss(nodes)
    u, w = (u + 1) / 2, w / 2
    first, second = d1.ppf(u), d2.ppf(u)  # type: ignore[attr-defined]
    with np.errstate(all="ignore"):
        values = np.nan_to_num(np.broadcast_to(f(first[:, None], second[None, :]), (nodes, nodes)))  # type: ignore[operator]
    return float(w @ values @ w)


def _bg_mix(params: tuple[float, ...], f: object) -> float:
    r, alpha, a, b = params
    return _over_quantiles(f, stats.gamma(r, scale=1 / alpha), stats.beta(a, b))


def _bg_individual(x: int, t_x: float, T: float) -> tuple[object, object]:
    """BG/NBD individual likelihood given (lambda, p), split into 'still active' and 'dropped at t_x'."""

    def alive(lam: float, p: float) -> float:
        return (1 - p) ** x * lam**x * np.exp(-lam * T)

    def dropped(lam: float, p: float) -> float:
        return p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x) if x > 0 else 0.0

    return alive, dropped


@pytest.mark.parametrize("params", [CDNOW_BG, (1.2, 3.0, 2.5, 4.0), (0.5, 10.0, 1.5, 0.8)])
def test_bgnbd_likelihood_matches_numerical_integration(params: tuple[float, ...]) -> None:
    for x, t_x, T in HISTORIES:
        alive, dropped = _bg_individual(x, t_x, T)
        direct = _bg_mix(params, lambda lam, p, a=alive, d=dropped: a(lam, p) + d(lam, p))  # type: ignore[operator]
        closed = float(np.exp(BG.log_likelihood(params, x, t_x, T)))
        assert closed == pytest.approx(direct, rel=1e-5), (params, x, t_x, T)


@pytest.mark.parametrize("params", [CDNOW_BG, (1.2, 3.0, 2.5, 4.0)])
def test_bgnbd_alive_and_conditional_expectation_match_integration(params: tuple[float, ...]) -> None:
    t = 39.0
    for x, t_x, T in HISTORIES:
        alive, dropped = _bg_individual(x, t_x, T)
        total = _bg_mix(params, lambda lam, p, a=alive, d=dropped: a(lam, p) + d(lam, p))  # type: ignore[operator]
        alive_mass = _bg_mix(params, alive)
        # an active customer buys (1 - exp(-lambda p t)) / p times in expectation in the next t
        future = _bg_mix(params, lambda lam, p, a=alive: a(lam, p) * -np.expm1(-lam * p * t) / p)  # type: ignore[operator]
        assert float(BG.prob_alive(params, x, t_x, T)) == pytest.approx(alive_mass / total, rel=1e-5)
        assert float(BG.conditional_expected_purchases(params, t, x, t_x, T)) == pytest.approx(future / total, rel=1e-5)


@pytest.mark.parametrize(
    "model,params",
    [
        ("bgnbd", CDNOW_BG),
        ("bgnbd", (1.2, 3.0, 2.5, 4.0)),
        ("paretonbd", PARETO_POINT),
        ("paretonbd", (2.0, 5.0, 1.5, 4.0)),
    ],
)
def test_count_distribution_sums_to_one_and_has_the_closed_form_mean(model: str, params: tuple[float, ...]) -> None:
    m = MODELS.get(model)
    for t in (10.0, 39.0, 78.0):
        probs = np.array([m.prob_purchases(params, k, t) for k in range(400)])
        assert probs.sum() == pytest.approx(1.0, abs=1e-8)
        assert float(np.dot(np.arange(400), probs)) == pytest.approx(float(m.expected_purchases(params, t)), rel=1e-5)


def test_bgnbd_zero_and_one_purchase_probabilities_match_integration() -> None:
    params = (1.2, 3.0, 2.5, 4.0)
    t = 20.0
    zero = _bg_mix(params, lambda lam, p: np.exp(-lam * t))
    # exactly one: a first arrival within t, then either drop-out or no second arrival in the time left
    one = _bg_mix(params, lambda lam, p: p * -np.expm1(-lam * t) + (1 - p) * lam * t * np.exp(-lam * t))
    assert BG.prob_purchases(params, 0, t) == pytest.approx(zero, rel=1e-5)
    assert BG.prob_purchases(params, 1, t) == pytest.approx(one, rel=1e-5)


def _pareto_mix(params: tuple[float, ...], f: object) -> float:
    r, alpha, s, beta = params
    return _over_quantiles(f, stats.gamma(r, scale=1 / alpha), stats.gamma(s, scale=1 / beta))


@pytest.mark.parametrize("params", [PARETO_POINT, (2.0, 5.0, 1.5, 4.0), (0.8, 3.0, 1.2, 20.0)])
def test_paretonbd_likelihood_alive_and_expectation_match_integration(params: tuple[float, ...]) -> None:
    t = 39.0
    for x, t_x, T in HISTORIES:

        def alive(lam: float, mu: float, x: int = x, T: float = T) -> float:
            return lam**x * np.exp(-(lam + mu) * T)

        def dead(lam: float, mu: float, x: int = x, t_x: float = t_x, T: float = T) -> float:
            return lam**x * mu / (lam + mu) * (np.exp(-(lam + mu) * t_x) - np.exp(-(lam + mu) * T))

        total = _pareto_mix(params, lambda lam, mu, a=alive, d=dead: a(lam, mu) + d(lam, mu))  # type: ignore[misc]
        alive_mass = _pareto_mix(params, alive)
        future = _pareto_mix(params, lambda lam, mu, a=alive: a(lam, mu) * lam / mu * -np.expm1(-mu * t))  # type: ignore[misc]
        assert float(np.exp(PARETO.log_likelihood(params, x, t_x, T))) == pytest.approx(total, rel=1e-5)
        assert float(PARETO.prob_alive(params, x, t_x, T)) == pytest.approx(alive_mass / total, rel=1e-5)
        expected = float(PARETO.conditional_expected_purchases(params, t, x, t_x, T))
        assert expected == pytest.approx(future / total, rel=1e-5)


def test_paretonbd_expected_purchases_by_integration_and_at_s_equal_one() -> None:
    params = (2.0, 5.0, 1.5, 4.0)
    t = 30.0
    direct = _pareto_mix(params, lambda lam, mu: lam / mu * -np.expm1(-mu * t))
    assert float(PARETO.expected_purchases(params, t)) == pytest.approx(direct, rel=1e-5)
    near = [float(PARETO.expected_purchases((2.0, 5.0, s, 4.0), t)) for s in (1 - 1e-7, 1.0, 1 + 1e-7)]
    assert near[0] == pytest.approx(near[1], rel=1e-5) and near[2] == pytest.approx(near[1], rel=1e-5)


def test_bgnbd_cdnow_published_conditional_expectation() -> None:
    # FHL 2005 section 5: a customer with x=2, t_x=30.43, T=38.86 weeks makes 1.226 purchases in the next 39 weeks
    assert float(BG.conditional_expected_purchases(CDNOW_BG, 39.0, 2, 30.43, 38.86)) == pytest.approx(1.226, abs=1e-3)


# ---------------------------------------------------------------------------------------------- summary


def test_summary_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer": ["a", "a", "a", "b", "c", "c", "a"],
            "day": [0.0, 3.0, 10.0, 5.0, 2.0, 2.0, 3.0],  # a buys twice on day 3: one occasion
            "value": [10.0, 20.0, 30.0, 7.0, 1.0, 2.0, 5.0],
        }
    )
    s = summarise_transactions(tx, end=20.0).table.set_index("customer")
    assert s.loc["a"].tolist() == [2, 10.0, 20.0, pytest.approx(27.5)]  # repeats on days 3 (20+5) and 10 (30)
    assert s.loc["b"].tolist() == [0, 0.0, 15.0, 0.0]
    assert s.loc["c"].tolist() == [0, 0.0, 18.0, 0.0]  # two purchases the same day are its first occasion


def test_summary_from_dates_in_weeks() -> None:
    tx = pd.DataFrame(
        {"customer": [1, 1, 2, 2], "date": ["2024-01-01", "2024-01-15", "2024-01-08", "2024-01-29"], "value": 1.0}
    )
    s = summarise_transactions(tx, end="2024-02-26", unit="weeks").table.set_index("customer")
    assert s.loc["1"].tolist() == [1, 2.0, 8.0, 1.0]
    assert s.loc["2"].tolist() == [1, 3.0, 7.0, 1.0]


@pytest.mark.parametrize(
    "table,kwargs,setting",
    [
        (pd.DataFrame({"who": [1], "day": [0.0]}), {}, "transactions.customer"),
        (pd.DataFrame({"customer": [1], "when": [0.0]}), {}, "transactions.day"),
        (pd.DataFrame({"customer": [1, None], "day": [0.0, 1.0]}), {}, "transactions.customer"),
        (pd.DataFrame({"customer": [1, 1], "day": [0.0, 2.0], "value": [1.0, -3.0]}), {}, "transactions.value"),
        (pd.DataFrame({"customer": [1, 1], "day": [0.0, 30.0]}), {"end": 20}, "transactions.day"),
        (pd.DataFrame({"customer": [1, 1], "date": ["2024-01-01", "soon"]}), {}, "transactions.date"),
        (pd.DataFrame({"customer": [1, 2], "day": [0.0, 3.0]}), {}, "transactions"),
        (pd.DataFrame({"customer": [1, 1, 9], "day": [0.0, 3.0, 1.0]}), {"customers": [1, 2]}, "transactions.customer"),
        (pd.DataFrame({"customer": [1, 1], "day": [0.0, 3.0]}), {"unit": "months"}, "--unit"),
    ],
)
def test_bad_transaction_tables_name_the_column(table: pd.DataFrame, kwargs: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigError) as err:
        summarise_transactions(table, **kwargs)  # type: ignore[arg-type]
    assert err.value.setting == setting and err.value.fix


# ---------------------------------------------------------------------------------------------- recovery


def simulate_bgnbd(params: tuple[float, ...], n: int, T: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Per-customer (x, t_x, T) drawn straight from the BG/NBD story: Poisson buying, drop-out after each repeat."""
    r, alpha, a, b = params
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    now = np.zeros(n)
    x = np.zeros(n, dtype=np.int64)
    t_x = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        bought = now[idx] <= T[idx]
        done = idx[~bought]
        active[done] = False
        buy = idx[bought]
        x[buy] += 1
        t_x[buy] = now[buy]
        active[buy[rng.random(buy.size) < p[buy]]] = False
    return pd.DataFrame({"customer": np.arange(n), "x": x, "t_x": t_x, "T": T, "monetary_value": 0.0})


def simulate_paretonbd(params: tuple[float, ...], n: int, T: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Per-customer (x, t_x, T): Poisson buying at lambda until an exponential(mu) lifetime ends."""
    r, alpha, s, beta = params
    lam = rng.gamma(r, 1 / alpha, n)
    life = rng.exponential(1.0, n) / rng.gamma(s, 1 / beta, n)
    end = np.minimum(life, T)
    x = rng.poisson(lam * end)
    # given x arrivals in (0, end], the last is the max of x uniforms
    t_x = np.where(x > 0, end * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    return pd.DataFrame({"customer": np.arange(n), "x": x, "t_x": t_x, "T": T, "monetary_value": 0.0})


@pytest.mark.parametrize(
    "model,truth,simulate",
    [
        ("bgnbd", CDNOW_BG, simulate_bgnbd),
        ("bgnbd", (0.8, 6.0, 1.6, 3.5), simulate_bgnbd),
        ("paretonbd", PARETO_POINT, simulate_paretonbd),
    ],
)
def test_fit_recovers_simulated_truth_within_4_se(model: str, truth: tuple[float, ...], simulate: object) -> None:
    rng = np.random.default_rng(20261204)
    n = 6000
    T = rng.uniform(27.0, 39.0, n)  # staggered first purchases over 12 weeks, observed to week 39
    table = simulate(truth, n, T, rng)  # type: ignore[operator]
    fit = fit_btyd(RepeatSummary(table=table, unit="weeks"), model)
    assert fit.convergence.converged, fit.convergence.text()
    z = (np.asarray(fit.params) - np.asarray(truth)) / np.asarray(fit.se)
    assert np.all(np.abs(z) < 4), (fit.params, fit.se, z)
    assert fit.log_likelihood == pytest.approx(
        float(MODELS.get(model).log_likelihood(fit.params, table["x"], table["t_x"], T).sum())
    )
    assert fit.table()["parameter"].tolist() == list(MODELS.get(model).param_names)


def test_fit_refuses_unknown_models_with_a_did_you_mean() -> None:
    table = pd.DataFrame({"customer": [0, 1], "x": [1, 0], "t_x": [1.0, 0.0], "T": [2.0, 2.0], "monetary_value": 0.0})
    with pytest.raises(ConfigError, match="did you mean 'bgnbd'"):
        fit_btyd(RepeatSummary(table=table), "bgnb")
