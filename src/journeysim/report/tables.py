"""HTML tables of metric summaries: headline metrics with mean, 95% CI and unit, and the full list on demand."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from journeysim.metrics import MetricSummary, metric_unit
from journeysim.metrics.catalogue import headline, metric
from journeysim.report.html import esc


def headline_notes(view: str = "report") -> dict[str, str]:
    """A view's headline metrics, in reading order, with what each means in one line (the catalogue's formula)."""
    return {name: metric(name).description for name in headline(view)}


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
