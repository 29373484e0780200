"""Shared chart style: colours by funnel position and flow kind, a figure factory and number formatting.

Figures are built with `matplotlib.figure.Figure` and the Agg canvas directly, never through pyplot, so making
a report changes no global matplotlib state and needs no display.
"""

from __future__ import annotations

import io
import math
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Funnel position -> colour (journey.positions values); "exit" is the terminal stages.
POSITION_COLOURS: dict[str, str] = {
    "top": "#4C78A8",
    "middle": "#72B7B2",
    "bottom": "#F58518",
    "post_purchase": "#54A24B",
    "exit": "#9D9D9D",
}
POSITION_ORDER = ("top", "middle", "bottom", "post_purchase", "exit")
POSITION_LABELS = {
    "top": "top of funnel",
    "middle": "middle",
    "bottom": "bottom",
    "post_purchase": "post-purchase",
    "exit": "exit",
}
#: Flow kind -> colour in the flow diagram.
FLOW_COLOURS: dict[str, str] = {
    "arrival": "#8C8C8C",
    "advance": "#4C78A8",
    "purchase": "#54A24B",
    "back": "#E45756",
    "churn": "#BAB0AC",
}
INK = "#222222"
MUTED = "#666666"
GRID = "#E6E6E6"
DPI = 110
#: Qualitative colours for series without a funnel position (channels, scenarios).
SERIES_COLOURS = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC",
)  # fmt: skip


def new_figure(width: float, height: float) -> Figure:
    """A blank figure (inches) with an Agg canvas attached; no pyplot, no global state."""
    fig = Figure(figsize=(width, height), dpi=DPI, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Axes, grid_axis: Literal["x", "y", "both"] | None = "y") -> None:
    """Light grid behind the data, no top/right spines, muted ticks."""
    ax.set_axisbelow(True)
    if grid_axis:
        ax.grid(axis=grid_axis, color=GRID, linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#BBBBBB")
    ax.tick_params(colors=MUTED, labelsize=9)
    ax.title.set_color(INK)
    ax.title.set_fontweight("bold")
    ax.title.set_fontsize(12)


def png_bytes(fig: Figure) -> bytes:
    """Render the figure to PNG bytes (the same bytes go to charts/*.png and into the HTML)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white", metadata={"Software": "journeysim"})
    return buf.getvalue()


def human(x: float, digits: int = 3) -> str:
    """Compact number for chart labels: 1234 -> '1.23k', 2_500_000 -> '2.5M'; NaN -> 'n/a'."""
    if x is None or not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if ax >= div:
            return f"{x / div:.{digits}g}{suffix}"
    if ax >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def percent(x: float, digits: int = 0) -> str:
    """A share as a percentage; NaN -> 'n/a'."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100.0 * x:.{digits}f}%"
