"""Rates from quoted conversion rates and cycle lengths: closed forms by hand, a round trip on simulated ground
truth (every fitted rate within 4 SE), and the refusal of more free rates than quotes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journeysim.errors import ConfigError
from journeysim.model.journey import Journey
from journeysim.study.fit.quoted import fit_quoted

FUNNEL = {
    "name": "f",
    "stages": ["lead", "opportunity", "customer", "lost"],
    "entry": "lead",
    "conversion": ["customer"],
    "terminal": ["lost", "customer"],
    "rates": {"lead": {"opportunity": 0.05, "lost": 0.05}, "opportunity": {"customer": 0.02, "lost": 0.03}},
}


def _quotes(p1: float, p2: float, t1: float, t2: float, se: tuple[float, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quantity": ["conversion", "conversion", "cycle_days", "cycle_days"],
            "from_stage": ["lead", "opportunity", "lead", "opportunity"],
            "to_stage": ["opportunity", "customer", "opportunity", "customer"],
            "value": [p1, p2, t1, t2],
            "se": list(se),
        }
    )


def test_exact_quotes_give_back_the_rates_worked_by_hand() -> None:
    """lead: p = 0.05 / 0.10 = 0.5, time 1 / 0.10 = 10 days; opportunity: p = 0.4, time 20 days."""
    start = Journey.from_dict(
        {**FUNNEL, "rates": {"lead": {"opportunity": 0.2, "lost": 0.01}, "opportunity": {"customer": 0.1, "lost": 0.1}}}
    )
    fit = fit_quoted(_quotes(0.5, 0.4, 10.0, 20.0, (0.01, 0.01, 0.5, 1.0)), start)
    assert fit.rates["lead"]["opportunity"] == pytest.approx(0.05, rel=1e-5)
    assert fit.rates["lead"]["lost"] == pytest.approx(0.05, rel=1e-5)
    assert fit.rates["opportunity"]["customer"] == pytest.approx(0.02, rel=1e-5)
    assert fit.rates["opportunity"]["lost"] == pytest.approx(0.03, rel=1e-5)


TRUTH = {
    ("lead", "opportunity"): 0.05,
    ("lead", "lost"): 0.05,
    ("opportunity", "customer"): 0.02,
    ("opportunity", "lost"): 0.03,
}


def _measured(seed: np.random.SeedSequence, n: int = 2000) -> pd.DataFrame:
    """Quotes measured on n simulated leads (conversion shares and mean cycle times with their SEs)."""
    rng = np.random.default_rng(seed)
    # lead: exponential(0.1) stay, then opportunity w.p. 0.5
    t1 = rng.exponential(10.0, n)
    moved = rng.random(n) < 0.5
    m = int(moved.sum())
    t2 = rng.exponential(20.0, m)
    won = rng.random(m) < 0.4
    p1, p2 = moved.mean(), won.mean()
    c1, c2 = t1[moved], t2[won]
    se = (
        np.sqrt(p1 * (1 - p1) / n),
        np.sqrt(p2 * (1 - p2) / m),
        c1.std() / np.sqrt(c1.size),
        c2.std() / np.sqrt(c2.size),
    )
    return _quotes(p1, p2, c1.mean(), c2.mean(), se)


def test_round_trip_on_simulated_cohorts_within_4_se() -> None:
    fit = fit_quoted(_measured(np.random.SeedSequence(14)), Journey.from_dict(FUNNEL))
    for row in fit.estimates.itertuples():
        assert abs(row.estimate - TRUTH[(row.from_stage, row.to_stage)]) < 4 * row.se, row


def test_coverage_of_95_intervals_over_100_seeded_fits() -> None:
    from scipy.stats import binom

    journey = Journey.from_dict(FUNNEL)
    hits = []
    for seed in np.random.SeedSequence(99).spawn(100):
        est = fit_quoted(_measured(seed), journey).estimates
        truth = np.array([TRUTH[(a, b)] for a, b in zip(est["from_stage"], est["to_stage"], strict=True)])
        hits.append((est["ci_low"] <= truth) & (truth <= est["ci_high"]))
    h = np.array(hits).sum(axis=0)
    assert np.all((h >= binom.ppf(0.0005, 100, 0.95)) & (h <= binom.ppf(0.9995, 100, 0.95))), h


def test_more_free_rates_than_quotes_is_refused() -> None:
    with pytest.raises(ConfigError, match="cannot determine"):
        fit_quoted(_quotes(0.5, 0.4, 10.0, 20.0, (0.01,) * 4).iloc[:3], Journey.from_dict(FUNNEL))
