"""Charts comparing scenarios: per-metric means with 95% CI error bars, paired differences against a reference,
and budget-response curves (a metric's mean against the budget, with its marginal change per extra budget)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from journeysim.report.style import INK, MUTED, SERIES_COLOURS, TITLE_Y, human, new_figure, style_axes
from journeysim.report.tables import display_unit, format_value, unit_of

REFERENCE_COLOUR = "#E45756"
SCENARIO_COLOUR = "#4C78A8"
CLEAR_COLOUR = "#1F5F99"  # a difference whose CI excludes zero
UNCLEAR_COLOUR = "#9D9D9D"


def _grid(n: int, n_rows_each: int) -> tuple[Figure, list[Axes]]:
    cols = min(3, max(n, 1))
    rows = math.ceil(n / cols)
    fig = new_figure(12.0, rows * (0.32 * n_rows_each + 1.3) + 0.3)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes[:n]


def _dot_panel(
    ax: Axes, labels: Sequence[str], frame: pd.DataFrame, colours: Sequence[str], metric: str, zero_line: bool
) -> None:
    style_axes(ax, grid_axis="x")
    y = np.arange(len(labels))
    mean = frame["mean"].to_numpy(dtype=float)
    low = frame["ci_low"].to_numpy(dtype=float)
    high = frame["ci_high"].to_numpy(dtype=float)
    err = np.vstack([np.clip(mean - low, 0, None), np.clip(high - mean, 0, None)])
    err = np.nan_to_num(err)
    for k in range(len(labels)):
        ax.errorbar(
            mean[k],
            y[k],
            xerr=err[:, k : k + 1],
            fmt="o",
            color=colours[k],
            ecolor=colours[k],
            elinewidth=2,
            capsize=3,
            markersize=5,
        )
    if zero_line:
        ax.axvline(0, color=INK, linewidth=0.8)
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    unit = display_unit(unit_of(metric))
    if unit == "%":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.3g}%"))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
    ax.set_title(metric + (f"  [{unit}]" if unit else ""), loc="left", fontsize=10.5, y=TITLE_Y)
    ax.tick_params(axis="x", labelsize=8)


def metrics_figure(
    table: pd.DataFrame, metrics: Sequence[str], scenarios: Sequence[str], reference: str | None
) -> Figure:
    """One panel per metric: each scenario's mean with its 95% CI; the reference scenario in red."""
    fig, axes = _grid(len(metrics), len(scenarios))
    colours = [REFERENCE_COLOUR if s == reference else SCENARIO_COLOUR for s in scenarios]
    for ax, metric in zip(axes, metrics, strict=True):
        frame = table[table["metric"] == metric].set_index("scenario").reindex(list(scenarios))
        _dot_panel(ax, scenarios, frame, colours, metric, zero_line=False)
    fig.suptitle(
        "Metrics per scenario: mean and 95% CI" + (f" (reference {reference} in red)" if reference else ""),
        x=0.01,
        ha="left",
        fontweight="bold",
        fontsize=12,
        color=INK,
    )
    return fig


def differences_figure(
    diffs: pd.DataFrame, metrics: Sequence[str], scenarios: Sequence[str], reference: str | None
) -> Figure:
    """One panel per metric: each scenario's paired difference to the reference with its 95% CI."""
    fig, axes = _grid(len(metrics), len(scenarios))
    for ax, metric in zip(axes, metrics, strict=True):
        frame = diffs[diffs["metric"] == metric].set_index("scenario").reindex(list(scenarios))
        clear = (frame["ci_low"] > 0) | (frame["ci_high"] < 0)
        colours = [CLEAR_COLOUR if bool(c) else UNCLEAR_COLOUR for c in clear]
        _dot_panel(ax, scenarios, frame, colours, metric, zero_line=True)
    against = f" minus {reference}" if reference else " minus the reference"
    fig.suptitle(
        f"Paired differences (scenario{against}) with 95% CI; blue = CI excludes zero",
        x=0.01,
        ha="left",
        fontweight="bold",
        fontsize=12,
        color=INK,
    )
    return fig


def response_figure(table: pd.DataFrame, metrics: Sequence[str], budget: str, series: str | None) -> Figure:
    """Per metric: the mean against the budget with its 95% CI band, and the marginal change per extra budget."""
    fig = new_figure(12.0, 3.6 * len(metrics) + 0.4)
    axes = fig.subplots(len(metrics), 2, squeeze=False, width_ratios=[3, 2])
    groups = [(None, table)] if series is None else list(table.groupby(series, sort=False))
    for row, metric in enumerate(metrics):
        curve, marginal = axes[row]
        for ax in (curve, marginal):
            style_axes(ax, grid_axis="both")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
        unit = unit_of(metric)
        per = 1.0 if unit == "money" else 1000.0
        for k, (name, frame) in enumerate(groups):
            part = frame[frame["metric"] == metric].sort_values(budget)
            if part.empty:
                continue
            colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
            x = part[budget].to_numpy(dtype=float)
            m = part["mean"].to_numpy(dtype=float)
            label = None if name is None else str(name)
            curve.fill_between(
                x,
                part["ci_low"].to_numpy(dtype=float),
                part["ci_high"].to_numpy(dtype=float),
                color=colour,
                alpha=0.18,
                linewidth=0,
            )
            curve.plot(x, m, "o-", color=colour, linewidth=2, markersize=4, label=label)
            if x.size >= 2:
                slope = np.diff(m) / np.diff(x) * per
                mid = (x[:-1] + x[1:]) / 2
                marginal.plot(mid, slope, "o-", color=colour, linewidth=1.6, markersize=4, label=label)
        curve.set_title(f"{metric} vs {budget}", loc="left", fontsize=11, y=TITLE_Y)
        curve.set_ylabel(f"{metric} ({display_unit(unit) or 'value'})", color=MUTED)
        curve.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _, u=unit: format_value(v, u) if u == "share" else human(v))
        )
        marginal.axhline(0, color=INK, linewidth=0.8)
        what = f"extra {metric} per extra 1 of {budget}" if per == 1.0 else f"extra {metric} per 1,000 of {budget}"
        marginal.set_title("marginal response", loc="left", fontsize=11, y=TITLE_Y)
        marginal.set_ylabel(what, color=MUTED, fontsize=8.5)
        if series is not None:
            curve.legend(frameon=False, fontsize=8.5, title=series, title_fontsize=8.5)
        for ax in (curve, marginal):
            ax.set_xlabel(budget, color=MUTED)
    return fig
