"""Intervals that respect the quantity (issue 15.8): bounded metrics stay in range, ratios get Fieller intervals,
and every n/a carries its reason. Every number worked by hand (t_0.975: df 1 12.706, df 2 4.303)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from journeysim.io.outputs import incrementality_document
from journeysim.metrics import summarise
from journeysim.metrics.catalogue import range_of
from journeysim.study.incrementality import OUTCOMES, _summary_frame, incremental_table, ratio_interval


def test_bounded_metrics_keep_their_interval_in_range() -> None:
    """Two replications [0, 0.1]: mean 0.05, half width 12.706 x 0.0707 / sqrt 2 = 0.635: the plain t interval
    [-0.585, 0.685] becomes [0, 0.685]; advocacy balance [80, 99] reads [.., 100], never 120."""
    s = summarise({"conversion_rate": [0.0, 0.1], "advocacy_balance": [80.0, 99.0], "profit": [-5.0, 5.0]})
    assert s["conversion_rate"].ci_low == 0.0
    assert s["conversion_rate"].ci_high == pytest.approx(0.05 + 12.706 * math.sqrt(0.005) / math.sqrt(2), rel=1e-4)
    assert s["advocacy_balance"].ci_high == 100.0 and s["advocacy_balance"].ci_low < 80
    assert s["profit"].ci_low < -5  # profit is unbounded: its interval is the plain t interval
    assert range_of("reach.purchase") == (0.0, 1.0) and range_of("cpa") == (0.0, math.inf)
    assert range_of("roi") == (-1.0, math.inf) and range_of("iroas") == (-math.inf, math.inf)


def test_fieller_interval_of_a_ratio_by_hand() -> None:
    """num [10, 12, 14], den fixed 5: a = 12, b = 5, var(a) = 4 / 3; with s_bb = 0 Fieller is a / b -/+
    t s_a / b = 2.4 -/+ 4.303 x 1.1547 / 5 = [1.406, 3.394]."""
    r = ratio_interval(pd.Series([10.0, 12.0, 14.0]), pd.Series([5.0, 5.0, 5.0]))
    assert r.estimate == pytest.approx(2.4)
    assert (r.low, r.high) == pytest.approx((1.4063, 3.3937), abs=2e-4)
    assert r.note == ""


def _outcomes(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    data = {c: columns.get(c, [0.0] * n) for c in OUTCOMES}
    return pd.DataFrame(data)


def test_a_positive_cost_never_gets_a_negative_interval_and_every_na_has_its_reason() -> None:
    """Incremental CAC with spend 1000 and incremental new buyers [10, 1]: the per-replication t interval of the
    ratios [100, 1000] was [-5,168, 6,268] (a negative cost). Fieller: b = 5.5 with s_b = 4.5 and t = 12.7:
    b^2 < t^2 s_bb, the denominator is not clearly above zero, so the interval is n/a with that reason.
    A strategy spending less than its baseline has no iROAS, and the note says so."""
    scenario = _outcomes(new_buyers=[20.0, 11.0], spend=[1000.0, 1000.0], revenue=[500.0, 700.0])
    baseline = _outcomes(new_buyers=[10.0, 10.0], spend=[0.0, 0.0], revenue=[100.0, 100.0])
    summary = _summary_frame(incremental_table(scenario, baseline), ["incremental_cac", "iroas"])
    cac = summary.loc["incremental_cac"]
    assert cac["pooled"] == pytest.approx(1000 / 5.5)
    assert math.isnan(cac["ci_low"]) and "not clearly above zero" in cac["note"]
    cheaper = _summary_frame(incremental_table(baseline, scenario), ["iroas"]).loc["iroas"]
    assert math.isnan(cheaper["pooled"]) and cheaper["note"].startswith("no incremental spend: the scenario's spend")

    result = SimpleNamespace(
        scenario=SimpleNamespace(name="s", settings=SimpleNamespace(seed=1, replications=2)),
        baseline=SimpleNamespace(strategy=SimpleNamespace(name="none")),
        summary=summary,
        channel_summary=pd.DataFrame(),
    )
    doc = json.loads(json.dumps(incrementality_document(result, "no spend")))  # type: ignore[arg-type]
    assert doc["metrics"]["incremental_cac"]["ci_low"] is None
    assert "not clearly above zero" in doc["metrics"]["incremental_cac"]["note"]
    assert "note" not in doc["metrics"]["iroas"] or doc["metrics"]["iroas"]["note"]


def test_console_shows_why_a_ratio_is_na(tmp_path: Path) -> None:
    """The console incrementality table prints the reason next to an n/a."""
    from rich.console import Console

    from journeysim.cli.baseline import incrementality_table

    scenario = _outcomes(new_buyers=[20.0, 11.0], spend=[0.0, 0.0], revenue=[500.0, 700.0])
    baseline = _outcomes(new_buyers=[10.0, 10.0], spend=[1000.0, 1000.0], revenue=[100.0, 100.0])
    table = incremental_table(scenario, baseline)
    result = SimpleNamespace(
        scenario=SimpleNamespace(settings=SimpleNamespace(replications=2)),
        summary=_summary_frame(table, ["incremental_revenue", "iroas", "incremental_cac"]),
    )
    console = Console(width=220, record=True)
    console.print(incrementality_table(result, "no spend"))  # type: ignore[arg-type]
    text = " ".join(console.export_text().split())
    assert "why n/a" in text and "no incremental spend" in text
