"""Charts over time from the run's daily time series (segment "all"): stage occupancy, purchases and revenue,
spend per channel. Flows are shown per day as weekly averages once the horizon is long enough to make the
weekly pattern noise (a weekly mean also handles a partial last week correctly)."""

from __future__ import annotations

import colorsys
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from numpy.typing import NDArray

from journeysim.metrics import ALL_SEGMENTS
from journeysim.report.style import MUTED, POSITION_COLOURS, SERIES_COLOURS, TITLE_Y, human, new_figure, style_axes

WEEKLY_FROM_DAYS = 28  # horizons at least this long are shown as weekly averages


def _shade(colour: str, k: int, n: int) -> str:
    """The k-th of n shades of a colour, dark to light."""
    if n <= 1:
        return colour
    hue, light, sat = colorsys.rgb_to_hls(*to_rgb(colour))
    lightness = min(0.85, max(0.25, light - 0.15 + 0.35 * k / (n - 1)))
    return to_hex(colorsys.hls_to_rgb(hue, lightness, sat))


def stage_colours(stages: Sequence[str], positions: Mapping[str, str]) -> dict[str, str]:
    """A colour per stage: its funnel position's colour, in shades when a position has several stages."""
    out: dict[str, str] = {}
    for pos, base in POSITION_COLOURS.items():
        group = [s for s in stages if positions.get(s, "exit") == pos]
        for k, s in enumerate(group):
            out[s] = _shade(base, k, len(group))
    for s in stages:
        out.setdefault(s, MUTED)
    return out


def all_segments(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The rows for all segments together, indexed by day."""
    rows = timeseries[timeseries["segment"] == ALL_SEGMENTS] if "segment" in timeseries else timeseries
    return rows.set_index("day").sort_index()


def per_day(frame: pd.DataFrame, weekly: bool) -> pd.DataFrame:
    """Daily values, or their weekly means placed at the mean day of each week (a partial last week included)."""
    if not weekly:
        return frame
    days = frame.index.to_numpy()
    means = frame.groupby(days // 7).mean()
    means.index = pd.Index(pd.Series(days).groupby(days // 7).mean().to_numpy(), name=frame.index.name)
    return means


def _time_axis(ax: Axes, weekly: bool, daily: pd.DataFrame | None = None) -> None:
    note = " (weekly averages of daily values)" if weekly else ""
    dated = daily is not None and "date" in daily
    ax.set_xlabel(("date" if dated else "day of the horizon") + note, color=MUTED)
    if dated and daily is not None:  # sim.start_date: calendar dates on the day axis
        start = pd.Timestamp(daily["date"].iloc[0]) - pd.Timedelta(days=float(daily.index[0]))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: (start + pd.Timedelta(days=round(v))).strftime("%Y-%m-%d"))
        )


def _day_range(daily: pd.DataFrame) -> tuple[float, float]:
    first, last = float(daily.index.min()), float(daily.index.max())
    return first, max(last, first + 1.0)


def _thousands(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))


def occupancy_figure(
    daily: pd.DataFrame, stages: Sequence[str], positions: Mapping[str, str], terminal: Sequence[str]
) -> Figure:
    """Stacked areas of customers in each non-terminal stage at the end of each day."""
    fig = new_figure(11.0, 4.6)
    ax = fig.add_subplot()
    style_axes(ax)
    shown = [s for s in stages if s not in terminal and f"occupancy.{s}" in daily]
    colours = stage_colours(stages, positions)
    values: NDArray[np.float64] = daily[[f"occupancy.{s}" for s in shown]].to_numpy(dtype=float).T
    ax.stackplot(
        daily.index.to_numpy(),
        values,
        labels=shown,
        colors=[colours[s] for s in shown],
        alpha=0.9,
        linewidth=0.3,
        edgecolor="white",
    )
    ax.set_xlim(*_day_range(daily))
    ax.set_ylabel("customers in the stage (end of day)", color=MUTED)
    _time_axis(ax, False, daily)
    _thousands(ax)
    ax.set_title("Stage occupancy over time (terminal stages left out: they only accumulate)", loc="left", y=TITLE_Y)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8.5)
    return fig


def purchases_figure(daily: pd.DataFrame, weekly: bool) -> Figure:
    """Purchases and new prospects per day (top) and revenue and margin per day (bottom)."""
    data = per_day(daily[["purchases", "arrivals", "revenue", "margin"]], weekly)
    fig = new_figure(11.0, 5.4)
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = data.index.to_numpy()
    for ax in (top, bottom):
        style_axes(ax)
        _thousands(ax)
    top.plot(x, data["purchases"], color=POSITION_COLOURS["bottom"], linewidth=2, label="purchases")
    top.plot(
        x,
        data["arrivals"],
        color=POSITION_COLOURS["top"],
        linewidth=1.4,
        linestyle="--",
        label="new prospects",
    )
    top.set_ylabel("per day", color=MUTED)
    top.set_title("Purchases and revenue over time", loc="left", y=TITLE_Y)
    top.set_ylim(bottom=0)
    bottom.fill_between(x, data["revenue"], color=POSITION_COLOURS["post_purchase"], alpha=0.25, linewidth=0)
    bottom.plot(x, data["revenue"], color=POSITION_COLOURS["post_purchase"], linewidth=2, label="revenue")
    bottom.plot(x, data["margin"], color="#2F6B2A", linewidth=1.4, linestyle="--", label="margin")
    bottom.set_ylabel("money per day", color=MUTED)
    bottom.set_ylim(bottom=0)
    for ax in (top, bottom):
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8.5)
    bottom.set_xlim(*_day_range(daily))
    _time_axis(bottom, weekly, daily)
    return fig


def spend_channels(daily: pd.DataFrame) -> list[str]:
    """Channels with any spend, in the time series' column order."""
    return [c.removeprefix("spend.") for c in daily.columns if c.startswith("spend.") and daily[c].fillna(0).sum() > 0]


def spend_figure(daily: pd.DataFrame, weekly: bool) -> Figure:
    """Stacked spend per channel per day; call only when `spend_channels` is not empty."""
    channels = spend_channels(daily)
    data = per_day(daily[[f"spend.{c}" for c in channels]].fillna(0.0), weekly)
    fig = new_figure(11.0, 4.2)
    ax = fig.add_subplot()
    style_axes(ax)
    _thousands(ax)
    colours = [SERIES_COLOURS[k % len(SERIES_COLOURS)] for k in range(len(channels))]
    ax.stackplot(
        data.index.to_numpy(),
        data.to_numpy(dtype=float).T,
        labels=channels,
        colors=colours,
        alpha=0.85,
        linewidth=0.3,
        edgecolor="white",
    )
    total = float(daily[[f"spend.{c}" for c in channels]].fillna(0.0).to_numpy().sum())
    ax.set_title(f"Media spend per channel (total {human(total)})", loc="left", y=TITLE_Y)
    ax.set_ylabel("money per day", color=MUTED)
    ax.set_xlim(*_day_range(daily))
    ax.set_ylim(bottom=0)
    _time_axis(ax, weekly, daily)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8.5)
    return fig
