"""The funnel chart: customers who reached each stage, grouped and coloured by funnel position, with rates.

Bars are the funnel table's `reached`; each bar is annotated with the stage conversion rate (went deeper) and
the abandonment rate (dropped out there), both over the customers whose funnel span covers the stage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from journeysim.report.style import (
    INK,
    MUTED,
    POSITION_COLOURS,
    POSITION_LABELS,
    POSITION_ORDER,
    TITLE_Y,
    human,
    new_figure,
    percent,
    style_axes,
)


def _rank(position: str) -> int:
    return POSITION_ORDER.index(position) if position in POSITION_ORDER else len(POSITION_ORDER)


def funnel_order(stages: list[str], positions: Mapping[str, str]) -> list[int]:
    """Stage indices grouped by funnel position (top, middle, bottom, post-purchase, exit), journey order within."""
    return sorted(range(len(stages)), key=lambda i: (_rank(positions.get(stages[i], "exit")), i))


def _label(row: pd.Series) -> str:
    parts = [f"{human(float(row['reached']))} visited"]
    beyond = float(row.get("reached_or_beyond", row["reached"]))
    if beyond != float(row["reached"]):  # the rates are shares of the customers whose span covers the stage
        parts.append(f"{human(beyond)} reached or beyond")
    conv, aband = float(row["stage_conversion_rate"]), float(row["abandonment_rate"])
    if math.isfinite(conv):
        parts.append(f"{percent(conv)} went deeper")
    if math.isfinite(aband):
        parts.append(f"{percent(aband)} dropped out here")
    return "  ·  ".join(parts)


def funnel_figure(funnel: pd.DataFrame, positions: Mapping[str, str]) -> Figure:
    """Horizontal bars of `reached` per stage, grouped by funnel position, annotated with the stage rates."""
    stages = [str(s) for s in funnel["stage"]]
    order = funnel_order(stages, positions)
    n = len(order)
    fig = new_figure(11.0, 0.42 * n + 1.6)
    ax = fig.add_subplot()
    style_axes(ax, grid_axis="x")
    peak = max(float(funnel["reached"].max()), 1.0)
    reached = [float(funnel["reached"].iloc[i]) for i in order]
    pos_of = [positions.get(stages[i], "exit") for i in order]
    ax.barh(  # one call for all bars (one container, one limits update)
        range(n),
        reached,
        height=0.7,
        color=[POSITION_COLOURS.get(pos, POSITION_COLOURS["exit"]) for pos in pos_of],
        edgecolor="white",
    )
    groups: list[tuple[str, int, int]] = []  # position, first row, last row
    for row, i in enumerate(order):
        pos = pos_of[row]
        ax.text(
            reached[row] + 0.01 * peak, row, _label(funnel.iloc[i]), va="center", ha="left", fontsize=8.5, color=INK
        )
        if groups and groups[-1][0] == pos:
            groups[-1] = (pos, groups[-1][1], row)
        else:
            groups.append((pos, row, row))
    for k, (pos, first, last) in enumerate(groups):
        if k:
            ax.axhline(first - 0.5, color="#CCCCCC", linewidth=0.8, linestyle=(0, (4, 3)))
        ax.text(
            1.0,
            1 - (first + last + 1) / (2 * n),
            POSITION_LABELS.get(pos, pos),
            transform=ax.transAxes,
            ha="right",
            va="center",
            fontsize=9,
            fontweight="bold",
            color=POSITION_COLOURS.get(pos, MUTED),
        )
    ax.set_yticks(range(n), [stages[i] for i in order])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, peak * 1.95)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
    ax.set_xlabel("customers who were ever in the stage (mean over replications)", color=MUTED)
    ax.set_title("Funnel: customers reaching each stage", loc="left", y=TITLE_Y)
    return fig
