"""HTML tables of metric summaries: headline metrics with mean, 95% CI and unit, and the full list on demand."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

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
    metrics: Mapping[str, MetricSummary],
    names: Sequence[str],
    notes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Table rows (metric, mean, 95% CI, unit, meaning) for the named metrics that are present; `tags` adds a
    short mark after a metric's name (e.g. 'not incremental')."""
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
            f"<tr><td><code>{esc(name)}</code>{_tag((tags or {}).get(name, ''))}</td>"
            f"<td class='num'>{format_value(m.mean, unit)}</td>"
            f"<td class='num'>{ci}</td><td class='unit'>{esc(display_unit(unit))}</td>"
            f"<td>{esc((notes or {}).get(name, ''))}</td></tr>"
        )
    return "".join(rows)


def _tag(text: str) -> str:
    return f" <span class='tag'>{esc(text)}</span>" if text else ""


def metrics_table(
    metrics: Mapping[str, MetricSummary],
    names: Sequence[str],
    notes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """An HTML table of metric summaries (mean and 95% CI across replications) with units."""
    head = "<tr><th>metric</th><th class='num'>mean</th><th class='num'>95% CI</th><th>unit</th><th>meaning</th></tr>"
    return f"<table>{head}{summary_rows(metrics, names, notes, tags)}</table>"


def delivery_table(daily: pd.DataFrame, channels: Sequence[str]) -> str:
    """Per channel over the horizon: spend, impressions bought and delivered, and the spend paid for impressions
    not delivered (wasted: the audience or the frequency cap binding); '' when the series has no such columns."""
    cols = ("spend", "bought", "impressions", "wasted_spend")
    if not channels or any(f"{c}.{channels[0]}" not in daily.columns for c in cols):
        return ""
    rows, totals = [], {"spend": 0.0, "wasted_spend": 0.0}
    for ch in channels:
        v = {c: float(daily[f"{c}.{ch}"].fillna(0.0).sum()) for c in cols}
        totals["spend"] += v["spend"]
        totals["wasted_spend"] += v["wasted_spend"]
        share = v["wasted_spend"] / v["spend"] if v["spend"] > 0 else math.nan
        rows.append(
            f"<tr><td>{esc(ch)}</td><td class='num'>{format_value(v['spend'], 'money')}</td>"
            f"<td class='num'>{format_value(v['bought'], '')}</td><td class='num'>{format_value(v['impressions'], '')}"
            f"</td><td class='num'>{format_value(v['wasted_spend'], 'money')}</td>"
            f"<td class='num'>{format_value(share, 'share')}</td></tr>"
        )
    share = totals["wasted_spend"] / totals["spend"] if totals["spend"] > 0 else math.nan
    rows.append(
        f"<tr><td><b>total</b></td><td class='num'>{format_value(totals['spend'], 'money')}</td><td></td><td></td>"
        f"<td class='num'><b>{format_value(totals['wasted_spend'], 'money')}</b></td>"
        f"<td class='num'>{format_value(share, 'share')}</td></tr>"
    )
    head = (
        "<tr><th>channel</th><th class='num'>spend</th><th class='num'>impressions bought</th>"
        "<th class='num'>delivered</th><th class='num'>wasted spend</th><th class='num'>wasted share</th></tr>"
    )
    return (
        "<p>What the money bought and what reached people (mean per run). <b>Wasted spend</b> is paid for "
        "impressions that were bought but not delivered: the channel's audience is too small for the budget, or "
        "its frequency cap binds (spend x (1 - delivered / bought), per day; <code>wasted_spend</code> in "
        "metrics.json).</p>"
        f"<div class='scroll'><table>{head}{''.join(rows)}</table></div>"
    )
