"""The run's incrementality against its counterfactual baseline on the console (`journeysim.study.pipeline.run_study`
computes it; `journeysim.report.incrementality` holds the rows the console and the report share, and the section)."""

from __future__ import annotations

from rich.table import Table

from journeysim.report.incrementality import (
    CHANNEL_ROWS,
    ROWS,
    channel_rows,
    incrementality_rows,
    incrementality_section,
)
from journeysim.study.incrementality import IncrementalResult

__all__ = [
    "CHANNEL_ROWS",
    "ROWS",
    "channel_rows",
    "channels_table",
    "incrementality_rows",
    "incrementality_section",
    "incrementality_table",
]


def incrementality_table(result: IncrementalResult, label: str) -> Table:
    """Console table: incremental purchases, revenue, iROAS, incremental CAC... against the baseline."""
    reps = result.scenario.settings.replications
    title = f"Incrementality vs baseline '{label}' (same seeds, {reps} replications, 95% CI)"
    table = Table(title=title, min_width=len(title) + 2)  # the title on one line, however narrow the numbers
    table.add_column("metric")
    table.add_column("estimate", justify="right")
    table.add_column("95% CI", justify="right")
    rows = incrementality_rows(result)
    notes = any(note for *_, note in rows)
    if notes:
        table.add_column("why n/a", overflow="fold", max_width=60)
    for label, estimate, ci, note in rows:
        table.add_row(label, estimate, ci, *([note] if notes else []))
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
