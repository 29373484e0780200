"""The console summary of a run: the funnel table and the headline metrics with their 95% CI (rich)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from journeysim.metrics import MetricSummary
from journeysim.metrics.catalogue import fmt, headline, label, metric
from journeysim.study.run import RunResult


def _fmt(value: float, pattern: str) -> str:
    return "n/a" if value is None or not math.isfinite(value) else pattern.format(value)


def funnel_table(result: RunResult) -> Table:
    """Per stage: funnel position, customers who reached it, went deeper, dropped out there, and the rates."""
    positions = result.scenario.journey.positions
    table = Table(title=f"Funnel: {result.scenario.journey.name} (mean of {result.scenario.settings.replications})")
    for col in ("stage", "position", "reached", "advanced", "dropped", "stage conv.", "abandonment"):
        table.add_column(col, justify="left" if col in ("stage", "position") else "right")
    rows: list[dict[Any, Any]] = result.funnel.to_dict("records")
    for row in rows:
        stage = str(row["stage"])
        table.add_row(
            stage,
            positions.get(stage, ""),
            _fmt(float(row["reached"]), "{:,.0f}"),
            _fmt(float(row["advanced"]), "{:,.0f}"),
            _fmt(float(row["dropped"]), "{:,.0f}"),
            _fmt(float(row["stage_conversion_rate"]), "{:.1%}"),
            _fmt(float(row["abandonment_rate"]), "{:.1%}"),
        )
    return table


def metrics_table(result: RunResult) -> Table:
    """Headline metrics: mean and 95% confidence interval over the replications."""
    table = Table(title=f"Headline metrics ({result.scenario.settings.replications} replications, 95% CI)")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    spend = result.metrics.get("spend")
    spends = spend is not None and math.isfinite(spend.mean) and spend.mean > 0
    for name in headline("console"):
        m: MetricSummary | None = result.metrics.get(name)
        if m is None or (metric(name).family == "spend" and not spends):  # spend rows only when money is spent
            continue
        ci = f"[{fmt(name, m.ci_low)}, {fmt(name, m.ci_high)}]"
        table.add_row(label(name), fmt(name, m.mean), ci)
    return table


def print_summary(console: Console, result: RunResult, out_dir: str | None = None) -> None:
    """Print the scenario line, the funnel table, the headline metrics and where the outputs are."""
    console.print(funnel_table(result))
    console.print(metrics_table(result))
    if out_dir is not None:
        console.print(f"Outputs: {out_dir}", markup=False, highlight=False)
