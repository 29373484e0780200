"""The run's incrementality against its counterfactual baseline, for people: the console tables and the report
section (`journeysim.study.pipeline.run_study` computes it; `journeysim.config.study` resolves the baseline)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from rich.table import Table

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


def _fmt(value: float, fmt: str) -> str:
    return "n/a" if value is None or not math.isfinite(value) else fmt.format(value)


def _point(row: Mapping[Any, Any]) -> float:
    """The point estimate: the pooled ratio of means for ratios, else the mean of the replications."""
    pooled = float(row.get("pooled", math.nan))
    return pooled if math.isfinite(pooled) else float(row["mean"])


def _by_metric(frame: pd.DataFrame) -> dict[str, dict[Any, Any]]:
    return {str(k): v for k, v in frame.to_dict("index").items()}


def incrementality_rows(result: IncrementalResult) -> list[tuple[str, str, str]]:
    """(label, estimate, 95% CI) per incremental metric, formatted."""
    summary = _by_metric(result.summary)
    out = []
    for metric, label, fmt in ROWS:
        if metric not in summary:
            continue
        row = summary[metric]
        ci = f"[{_fmt(float(row['ci_low']), fmt)}, {_fmt(float(row['ci_high']), fmt)}]"
        out.append((label, _fmt(_point(row), fmt), ci))
    return out


def channel_rows(result: IncrementalResult) -> list[tuple[str, list[str]]]:
    """Per channel: the formatted removal effect and marginal ROAS point estimates."""
    if result.channel_summary.empty:
        return []
    out = []
    for name, part in result.channel_summary.groupby("channel", sort=False):
        rows = _by_metric(part.set_index("metric"))
        cells = [_fmt(_point(rows[m]), fmt) if m in rows else "n/a" for m, _, fmt in CHANNEL_ROWS]
        out.append((str(name), cells))
    return out


def incrementality_table(result: IncrementalResult, label: str) -> Table:
    """Console table: incremental purchases, revenue, iROAS, incremental CAC... against the baseline."""
    reps = result.scenario.settings.replications
    table = Table(title=f"Incrementality vs baseline '{label}' (same seeds, {reps} replications, 95% CI)")
    table.add_column("metric")
    table.add_column("estimate", justify="right")
    table.add_column("95% CI", justify="right")
    for row in incrementality_rows(result):
        table.add_row(*row)
    return table


def channels_table(result: IncrementalResult) -> Table | None:
    """Console table of removal effects and marginal ROAS per channel (None when not computed)."""
    rows = channel_rows(result)
    if not rows:
        return None
    table = Table(title=f"Per channel: removal effect and marginal ROAS (+{result.marginal_step:.0%} budget)")
    table.add_column("channel")
    for _, label, _ in CHANNEL_ROWS:
        table.add_column(label, justify="right")
    for name, cells in rows:
        table.add_row(name, *cells)
    return table


def incrementality_section(result: IncrementalResult, label: str) -> Section:
    """The report section: the same numbers as the console table, with how to read them."""
    head = "<tr><th>metric</th><th class='num'>estimate</th><th class='num'>95% CI</th></tr>"
    body = "".join(
        f"<tr><td>{esc(a)}</td><td class='num'>{esc(b)}</td><td class='num'>{esc(c)}</td></tr>"
        for a, b, c in incrementality_rows(result)
    )
    html = (
        f"<p>This run against its counterfactual baseline <b>{esc(label)}</b> (strategy "
        f"<code>{esc(result.baseline.strategy.name)}</code>), simulated on the same seeds: each replication's "
        "difference is the strategy's effect with most of the noise cancelled (common random numbers). Ratios "
        "show the pooled estimate (ratio of mean increments); definitions in docs/comparison.md.</p>"
        f"<div class='scroll'><table>{head}{body}</table></div>"
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
    return Section("Incrementality", html)
