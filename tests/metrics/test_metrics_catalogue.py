"""The metric catalogue: every metric a run writes has one entry (unit, direction, formula), the docs name every
entry, and each view's defaults, labels and formats are the ones the console and reports have always shown."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from journeysim.config import load_scenario
from journeysim.errors import ConfigError
from journeysim.io.outputs import incrementality_document, metrics_document
from journeysim.metrics import RECORD_METRICS, SPEND_METRICS, metric_unit
from journeysim.metrics.catalogue import (
    CATALOGUE,
    FAMILIES,
    direction,
    find,
    fmt,
    headline,
    label,
    metric,
    names,
    run_metric_names,
)
from journeysim.study.incrementality import CHANNEL_METRICS, INCREMENTAL_METRICS, incremental
from journeysim.study.run import run

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def written() -> tuple[dict, dict]:
    """metrics.json and incrementality.json (with per-channel effects) of a tiny spending run."""
    scenario = load_scenario(["population.scale=0.01", "sim=quick", "sim.replications=2", "strategy=balanced"])
    return metrics_document(run(scenario)), incrementality_document(incremental(scenario, channels=True), "no spend")


def test_every_metric_a_run_writes_has_an_entry_with_a_direction(written) -> None:
    metrics, increments = written
    channel_names = {m for per in increments["channels"].values() for m in per}
    written_names = [*metrics["metrics"], *increments["metrics"], *channel_names]
    assert any(n.startswith("reach.") for n in written_names) and channel_names
    for name in written_names:
        entry = find(name)
        assert entry is not None, name
        assert entry.direction in ("higher", "lower") and entry.unit and entry.description, name
    # metrics.json holds exactly the run families, in catalogue order
    stages = [n.removeprefix("reach.") for n in metrics["metrics"] if n.startswith("reach.")]
    assert list(metrics["metrics"]) == run_metric_names(stages)


def test_the_docs_define_every_catalogue_name() -> None:
    text = (DOCS / "metrics.md").read_text() + (DOCS / "comparison.md").read_text()
    missing = [n for n in names() if f"`{n}`" not in text]
    assert not missing, f"not in docs/metrics.md: {missing}"


def test_name_lists_come_from_the_catalogue() -> None:
    assert set(FAMILIES) == {CATALOGUE.get(n).family for n in names()}
    assert tuple(SPEND_METRICS) == (
        "cpl",
        "cpa",
        "cac",
        "roas",
        "profit",
        "roi",
        "cost_per_stage_advance",
        "wasted_spend",  # issue 15.9
    )
    assert len(RECORD_METRICS) == 22 and all(metric(n).function is fn for n, (fn, _) in RECORD_METRICS.items())
    assert names("incremental") == INCREMENTAL_METRICS and names("channel") == CHANNEL_METRICS
    assert metric_unit("reach.consideration") == "share" and metric_unit("spend") == "money"
    with pytest.raises(KeyError):
        metric_unit("iroas")  # not a metrics.json metric: reports show increments without a unit, as before


def test_costs_times_and_losses_rank_lower_is_better() -> None:
    lower = {n for n in names() if direction(n) == "lower"}
    assert lower == {
        "spend",
        "cpa",
        "cac",
        "cpl",
        "cost_per_stage_advance",
        "wasted_spend",
        "sales_cycle_days_mean",
        "sales_cycle_days_median",
        "sales_cycle_days_p90",
        "dropout_rate",
        "customer_churn_rate",
        "incremental_spend",
        "incremental_cac",
        "removal_spend",
        "marginal_spend",
        "payback_days",  # issue 12.3: a time
        "detractor_share",  # issue 12.4
    }
    assert direction("reach.purchase") == "higher"


def test_console_headline_keeps_its_labels_and_formats() -> None:
    rows = [(n, label(n), metric(n).fmt_in("console")) for n in headline("console")]
    assert rows == [
        ("customers", "customers", "{:,.0f}"),
        ("new_buyers", "new buyers", "{:,.0f}"),
        ("purchases", "purchases", "{:,.0f}"),
        ("conversion_rate", "conversion rate", "{:.2%}"),
        ("purchases_per_customer", "purchases per customer", "{:.3f}"),
        ("repeat_purchase_rate", "repeat-purchase rate", "{:.2%}"),
        ("sales_cycle_days_mean", "sales cycle, mean days", "{:.1f}"),
        ("retention_rate", "retention rate", "{:.2%}"),
        ("revenue", "revenue", "{:,.0f}"),
        ("clv", "CLV per new buyer (horizon)", "{:,.2f}"),
        ("advocacy_balance", "advocacy balance (promoters - churned, not NPS)", "{:.1f}"),
        ("spend", "marketing spend", "{:,.0f}"),
        ("cpa", "cost per acquisition", "{:,.2f}"),
        ("roas", "ROAS", "{:.2f}"),
        ("roi", "ROI", "{:.2f}"),
    ]
    assert [n for n in headline("console") if metric(n).family == "spend"] == ["spend", "cpa", "roas", "roi"]


def test_sweep_task_and_baseline_views_keep_their_text() -> None:
    assert [(n, label(n, "collect"), metric(n).fmt_in("collect")) for n in headline("collect")] == [
        ("purchases", "purchases", "{:,.0f}"),
        ("conversion_rate", "conv. rate", "{:.2%}"),
        ("revenue", "revenue", "{:,.0f}"),
        ("iroas", "iROAS", "{:.2f}"),
    ]
    assert headline("task") == ("conversion_rate", "purchases", "revenue", "clv")
    assert [(n, label(n, "baseline"), metric(n).fmt_in("baseline")) for n in headline("baseline")] == [
        ("incremental_purchases", "incremental purchases", "{:,.0f}"),
        ("incremental_new_buyers", "incremental new buyers", "{:,.0f}"),
        ("incremental_revenue", "incremental revenue", "{:,.0f}"),
        ("incremental_spend", "incremental spend", "{:,.0f}"),
        ("incremental_profit", "incremental profit (margin - spend)", "{:,.0f}"),
        ("iroas", "iROAS (revenue / spend)", "{:.2f}"),
        ("incremental_cac", "incremental CAC (spend / new buyer)", "{:,.2f}"),
        ("incremental_roi", "incremental ROI", "{:.2f}"),
    ]
    assert [(n, label(n, "channel"), metric(n).fmt_in("channel")) for n in headline("channel")] == [
        ("removal_purchases", "removal: purchases", "{:,.0f}"),
        ("removal_revenue", "removal: revenue", "{:,.0f}"),
        ("removal_iroas", "removal iROAS", "{:.2f}"),
        ("marginal_roas", "marginal ROAS", "{:.2f}"),
    ]


def test_report_and_compare_defaults() -> None:
    assert headline("compare") == ("purchases", "new_buyers", "conversion_rate", "revenue", "spend", "roi")
    assert headline("comparison_page")[-3:] == ("cac", "roas", "roi") and len(headline("comparison_page")) == 9
    assert len(headline("report")) == 19 and metric("roi").description == "(margin - spend) / spend"


def test_lookups() -> None:
    assert fmt("conversion_rate", 0.12345) == "12.35%" and fmt("revenue", 1234567.8) == "1,234,568"
    assert fmt("revenue", math.nan) == "n/a" and fmt("iroas", None, missing="") == ""
    assert metric("reach.purchase").name == "reach.<stage>" and find("no_such_metric") is None
    with pytest.raises(ConfigError, match="did you mean 'revenue'"):
        metric("revenu")
    assert names("spend")[0] == "spend" and label("marginal_profit") == "marginal profit"
