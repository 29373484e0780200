"""The run's incrementality against its counterfactual baseline, for people: the rows the console and the report
share, and the report section that leads the run report (incremental numbers first, plain ratios after)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from journeysim.metrics import catalogue
from journeysim.report.html import Section, esc
from journeysim.study.incrementality import IncrementalResult


def _rows(view: str) -> list[tuple[str, str, str]]:
    """(metric, label, format) of the metrics `view` shows, from the metric catalogue."""
    return [(n, catalogue.label(n, view), catalogue.metric(n).fmt_in(view)) for n in catalogue.headline(view)]


#: Rows of the incrementality table: (metric, label, format). Ratios show the pooled estimate.
ROWS: Sequence[tuple[str, str, str]] = _rows("baseline")
#: Per-channel columns: (metric, label, format).
CHANNEL_ROWS: Sequence[tuple[str, str, str]] = _rows("channel")
#: The numbers a planner decides on, shown first in the run report: (metric, label, format).
HEADLINE: Sequence[tuple[str, str, str]] = _rows("report_incremental")


def fmt_value(value: float, fmt: str) -> str:
    """`value` formatted, or 'n/a' when it is missing or not finite."""
    return "n/a" if value is None or not math.isfinite(value) else fmt.format(value)


def point(row: Mapping[Any, Any]) -> float:
    """The point estimate: the pooled ratio of means for ratios, else the mean of the replications."""
    pooled = float(row.get("pooled", math.nan))
    return pooled if math.isfinite(pooled) else float(row["mean"])


def by_metric(frame: pd.DataFrame) -> dict[str, dict[Any, Any]]:
    """A summary frame (index metric) as one dict per metric."""
    return {str(k): v for k, v in frame.to_dict("index").items()}


def incrementality_rows(
    result: IncrementalResult, rows: Sequence[tuple[str, str, str]] = ROWS
) -> list[tuple[str, str, str, str]]:
    """(label, estimate, 95% CI, note) per incremental metric of `rows`, formatted; the note says why an n/a is
    n/a (e.g. no incremental spend), '' otherwise."""
    summary = by_metric(result.summary)
    out = []
    for metric, label, fmt in rows:
        if metric not in summary:
            continue
        row = summary[metric]
        low, high = float(row["ci_low"]), float(row["ci_high"])
        ci = f"[{fmt_value(low, fmt)}, {fmt_value(high, fmt)}]" if math.isfinite(low) else "n/a"
        out.append((label, fmt_value(point(row), fmt), ci, str(row.get("note", "") or "")))
    return out


def channel_rows(result: IncrementalResult) -> list[tuple[str, list[str]]]:
    """Per channel: the formatted removal effect and marginal ROAS point estimates."""
    if result.channel_summary.empty:
        return []
    out = []
    for name, part in result.channel_summary.groupby("channel", sort=False):
        rows = by_metric(part.set_index("metric"))
        cells = [fmt_value(point(rows[m]), fmt) if m in rows else "n/a" for m, _, fmt in CHANNEL_ROWS]
        out.append((str(name), cells))
    return out


def _cards(result: IncrementalResult) -> str:
    """The headline: iROAS, incremental profit, incremental new buyers and CAC as large numbers with their CI."""
    cards = "".join(
        f"<div class='card'><div class='k'>{esc(label)}</div><div class='v'>{esc(value)}</div>"
        f"<div class='ci'>95% CI {esc(ci)}</div>" + (f"<div class='ci'>{esc(note)}</div>" if note else "") + "</div>"
        for label, value, ci, note in incrementality_rows(result, HEADLINE)
    )
    return f"<div class='cards'>{cards}</div>"


def incrementality_section(result: IncrementalResult, label: str) -> Section:
    """The report section, placed first (`lead`): the incremental headline, then every incremental metric."""
    head = "<tr><th>metric</th><th class='num'>estimate</th><th class='num'>95% CI</th><th>note</th></tr>"
    body = "".join(
        f"<tr><td>{esc(a)}</td><td class='num'>{esc(b)}</td><td class='num'>{esc(c)}</td>"
        f"<td class='note'>{esc(d)}</td></tr>"
        for a, b, c, d in incrementality_rows(result)
    )
    html = (
        f"<p>What this strategy adds over its counterfactual baseline <b>{esc(label)}</b> (strategy "
        f"<code>{esc(result.baseline.strategy.name)}</code>), simulated on the same seeds. These are the numbers "
        "to decide on: the plain ROAS and ROI further down count every sale, also those that would have happened "
        "without the spend, so they are <b>not incremental</b>.</p>"
        + _cards(result)
        + "<p class='note'>Each replication's difference is the strategy's effect with most of the noise cancelled "
        "(common random numbers). Ratios show the pooled estimate (ratio of mean increments) with Fieller's interval; "
        "differences the t interval. Definitions in docs/comparison.md.</p>"
        f"<details><summary>All incremental metrics</summary><div class='scroll'><table>{head}{body}</table></div>"
        "</details>"
    )
    rows = channel_rows(result)
    if rows:
        heads = "".join(f"<th class='num'>{esc(label)}</th>" for _, label, _ in CHANNEL_ROWS)
        cells = "".join(
            f"<tr><td>{esc(n)}</td>" + "".join(f"<td class='num'>{esc(c)}</td>" for c in cs) + "</tr>" for n, cs in rows
        )
        html += (
            f"<p>Per channel: what removing it loses, and what +{result.marginal_step:.0%} budget on it buys.</p>"
            f"<div class='scroll'><table><tr><th>channel</th>{heads}</tr>{cells}</table></div>"
        )
    return Section("Incrementality", html, lead=True)
