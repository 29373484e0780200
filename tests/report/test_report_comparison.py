"""The comparison report on hand-made tidy tables: charts, tables, budget-response slopes, input errors."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from journeysim.errors import ConfigError
from journeysim.report import COMPARISON_FILE, comparison_report
from journeysim.report.comparison_charts import response_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BUDGETS = {"none": 0.0, "small": 100.0, "medium": 200.0, "large": 400.0}


def revenue(b: float) -> float:
    return 1000.0 + 2.0 * b


def new_buyers(b: float) -> float:
    return 10.0 + 0.05 * b


def sweep_table() -> pd.DataFrame:
    """Revenue rises by 2 per unit of budget, new buyers by 50 per 1000, conversion by 1 point per 100."""
    rows = []
    for name, b in BUDGETS.items():
        for metric, mean, half in (
            ("revenue", revenue(b), 10.0),
            ("new_buyers", new_buyers(b), 1.0),
            ("conversion_rate", 0.2 + b / 10_000, 0.005),
        ):
            rows.append({"scenario": name, "metric": metric, "mean": mean, "ci_low": mean - half,
                         "ci_high": mean + half, "budget": b})  # fmt: skip
    return pd.DataFrame(rows)


def differences() -> pd.DataFrame:
    rows = []
    for name in ("small", "medium", "large"):
        d = revenue(BUDGETS[name]) - revenue(0.0)
        rows.append({"scenario": name, "metric": "revenue", "mean": d, "ci_low": d - 5, "ci_high": d + 5,
                     "p_value": 0.001, "reference": "none"})  # fmt: skip
        rows.append({"scenario": name, "metric": "new_buyers", "mean": 0.5, "ci_low": -0.5, "ci_high": 1.5,
                     "p_value": 0.3, "reference": "none"})  # fmt: skip
    return pd.DataFrame(rows)


def test_comparison_report_writes_all_charts(tmp_path: Path) -> None:
    path = comparison_report(sweep_table(), tmp_path, differences=differences())
    assert path == tmp_path / COMPARISON_FILE
    html = path.read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    names = ("comparison_metrics", "comparison_differences", "budget_response")
    assert len(images) == len(names)
    for name, data in zip(names, images, strict=True):
        saved = (tmp_path / "charts" / f"{name}.png").read_bytes()
        assert saved.startswith(PNG_MAGIC)
        assert base64.b64decode(data) == saved
    assert not re.search(r"https?://|<script|<link", html)
    assert "reference: <b>none</b>" in html  # taken from the differences' reference column
    # revenue differences exclude zero -> emphasised; new-buyer differences include zero -> not
    assert "<span class='clear'>+200</span>" in html
    assert "<span>+0.5</span>" in html
    assert "p = 0.001" in html


def test_budget_response_slopes_are_the_marginal_returns() -> None:
    fig = response_figure(sweep_table(), ["revenue", "new_buyers"], "budget", None)
    axes = fig.axes
    marginal_revenue = np.asarray(axes[1].lines[0].get_ydata(), dtype=float)
    marginal_buyers = np.asarray(axes[3].lines[0].get_ydata(), dtype=float)
    np.testing.assert_allclose(marginal_revenue, 2.0)  # money per unit of budget: a marginal ROAS of 2
    np.testing.assert_allclose(marginal_buyers, 50.0)  # per 1000 of budget
    between = np.asarray(axes[1].lines[0].get_xdata(), dtype=float)
    np.testing.assert_allclose(between, np.array([50.0, 150.0, 300.0]))  # between neighbouring budgets


def test_one_line_per_series(tmp_path: Path) -> None:
    a = sweep_table().assign(strategy="balanced")
    b = sweep_table().assign(strategy="retention", scenario=lambda f: f["scenario"] + "_r")
    b["mean"] = b["mean"] * 1.1
    fig = response_figure(pd.concat([a, b]), ["revenue"], "budget", "strategy")
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["balanced", "retention"]
    comparison_report(pd.concat([a, b]), tmp_path, series="strategy")
    assert (tmp_path / "charts" / "budget_response.png").exists()


def test_without_budget_no_response_chart_and_stale_one_removed(tmp_path: Path) -> None:
    comparison_report(sweep_table(), tmp_path)
    assert (tmp_path / "charts" / "budget_response.png").exists()
    html = comparison_report(sweep_table().drop(columns="budget"), tmp_path).read_text(encoding="utf-8")
    assert "Budget response" not in html
    assert not (tmp_path / "charts" / "budget_response.png").exists()
    assert not (tmp_path / "charts" / "comparison_differences.png").exists()


@pytest.mark.parametrize(
    ("change", "setting", "message"),
    [
        (lambda t: t.drop(columns="ci_high"), "table", "missing column(s) ci_high"),
        (lambda t: t.rename(columns={"mean": "maen"}), "table", "did you mean 'maen'"),
        (lambda t: pd.concat([t, t.head(1)]), "table", "more than one row for scenario 'none'"),
    ],
)
def test_bad_tables_are_refused_with_a_fix(change: object, setting: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        comparison_report(change(sweep_table()), tmp_path)  # type: ignore[operator]
    assert err.value.setting == setting
    assert message in err.value.problem
    assert not (tmp_path / COMPARISON_FILE).exists()


def test_unknown_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'revenue'"):
        comparison_report(sweep_table(), tmp_path, metrics=["revenu"])
    with pytest.raises(ConfigError, match="unknown scenario 'nothing'"):
        comparison_report(sweep_table(), tmp_path, reference="nothing")
    with pytest.raises(ConfigError, match="response_metrics"):
        comparison_report(sweep_table(), tmp_path, response_metrics=["roas"])


def test_reads_the_compare_module_outputs_as_they_are(tmp_path: Path) -> None:
    """summary_table, paired_differences (value in `difference`, `mean` = the scenario's mean) and rank_scenarios."""
    from journeysim.study import compare

    base = np.array([100.0, 110.0, 120.0, 130.0])
    samples = pd.DataFrame(
        {
            "scenario": ["a"] * 4 + ["b"] * 4,
            "replication": list(range(4)) * 2,
            "revenue": np.concatenate([base, base + np.array([10.0, 12.0, 8.0, 10.0])]),
        }
    )
    diffs = compare.paired_differences(samples, reference="a")
    html = comparison_report(
        compare.summary_table(samples),
        tmp_path,
        differences=diffs,
        ranking=compare.rank_scenarios(samples, "revenue", draws=1000),
        ranking_metric="revenue",
    ).read_text(encoding="utf-8")
    assert "reference: <b>a</b>" in html
    assert "<span class='clear'>+10.00</span>" in html  # the paired difference, not b's mean (125)
    assert "+125" not in html
    assert "Ranking" in html and "p_best_normal" in html
