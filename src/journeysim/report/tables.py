"""HTML tables of metric summaries: headline metrics with mean, 95% CI and unit, and the full list on demand."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from journeysim.metrics import MetricSummary, metric_unit
from journeysim.report.html import esc

#: Headline metrics, in reading order, with what each means in one line (definitions: docs/metrics.md).
HEADLINE: dict[str, str] = {
    "customers": "everyone simulated: present at day 0 plus arrivals",
    "new_prospects": "new prospects who arrived within the horizon (leads)",
    "purchases": "entries into a conversion stage, repeat purchases included",
    "new_buyers": "prospects who bought at least once (acquired customers)",
    "conversion_rate": "new buyers / prospects",
    "sales_cycle_days_median": "median days from first contact to first purchase",
    "dropout_rate": "prospects who left without buying / prospects",
    "customer_churn_rate": "buyers who ended in a terminal stage / buyers",
    "repeat_purchase_rate": "buyers with two or more purchases / buyers",
    "revenue": "order values of all purchases",
    "margin": "revenue x segment margin",
    "aov": "average order value: revenue / purchases",
    "clv": "discounted margin per acquired customer, within the horizon",
    "nps": "promoters minus detractors among buyers (a proxy, not a survey)",
    "spend": "media spend",
    "cac": "spend / new buyers",
    "cpa": "spend / purchases",
    "roas": "revenue / spend",
    "roi": "(margin - spend) / spend",
}


def unit_of(metric: str) -> str:
    """The documented unit of a metric, or '' for a name journeysim does not define."""
    try:
        return metric_unit(metric)
    except KeyError:
        return ""


def format_value(x: float, unit: str) -> str:
    """A metric value for people: shares as percentages, money and counts with thousands separators."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if unit == "share":
        return f"{100 * x:.1f}%"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    if ax == 0:
        return "0"
    return f"{x:.3g}" if ax < 1 else f"{x:.2f}"


def display_unit(unit: str) -> str:
    """Unit text for a table: 'share' reads as '%'."""
    return "%" if unit == "share" else unit


def summary_rows(
    metrics: Mapping[str, MetricSummary], names: Sequence[str], notes: Mapping[str, str] | None = None
) -> str:
    """Table rows (metric, mean, 95% CI, unit, meaning) for the named metrics that are present."""
    rows = []
    for name in names:
        m = metrics.get(name)
        if m is None:
            continue
        unit = unit_of(name)
        if m.replications >= 2 and math.isfinite(m.ci_low):
            ci = f"{format_value(m.ci_low, unit)} to {format_value(m.ci_high, unit)}"
        else:
            ci = '<span class="note">needs 2+ replications</span>' if m.replications == 1 else "n/a"
        rows.append(
            f"<tr><td><code>{esc(name)}</code></td><td class='num'>{format_value(m.mean, unit)}</td>"
            f"<td class='num'>{ci}</td><td class='unit'>{esc(display_unit(unit))}</td>"
            f"<td>{esc((notes or {}).get(name, ''))}</td></tr>"
        )
    return "".join(rows)


def metrics_table(
    metrics: Mapping[str, MetricSummary], names: Sequence[str], notes: Mapping[str, str] | None = None
) -> str:
    """An HTML table of metric summaries (mean and 95% CI across replications) with units."""
    head = "<tr><th>metric</th><th class='num'>mean</th><th class='num'>95% CI</th><th>unit</th><th>meaning</th></tr>"
    return f"<table>{head}{summary_rows(metrics, names, notes)}</table>"
