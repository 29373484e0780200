"""Shared chart style: colours by funnel position and flow kind, a figure factory and number formatting.

Figures are built with `matplotlib.figure.Figure` and the Agg canvas directly, never through pyplot, so making
a report changes no global matplotlib state and needs no display.
"""

from __future__ import annotations

import io
import math
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from PIL.PngImagePlugin import PngInfo

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
#: Axes titles sit on top of the axes (pass as `set_title(..., y=TITLE_Y)`). Where matplotlib would place them
#: itself it measures the axes' tick labels again on every layout pass and draw to look for labels above the
#: axes; the charts never put any there, so the fixed position is the same and saves that work.
TITLE_Y = 1.0
#: zlib level of the PNGs: lossless at any level; 3 encodes about twice as fast as 6 (the default) and, the
#: charts being opaque RGB rather than RGBA, the files are still smaller than matplotlib's.
PNG_COMPRESS_LEVEL = 3
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
    """Render the figure to PNG bytes (the same bytes go to charts/*.png and into the HTML).

    The figure is drawn once on its Agg canvas (constrained layout included) and the pixels are encoded as an
    opaque RGB PNG. `savefig` would draw a figure with a layout engine twice (once to lay it out, once to render
    it) and encode RGBA at a slower zlib level; the pixels are the same.
    """
    if fig.dpi != DPI:
        fig.set_dpi(DPI)
    fig.patch.set_facecolor("white")
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    image = Image.fromarray(rgba, "RGBA")
    if rgba[..., 3].min() < 255:  # a transparent artist over the edge: flatten onto white as savefig would show it
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
    info = PngInfo()
    info.add_text("Software", "journeysim")
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="png", dpi=(DPI, DPI), pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)
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
