"""The parameter-uncertainty estimators on hand-made tables: the ANOVA split, shrinkage, P(better), EVPPI and the
paired t over draws, every expected number worked by hand (t quantiles: t_0.975(1) = 12.706, t_0.975(2) = 4.303)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from journeysim.study.compare import paired_differences, pairs, rank_scenarios
from journeysim.study.uncertainty_stats import (
    decision_table,
    evppi,
    p_better_noise,
    split,
    value_of_information,
)


def test_split_by_hand() -> None:
    """Draws 0, 1, 2 with d = (1, 3), (5, 7), (9, 11): draw means 2, 6, 10, within deviations all +-1.
    MSW = 6 / (6 - 3) = 2; MSB = 2 * (16 + 0 + 16) / 2 = 32; n0 = 2; var_p = (32 - 2) / 2 = 15."""
    s = split(np.array([1.0, 3, 5, 7, 9, 11]), np.array([0, 0, 1, 1, 2, 2]))
    assert s.mean == pytest.approx(6.0)
    assert s.var_simulation == pytest.approx(2.0)
    assert s.var_parameters == pytest.approx(15.0)
    assert s.per_draw == pytest.approx(2.0)
    assert s.share_parameters == pytest.approx(15 / 17)
    assert s.se_mean == pytest.approx(4 / math.sqrt(3))  # sd of (2, 6, 10) is 4
    # shrinkage: lambda = sqrt(15 / (15 + 2 / 2)) = sqrt(15/16); the shrunk spread is sqrt(15) per draw
    lam = math.sqrt(15 / 16)
    assert s.shrunk() == pytest.approx([6 - 4 * lam, 6, 6 + 4 * lam])


def test_split_truncates_at_zero_and_needs_two_per_draw() -> None:
    """Draw means equal (2, 2): MSB = 0 < MSW, so var_p = 0 and every shrunk draw is the mean; one replication
    per draw leaves the within variance (and so the split) unknown."""
    s = split(np.array([1.0, 3, 3, 1]), np.array([0, 0, 1, 1]))
    assert s.var_parameters == 0.0 and s.var_simulation == pytest.approx(2.0)
    assert s.shrunk() == pytest.approx([2.0, 2.0])
    one = split(np.array([1.0, 2.0, 3.0]), np.array([0, 1, 2]))
    assert math.isnan(one.var_simulation) and math.isnan(one.var_parameters)


def test_split_recovers_the_variances_of_a_simulated_nested_design() -> None:
    """d = theta_j + eps, theta ~ N(1, 4), eps ~ N(0, 9): 400 draws x 3; the ANOVA estimates are unbiased, with
    standard errors about 4 * sqrt(2/399) * (1 + 9 / (3 * 4)) = 0.49 and 9 * sqrt(2/800) = 0.45."""
    rng = np.random.default_rng(np.random.SeedSequence(11))
    theta = rng.normal(1.0, 2.0, 400)
    d = np.repeat(theta, 3) + rng.normal(0.0, 3.0, 1200)
    s = split(d, np.repeat(np.arange(400), 3))
    assert s.var_parameters == pytest.approx(4.0, abs=4 * 0.49)
    assert s.var_simulation == pytest.approx(9.0, abs=4 * 0.45)
    assert np.var(s.shrunk(), ddof=1) == pytest.approx(s.var_parameters, rel=0.15)  # spread matched to sigma_p^2


def test_p_better_noise_is_the_within_draw_t() -> None:
    """mean 6, MSW 2, N 6, D 3: t = 6 / sqrt(2/6) = 10.39 on 3 df."""
    s = split(np.array([1.0, 3, 5, 7, 9, 11]), np.array([0, 0, 1, 1, 2, 2]))
    assert p_better_noise(s, 6, True) == pytest.approx(stats.t.cdf(6 / math.sqrt(2 / 6), 3))
    assert p_better_noise(s, 6, False) == pytest.approx(stats.t.cdf(-6 / math.sqrt(2 / 6), 3))


def test_evppi_of_a_linear_effect_is_the_normal_partial_expectation() -> None:
    """d = x + noise, x ~ N(0, 1) per draw: E[max(x, 0)] - max(E x, 0) = 1 / sqrt(2 pi) = 0.399 (SE about
    0.58 / sqrt(2000) = 0.013, plus the fit); a parameter that does not move d has EVPPI about 0."""
    rng = np.random.default_rng(np.random.SeedSequence(5))
    x = np.repeat(rng.standard_normal(2000), 2)
    z = np.repeat(rng.standard_normal(2000), 2)
    g = np.repeat(np.arange(2000), 2)
    d = x + rng.normal(0.0, 0.5, x.size)
    assert evppi(d, x, g, True) == pytest.approx(1 / math.sqrt(2 * math.pi), abs=0.05)
    assert evppi(d, z, g, True) < 0.03
    assert evppi(-d, x, g, False) == pytest.approx(evppi(d, x, g, True))  # lower-is-better mirrors


def _samples() -> pd.DataFrame:
    """Two scenarios, 3 draws x 2 replications; d = A - B = (1, 3), (5, 7), (9, 11) as in test_split_by_hand;
    the parameter k is 0.1, 0.2, 0.3 per draw, the parameter j constant."""
    rows = []
    draws = [0, 0, 1, 1, 2, 2]
    for sc, values in {"A": [11.0, 13, 15, 17, 19, 21], "B": [10.0] * 6}.items():
        for r, (v, g) in enumerate(zip(values, draws, strict=True)):
            rows.append(
                {
                    "scenario": sc,
                    "replication": r,
                    "seed": 1,
                    "parameter_draw": g,
                    "parameter:k": 0.1 * (g + 1),
                    "parameter:j": 1.0,
                    "purchases": v,
                }
            )
    return pd.DataFrame(rows)


def test_paired_differences_use_a_t_over_the_draws() -> None:
    """Draw means of d: 2, 6, 10 -> difference 6, sd 4, CI 6 -/+ 4.303 * 4 / sqrt(3) = 6 -/+ 9.937."""
    out = paired_differences(_samples(), "B", ["purchases"]).iloc[0]
    assert out["difference"] == pytest.approx(6.0)
    assert out["ci_high"] - 6 == pytest.approx(4.303 * 4 / math.sqrt(3), rel=1e-3)
    assert out["test"] == "paired t over parameter draws"
    assert out["n"] == 6


def test_pairs_needs_the_same_draws() -> None:
    s = _samples()
    assert pairs(s, "A", "B")
    s.loc[(s["scenario"] == "B") & (s["replication"] == 0), "parameter_draw"] = 2
    assert not pairs(s, "A", "B")


def test_decision_row_by_hand() -> None:
    """From test_split_by_hand: var_p 15, var_sim 2, se_mean^2 = 16/3: the interval 6 -/+ 4.303 sqrt(15 + 16/3),
    P(better) = T_2(6 / sqrt(15 + 16/3)) = T_2(1.331) = 0.843; every shrunk draw > 0, so the share of draws is 1;
    EVPI 0 (no draw favours B); k ranks first (rho 1), j has no spread."""
    row = decision_table(_samples(), "B", ["purchases"], ["A", "B"]).iloc[0]
    assert row["p_better"] == pytest.approx(stats.t.cdf(6 / math.sqrt(15 + 16 / 3), 2))
    assert row["p_better"] == pytest.approx(0.843, abs=1e-3)
    assert row["p_better_draws"] == 1.0
    assert row["var_parameters"] == pytest.approx(15.0) and row["var_simulation"] == pytest.approx(2.0)
    assert row["uncertainty_high"] - 6 == pytest.approx(4.303 * math.sqrt(15 + 16 / 3), rel=1e-3)
    assert row["evpi"] == 0.0
    voi = value_of_information(_samples(), "A", "B", "purchases")
    assert list(voi["parameter"]) == ["k", "j"]
    assert voi["spearman"].tolist() == pytest.approx([1.0, 0.0])


def test_ranking_gains_p_best_parameters_only_with_draws() -> None:
    s = _samples()
    ranked = rank_scenarios(s, "purchases")
    assert ranked["p_best_parameters"].tolist() == [1.0, 0.0]
    plain = rank_scenarios(s.drop(columns=["parameter_draw", "parameter:k", "parameter:j"]), "purchases")
    assert "p_best_parameters" not in plain.columns
