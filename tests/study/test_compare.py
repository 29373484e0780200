"""Comparison statistics on small hand-made tables; every expected number worked by hand (t quantiles from tables).

Student t quantiles used (two-sided 95%, i.e. t_0.975): df 3: 3.182, df 6: 2.447, df 7: 2.365; one-sided
t_0.99(3) = 4.541, t_0.995(3) = 5.841, t_0.90(6) = 1.440. Normal: Phi(1) = 0.8413, Phi(1.02) = 0.8461.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from journeysim.errors import ConfigError
from journeysim.study.compare import paired_differences, pairs, rank_scenarios, scenario_rows, summary_table


def table(data: dict[str, list[float]], metric: str = "purchases", start: dict[str, int] | None = None) -> pd.DataFrame:
    """Long samples: one row per (scenario, replication); replications numbered from `start[scenario]` (default 0)."""
    rows = []
    for sc, values in data.items():
        first = (start or {}).get(sc, 0)
        rows += [{"scenario": sc, "replication": first + i, metric: v} for i, v in enumerate(values)]
    return pd.DataFrame(rows)


A = [10.0, 12.0, 11.0, 13.0]
B = [9.0, 10.0, 10.0, 11.0]


def test_summary_table_mean_std_and_t_interval() -> None:
    """A: mean 11.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, std sqrt(5/3) = 1.2910;
    CI half width 3.182 x 1.2910 / 2 = 2.0540."""
    out = summary_table(table({"A": A, "B": B}), ["purchases"])
    assert list(out.columns) == ["scenario", "metric", "mean", "std", "ci_low", "ci_high", "n"]
    a = out.iloc[0]
    assert (a["scenario"], a["metric"], a["n"]) == ("A", "purchases", 4)
    assert a["mean"] == pytest.approx(11.5)
    assert a["std"] == pytest.approx(math.sqrt(5 / 3))
    assert a["ci_low"] == pytest.approx(11.5 - 2.0540, abs=1e-3)
    assert a["ci_high"] == pytest.approx(11.5 + 2.0540, abs=1e-3)
    # B: mean 10, deviations -1, 0, 0, 1 -> std sqrt(2/3)
    assert out.iloc[1]["mean"] == pytest.approx(10.0) and out.iloc[1]["std"] == pytest.approx(math.sqrt(2 / 3))


def test_summary_table_default_metrics_skip_keys_and_nans() -> None:
    samples = table({"A": [1.0, math.nan, 3.0]})
    samples["seed"] = 7
    out = summary_table(samples)
    assert list(out["metric"]) == ["purchases"]  # scenario, replication and seed are keys, not metrics
    assert out.iloc[0]["n"] == 2 and out.iloc[0]["mean"] == pytest.approx(2.0)


def test_paired_difference_worked_by_hand() -> None:
    """d = A - B = [1, 2, 1, 2]: mean 1.5, sd sqrt(1/3) = 0.57735, se 0.288675, t = 1.5 / 0.288675 = 5.196 on 3 df.
    CI 1.5 -/+ 3.182 x 0.288675 = [0.5814, 2.4186]; 4.541 < t < 5.841 so 0.01 < p < 0.02 (two-sided)."""
    out = paired_differences(table({"B": B, "A": A}), reference="B")
    assert len(out) == 1
    r = out.iloc[0]
    assert (r["scenario"], r["reference"], r["metric"], r["test"], r["n"]) == ("A", "B", "purchases", "paired t", 4)
    assert r["mean"] == pytest.approx(11.5) and r["reference_mean"] == pytest.approx(10.0)
    assert r["difference"] == pytest.approx(1.5)
    assert r["ci_low"] == pytest.approx(0.5814, abs=1e-3)
    assert r["ci_high"] == pytest.approx(2.4186, abs=1e-3)
    assert 0.01 < r["p_value"] < 0.02
    assert r["relative_difference"] == pytest.approx(0.15)


def test_pairing_follows_replication_indices_not_row_order() -> None:
    """Rows shuffled: the pairs are still matched by replication index."""
    samples = table({"B": B, "A": A}).sample(frac=1.0, random_state=3)
    r = paired_differences(samples, reference="B").iloc[0]
    assert r["difference"] == pytest.approx(1.5) and r["ci_low"] == pytest.approx(0.5814, abs=1e-3)


def test_welch_when_replications_do_not_pair() -> None:
    """C has replications 0..4, A 0..3: Welch. C = [9, 10, 10, 11, 12]: mean 10.4, var 5.2 / 4 = 1.3.
    se^2 = (5/3)/4 + 1.3/5 = 0.416667 + 0.26 = 0.676667, se = 0.82260; Welch df = 0.676667^2 /
    (0.416667^2 / 3 + 0.26^2 / 4) = 6.124, so the half width lies between 2.365 se = 1.9454 (df 7) and
    2.447 se = 2.0129 (df 6); t = 1.1 / 0.8226 = 1.337 < 1.440 so p > 0.2."""
    r = paired_differences(table({"C": [9.0, 10.0, 10.0, 11.0, 12.0], "A": A}), reference="C").iloc[0]
    assert r["test"] == "Welch t" and (r["n"], r["reference_n"]) == (4, 5)
    assert r["difference"] == pytest.approx(1.1)
    half = r["ci_high"] - r["difference"]
    assert 1.9454 < half < 2.0129
    assert r["difference"] - r["ci_low"] == pytest.approx(half)
    assert 0.2 < r["p_value"] < 0.5


def test_different_seeds_do_not_pair_and_paired_true_insists() -> None:
    samples = table({"B": B, "A": A})
    samples["seed"] = [1] * 4 + [2] * 4  # same replication indices, but independent random numbers
    assert not pairs(samples, "A", "B")
    assert paired_differences(samples, reference="B").iloc[0]["test"] == "Welch t"
    with pytest.raises(ConfigError, match="do not pair"):
        paired_differences(samples, reference="B", paired=True)
    samples["seed"] = 1
    assert pairs(samples, "A", "B")
    # paired=False forces Welch even when the rows pair: same difference, wider interval here
    welch = paired_differences(samples, reference="B", paired=False).iloc[0]
    paired = paired_differences(samples, reference="B").iloc[0]
    assert welch["test"] == "Welch t" and welch["difference"] == pytest.approx(paired["difference"])
    assert welch["ci_high"] - welch["ci_low"] > paired["ci_high"] - paired["ci_low"]


def test_paired_drops_replications_with_a_nan_and_handles_identical_samples() -> None:
    a = [10.0, 12.0, math.nan, 13.0, 11.0]
    b = [9.0, 10.0, 10.0, 11.0, 10.0]
    r = paired_differences(table({"B": b, "A": a}), reference="B").iloc[0]
    assert r["n"] == 4 and r["difference"] == pytest.approx((1 + 2 + 2 + 1) / 4)
    same = paired_differences(table({"B": b, "A": b}), reference="B").iloc[0]
    assert same["difference"] == 0 and same["ci_low"] == 0 and same["ci_high"] == 0
    assert math.isnan(same["p_value"])  # no spread: no test


def test_bad_inputs_name_the_fix() -> None:
    samples = table({"B": B, "A": A})
    with pytest.raises(ConfigError, match="unknown scenario 'b'"):
        paired_differences(samples, reference="b")
    with pytest.raises(ConfigError, match=r"unknown metric 'purchase'.*did you mean 'purchases'"):
        summary_table(samples, ["purchase"])
    with pytest.raises(ConfigError, match="no 'replication' column"):
        summary_table(samples.drop(columns="replication"))
    with pytest.raises(ConfigError, match="repeats a replication"):
        paired_differences(pd.concat([samples, samples]), reference="B")


def test_rank_and_share_of_replications_won() -> None:
    """Replication winners (higher is better): r0 A and C tie at 10 (half each), r1 B 14, r2 C 12, r3 A 13,
    so p_best A = 1.5 / 4, B = 1 / 4, C = 1.5 / 4. Means: A 11.5, C 10.75, B 10.5."""
    data = {"A": A, "B": [8.0, 14.0, 9.0, 11.0], "C": [10.0, 11.0, 12.0, 10.0]}
    out = rank_scenarios(table(data), "purchases")
    assert list(out["scenario"]) == ["A", "C", "B"] and list(out["rank"]) == [1, 2, 3]
    best = dict(zip(out["scenario"], out["p_best"], strict=True))
    assert best == pytest.approx({"A": 0.375, "B": 0.25, "C": 0.375})
    assert out["p_best_normal"].sum() == pytest.approx(1.0)
    # lower is better: winners r0 B 8, r1 C 11, r2 B 9, r3 C 10
    low = rank_scenarios(table(data), "purchases", higher_is_better=False)
    assert list(low["scenario"]) == ["B", "C", "A"]
    assert dict(zip(low["scenario"], low["p_best"], strict=True)) == pytest.approx({"A": 0.0, "B": 0.5, "C": 0.5})


def test_probability_best_normal_approximation_by_hand() -> None:
    """Paired: d = X - Y = [2, -2, 2, 2], mean 1, sd 2, se of the mean 1: P(X best) = Phi(1) = 0.8413.
    Not paired (Y on other replications): se = sqrt((8.75/3 + 2.75/3) / 4) = 0.97895, Phi(1.02) = 0.8461."""
    x, y = [5.0, 3.0, 7.0, 6.0], [3.0, 5.0, 5.0, 4.0]
    out = rank_scenarios(table({"X": x, "Y": y}), "purchases").set_index("scenario")
    mc_se = math.sqrt(0.84 * 0.16 / 200_000)
    assert out.loc["X", "p_best_normal"] == pytest.approx(0.8413, abs=5 * mc_se)
    assert out.loc["Y", "p_best_normal"] == pytest.approx(1 - 0.8413, abs=5 * mc_se)
    assert out.loc["X", "p_best"] == pytest.approx(0.75)  # X wins replications 0, 2, 3
    apart = rank_scenarios(table({"X": x, "Y": y}, start={"Y": 10}), "purchases").set_index("scenario")
    assert apart.loc["X", "p_best_normal"] == pytest.approx(0.8461, abs=5 * mc_se + 5e-4)
    assert math.isnan(apart.loc["X", "p_best"])  # no replication in common: no paired share


def test_rank_with_fewer_replications_than_scenarios_warns_nothing() -> None:
    """Two replications of five scenarios: the paired covariance is singular (rank 1); rounding made numpy's
    multivariate_normal warn 'covariance is not symmetric positive-semidefinite' onto the console (issue 15.12)."""
    rng = np.random.default_rng(1)
    data = {str(i): list(1e6 * rng.random(2)) for i in range(5)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rank_scenarios(table(data), "purchases")
    assert out["p_best_normal"].sum() == pytest.approx(1.0)


def test_probability_best_uses_a_t_reference_and_says_when_replications_are_few() -> None:
    """Paired d = X - Y = [2, -2, 2, 2]: mean 1, se 1, 3 df: P(X best) = T_3(1) = 0.8045 (normal would say 0.8413).
    Not paired: X and Y each t_3 around their means with se^2 8.75/12 and 2.75/12 (checked by simulation).
    With 4 replications (< 5) every row carries the note that says how little the percentage means (issue 15.10)."""
    x, y = [5.0, 3.0, 7.0, 6.0], [3.0, 5.0, 5.0, 4.0]
    out = rank_scenarios(table({"X": x, "Y": y}), "purchases").set_index("scenario")
    mc_se = math.sqrt(0.80 * 0.20 / 200_000)
    assert out.loc["X", "p_best_t"] == pytest.approx(0.8045, abs=5 * mc_se)
    assert out.loc["X", "p_best_t"] < out.loc["X", "p_best_normal"]
    assert "only 4 replication(s)" in out.loc["X", "note"] and "sim.replications=5" in out.loc["X", "note"]
    apart = rank_scenarios(table({"X": x, "Y": y}, start={"Y": 10}), "purchases").set_index("scenario")
    rng = np.random.default_rng(7)
    sim = 5.25 + rng.standard_t(3, 400_000) * math.sqrt(8.75 / 12) > 4.25 + rng.standard_t(3, 400_000) * math.sqrt(
        2.75 / 12
    )
    assert apart.loc["X", "p_best_t"] == pytest.approx(sim.mean(), abs=0.005)
    five = {"X": [*x, 6.0], "Y": [*y, 4.0]}
    assert rank_scenarios(table(five), "purchases")["note"].eq("").all()


def test_grouped_pairs_and_shuffled_rows_give_the_same_numbers() -> None:
    """The one-pass grouping (and the concat-free paired path) changes no number: rows of one scenario stored in
    another order go through the joined path and give the same paired difference, worked by hand: d = 1, 3, 2."""
    rows = [("a", r, v) for r, v in enumerate([10.0, 12.0, 11.0])] + [
        ("b", r, v) for r, v in enumerate([9.0, 9.0, 9.0])
    ]
    ordered = pd.DataFrame(rows, columns=["scenario", "replication", "x"])
    shuffled = ordered.iloc[[0, 2, 1, 5, 3, 4]].reset_index(drop=True)
    groups = scenario_rows(shuffled)
    assert pairs(shuffled, "a", "b", groups) and pairs(shuffled, "a", "b")
    one = paired_differences(ordered, "b", ["x"]).iloc[0]
    two = paired_differences(shuffled, "b", ["x"]).iloc[0]
    assert one["difference"] == two["difference"] == pytest.approx(2.0)
    half = float(np.asarray(two["ci_high"]) - 2.0)
    assert half == pytest.approx(4.302652729911275 * 1.0 / math.sqrt(3))  # t_{0.975, 2} * sd(d) / sqrt(3)
    assert one["ci_high"] == pytest.approx(two["ci_high"]) and one["p_value"] == pytest.approx(two["p_value"])
