"""The report of one run: headline metrics, funnel, journey flows, occupancy, purchases and revenue, spend.

`run_report(result, out_dir)` writes report.html (self-contained) and charts/*.png. Everything comes from the
`RunResult` (means over replications); the flow diagram needs the transition counts, which the result holds
only when the run kept its records (`run(..., keep_records=True)`) or when they are passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from journeysim.metrics.views import NOT_INCREMENTAL
from journeysim.report.flow_chart import flow_figure
from journeysim.report.funnel_chart import funnel_figure
from journeysim.report.html import Chart, Page, Section, bullet_list
from journeysim.report.series_charts import (
    WEEKLY_FROM_DAYS,
    all_segments,
    occupancy_figure,
    purchases_figure,
    spend_channels,
    spend_figure,
)
from journeysim.report.style import png_bytes
from journeysim.report.tables import delivery_table, headline_notes, metrics_table
from journeysim.report.writer import write_page
from journeysim.study.run import RunResult

REPORT_FILE = "report.html"
RUN_CHARTS = ("funnel", "flow", "occupancy", "purchases", "spend")

HOW_TO_READ = [
    "Every number is a <b>mean over the run's replications</b>; the 95% confidence interval (CI) says how much it "
    "would move with other random seeds. Run more replications (<code>sim.replications</code>) for tighter "
    "intervals.",
    "The funnel counts <b>customers</b> (each once per stage); the flow diagram counts <b>transitions</b> (a "
    "customer who goes back and forth is counted on every move).",
    "Everything counts <b>within the horizon</b> only: nothing is extrapolated, so customers still on their way "
    "at the end are neither buyers nor drop-outs yet.",
    "Money is in the units of the order values; spend is money. The model is illustrative: compare scenarios "
    "with each other rather than reading one projection as a forecast.",
]


def transition_matrix(result: RunResult) -> NDArray[np.float64] | None:
    """(S + 1, S) mean transition counts per replication (row S = arrivals), or None when the result has none.

    The runner keeps this mean in `result.transitions`; without it, kept records are averaged.
    """
    if result.transitions is not None:
        return np.asarray(result.transitions, dtype=float)
    if result.records:
        return np.mean([r.transition_counts() for r in result.records], axis=0)
    return None


def _facts(result: RunResult) -> list[tuple[str, str]]:
    sc = result.scenario
    s = sc.settings
    facts = [
        ("scenario", sc.name),
        ("journey", sc.journey.name),
        ("segments", ", ".join(sc.population.names)),
        ("horizon", f"{s.horizon_days} days"),
        *([("dates", f"{s.date_of(0)} to {s.date_of(s.horizon_days - 1)}")] if s.start_date is not None else []),
        *([("starts from", f"the end of {sc.start_state.source}")] if sc.start_state is not None else []),
        ("replications", str(s.replications)),
        ("seed", str(s.seed)),
        ("engine", s.engine),
    ]
    if sc.strategy.plans or sc.strategy.rate_multipliers:
        facts.append(("strategy", sc.strategy.name))
    if "spend" in result.metrics:
        facts.append(("spend", f"{result.metrics['spend'].mean:,.0f}"))
    return facts


def _metrics_section(result: RunResult, incremental: bool) -> Section:
    notes = headline_notes("report")
    names = [n for n in notes if n in result.metrics]
    rest = [n for n in result.metrics if n not in notes]
    tags = dict.fromkeys(NOT_INCREMENTAL, "not incremental")
    for n in NOT_INCREMENTAL:
        notes[n] += "; counts every sale, also those that would happen without the spend" + (
            " (the incremental numbers are above)" if incremental else " (run with a baseline for incremental ones)"
        )
    body = metrics_table(result.metrics, names, notes, tags)
    body += (
        f"<details><summary>All {len(result.metrics)} metrics</summary>"
        f"{metrics_table(result.metrics, names + rest, tags=tags)}</details>"
    )
    body += (
        '<p class="note">Definitions, formulas and units: docs/metrics.md. A ratio with a zero denominator is '
        "n/a. The CI is mean &plusmn; t &times; std / &radic;n over replications.</p>"
    )
    return Section("Headline metrics", body)


def _flow_section(result: RunResult, transitions: ArrayLike | None) -> Section:
    j = result.scenario.journey
    counts = transition_matrix(result) if transitions is None else np.asarray(transitions, dtype=float)
    if counts is None:
        return Section(
            "Journey flows",
            '<p class="note">No transition counts in this result: run with '
            "<code>run(scenario, keep_records=True)</code> or pass <code>transitions=</code> to "
            "<code>run_report</code> to draw the flow diagram.</p>",
        )
    fig = flow_figure(counts, j.stages, j.positions, j.conversion_indices, j.terminal_indices)
    caption = (
        "Every transition over the horizon (mean over the kept replications), stages as columns in journey order. "
        "Ribbons <b>above</b> the axis move forward (later stage), ribbons <b>below</b> move back: re-evaluation "
        "and regression (red) and repeat purchases (green). Width is proportional to the number of moves; the "
        "largest are labelled. The number under each stage is its entries. Look for thick red loops (people "
        "going back to compare) and thick grey arcs into the terminal stage (where people are lost)."
    )
    chart = Chart("flow", png_bytes(fig), "Flow diagram of transitions between stages", caption)
    return Section("Journey flows", charts=(chart,))


def run_page(
    result: RunResult,
    title: str | None = None,
    *,
    transitions: ArrayLike | None = None,
    sections: Sequence[Section] = (),
) -> Page:
    """The report page of one run (charts rendered, nothing written)."""
    sc = result.scenario
    j = sc.journey
    funnel_caption = (
        "Customers who were ever in each stage (<i>visited</i>), grouped by funnel position; <i>reached or "
        "beyond</i> (shown where it differs) adds those who skipped the stage or moved back past it, and the rates "
        "are shares of it (advanced + dropped + in progress = reached or beyond). <i>went deeper</i> is the stage "
        "conversion rate (customers whose journey reached a deeper stage / customers who reached this stage or "
        "beyond); <i>dropped out here</i> is the abandonment rate (this was their deepest stage and they left). "
        "The rest are still in progress at the horizon. The terminal stage counts everyone lost."
    )
    lead = [s for s in sections if s.lead]  # e.g. incrementality: what the strategy adds, before anything else
    out = [
        Section("How to read this report", bullet_list(HOW_TO_READ, "read")),
        *lead,
        _metrics_section(result, incremental=bool(lead)),
        Section(
            "Funnel",
            charts=(
                Chart(
                    "funnel",
                    png_bytes(funnel_figure(result.funnel, j.positions)),
                    "Funnel chart: customers reaching each stage",
                    funnel_caption,
                ),
            ),
        ),
        _flow_section(result, transitions),
    ]
    daily = all_segments(result.timeseries)
    weekly = sc.settings.horizon_days >= WEEKLY_FROM_DAYS
    occ = Chart(
        "occupancy",
        png_bytes(occupancy_figure(daily, j.stages, j.positions, j.terminal)),
        "Stage occupancy over time",
        "Customers in each stage at the end of each day, all segments, stacked in journey order (top of "
        "funnel at the bottom of the stack). A growing band is a stage filling up faster than it empties: "
        "a bottleneck or, after purchase, a growing customer base.",
    )
    out.append(Section("Stage occupancy", charts=(occ,)))
    buys = Chart(
        "purchases",
        png_bytes(purchases_figure(daily, weekly)),
        "Purchases and revenue over time",
        "Top: purchases (first and repeat) and new prospects per day. Bottom: revenue and margin per day. "
        "Seasonality, campaign flights and word of mouth show up here.",
    )
    out.append(Section("Purchases and revenue", charts=(buys,)))
    if spend_channels(daily):
        spend = Chart(
            "spend",
            png_bytes(spend_figure(daily, weekly)),
            "Media spend per channel over time",
            "Money spent per day on each channel, stacked: flights start and stop, pacing shapes them. "
            "Compare with the purchases chart to see how response lags spend (adstock carries it over).",
        )
        delivered = delivery_table(daily, spend_channels(daily))
        out.append(Section("Media spend", charts=(spend,), after=delivered))
    out.extend(s for s in sections if not s.lead)
    return Page(title or f"journeysim report: {sc.name}", _facts(result), out)


def run_report(
    result: RunResult,
    out_dir: str | Path,
    title: str | None = None,
    *,
    transitions: ArrayLike | None = None,
    sections: Sequence[Section] = (),
) -> Path:
    """Write report.html and charts/*.png for one run into `out_dir`; returns the path of report.html.

    `transitions` is an (S + 1, S) transition-count matrix (row S = arrivals) for the flow diagram; by default
    it is the mean over `result.records`, and without either the diagram is replaced by a note. `sections` are
    appended to the page (e.g. a bottleneck table).
    """
    return write_page(
        run_page(result, title, transitions=transitions, sections=sections), out_dir, REPORT_FILE, RUN_CHARTS
    )
