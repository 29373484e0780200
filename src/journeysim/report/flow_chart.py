"""The flow diagram: every transition over the horizon as a ribbon between stage columns (a Sankey for loops).

Stages are columns in journey order with arrivals from outside as an extra column on the left. A move to a later
stage is a ribbon arching above the axis, a move back to an earlier stage (re-evaluation, regression, repeat
purchase) a ribbon hanging below it; ribbon width is proportional to the number of transitions. Ribbons are
stacked along each stage's node so that longer arcs enclose shorter ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from numpy.typing import ArrayLike, NDArray

from journeysim.report.style import FLOW_COLOURS, INK, MUTED, POSITION_COLOURS, TITLE_Y, human, new_figure

NODE_WIDTH = 0.8  # widest node, in column spacings
NODE_HEIGHT = 0.12
BASE_HEIGHT = 0.2  # arc height of a one-column move, before its span and width are added
SPAN_HEIGHT = 0.32  # arc height per column spanned
FLOW_LABELS = {
    "arrival": "arrivals from outside",
    "advance": "moves forward",
    "purchase": "purchases (first and repeat)",
    "back": "moves back (re-evaluation, regression)",
    "churn": "drop-outs (into a terminal stage)",
}


@dataclass(eq=False)
class _Edge:
    src: int  # row of the count matrix (S = arrivals)
    dst: int
    count: float
    kind: str
    x_src: float
    x_dst: float
    lo_src: float = 0.0
    lo_dst: float = 0.0
    width: float = 0.0

    @property
    def forward(self) -> bool:
        return self.x_dst > self.x_src

    @property
    def span(self) -> float:
        return abs(self.x_dst - self.x_src)


def _kind(src: int, dst: int, n: int, conversion: Sequence[int], terminal: Sequence[int]) -> str:
    if src == n:
        return "arrival"
    if dst in terminal:
        return "churn"
    if dst in conversion:
        return "purchase"
    return "advance" if dst > src else "back"


def _edges(counts: NDArray[np.float64], conversion: Sequence[int], terminal: Sequence[int]) -> list[_Edge]:
    n = counts.shape[1]
    out = []
    for src, dst in zip(*np.nonzero(counts > 0), strict=True):
        if src == dst:
            continue  # a stage never moves to itself; nothing to draw
        x_src = -1.0 if src == n else float(src)
        out.append(
            _Edge(
                int(src),
                int(dst),
                float(counts[src, dst]),
                _kind(int(src), int(dst), n, conversion, terminal),
                x_src,
                float(dst),
            )
        )
    return out


def _stack(edges: list[_Edge], n: int, scale: float) -> dict[int, tuple[float, float]]:
    """Place each ribbon's ends along its nodes so that longer arcs enclose shorter ones.

    Above a node: incoming forward ribbons on the left (nearest source outermost), then outgoing ones (farthest
    target first). Below, mirrored: outgoing backward ribbons on the left, then incoming ones. Returns node row ->
    (left x, width), where a node is as wide as the busier of its two sides.
    """
    for e in edges:
        e.width = e.count * scale
    nodes: dict[int, tuple[float, float]] = {}
    for k in range(n + 1):
        centre = -1.0 if k == n else float(k)
        top_in = sorted((e for e in edges if e.forward and e.dst == k), key=lambda e: e.span)
        top_out = sorted((e for e in edges if e.forward and e.src == k), key=lambda e: -e.span)
        bot_out = sorted((e for e in edges if not e.forward and e.src == k), key=lambda e: e.span)
        bot_in = sorted((e for e in edges if not e.forward and e.dst == k), key=lambda e: -e.span)
        widths = []
        for incoming, outgoing, in_first in ((top_in, top_out, True), (bot_in, bot_out, False)):
            total = sum(e.width for e in incoming + outgoing)
            widths.append(total)
            x = centre - total / 2
            ins = [(e, True) for e in incoming]
            outs = [(e, False) for e in outgoing]
            for e, is_in in ins + outs if in_first else outs + ins:
                if is_in:
                    e.lo_dst = x
                else:
                    e.lo_src = x
                x += e.width
        width = max(widths)
        nodes[k] = (centre - width / 2, width)
    return nodes


def _ribbon(e: _Edge) -> tuple[Path, float, float]:
    """The ribbon's outline and (x, y) of its apex centre, for the label."""
    if e.forward:
        l_lo, r_lo = e.lo_src, e.lo_dst
    else:
        l_lo, r_lo = e.lo_dst, e.lo_src
    l_hi, r_hi = l_lo + e.width, r_lo + e.width
    sign = 1.0 if e.forward else -1.0
    y0 = sign * NODE_HEIGHT / 2
    outer = BASE_HEIGHT + SPAN_HEIGHT * e.span + e.width
    inner = max(outer - e.width / 0.75, 0.05)
    verts = [
        (l_lo, y0), (l_lo, y0 + sign * outer), (r_hi, y0 + sign * outer), (r_hi, y0),
        (r_lo, y0), (r_lo, y0 + sign * inner), (l_hi, y0 + sign * inner), (l_hi, y0), (l_lo, y0),
    ]  # fmt: skip
    codes = [
        Path.MOVETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.LINETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.CLOSEPOLY,
    ]
    apex = y0 + sign * 0.75 * (outer + inner) / 2
    return Path(verts, codes), (l_lo + r_hi) / 2, apex


def _labelled(edges: list[_Edge], most: int, share: float) -> set[int]:
    """The largest flows (at most `most`, each at least `share` of the largest), plus the largest move back."""
    ranked = sorted(range(len(edges)), key=lambda i: -edges[i].count)
    big = edges[ranked[0]].count
    chosen = {i for i in ranked[:most] if edges[i].count >= share * big}
    back = [i for i in ranked if not edges[i].forward and edges[i].kind == "back"]
    chosen.update(back[:1])
    return chosen


def _draw_ribbons(
    ax: Axes, edges: list[_Edge], n: int, label_most: int, label_share: float
) -> tuple[dict[bool, float], dict[int, tuple[float, float]]]:
    """Draw every flow as a ribbon (the largest labelled); the arc heights above / below and the node spans."""
    top = np.zeros(n + 1)
    bottom = np.zeros(n + 1)
    for e in edges:
        side = top if e.forward else bottom
        side[e.src] += e.count
        side[e.dst] += e.count
    scale = NODE_WIDTH / float(np.maximum(top, bottom).max())
    span = _stack(edges, n, scale)
    labelled = _labelled(edges, label_most, label_share)
    heights = {True: 0.0, False: 0.0}
    for depth, k in enumerate(sorted(range(len(edges)), key=lambda i: -edges[i].span)):
        edge = edges[k]
        path, lx, ly = _ribbon(edge)
        colour = FLOW_COLOURS[edge.kind]
        ax.add_artist(  # not add_patch: the limits are set below, so no data-limit update per ribbon
            PathPatch(path, facecolor=colour, edgecolor=colour, linewidth=0.4, alpha=0.6, zorder=2 + depth * 1e-3)
        )
        heights[edge.forward] = max(heights[edge.forward], abs(ly) + edge.width)
        if k in labelled:
            ax.text(
                lx,
                ly,
                human(edge.count),
                ha="center",
                va="center",
                fontsize=8.5,
                color=INK,
                zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            )
    return heights, span


def _draw_nodes(
    ax: Axes,
    c: NDArray[np.float64],
    stages: Sequence[str],
    positions: Mapping[str, str],
    span: dict[int, tuple[float, float]],
) -> None:
    """Draw the stage nodes (arrivals first) and label the axis with each stage's entries."""
    n = len(stages)
    for k, (left, width) in span.items():
        name = "arrivals" if k == n else stages[k]
        colour = POSITION_COLOURS.get(positions.get(name, "exit"), MUTED) if k < n else FLOW_COLOURS["arrival"]
        ax.add_artist(
            Rectangle(
                (left, -NODE_HEIGHT / 2), max(width, 0.02), NODE_HEIGHT, facecolor=colour, edgecolor="none", zorder=4
            )
        )
    entries = c.sum(axis=0)
    ticks = [-1.0, *range(n)]
    labels = [f"arrivals\n{human(float(c[n].sum()))}"] + [
        f"{s}\n{human(float(entries[k]))} in" for k, s in enumerate(stages)
    ]
    ax.set_xticks(ticks, labels, fontsize=9.5)
    for k, tick in enumerate(ax.get_xticklabels()):
        tick.set_color(
            FLOW_COLOURS["arrival"] if k == 0 else POSITION_COLOURS.get(positions.get(stages[k - 1], "exit"), MUTED)
        )
    ax.tick_params(axis="x", length=0)
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def flow_figure(
    counts: ArrayLike,
    stages: Sequence[str],
    positions: Mapping[str, str],
    conversion: Sequence[int],
    terminal: Sequence[int],
    *,
    label_most: int = 18,
    label_share: float = 0.03,
) -> Figure:
    """Draw the (S + 1, S) transition counts (row S = arrivals) as forward arcs above and backward arcs below.

    Flows of at least `label_share` of the largest flow are labelled with their count (at most `label_most`).
    """
    c = np.asarray(counts, dtype=float)
    n = len(stages)
    if c.shape != (n + 1, n):
        raise ValueError(f"transition counts have shape {c.shape}; expected ({n + 1}, {n}) for {n} stages")
    edges = _edges(c, conversion, terminal)
    fig = new_figure(11.0, 3.0)
    ax = fig.add_subplot()
    ax.set_title(
        "Flows over the horizon: forward moves above the axis, moves back below",
        loc="left",
        fontsize=12,
        fontweight="bold",
        color=INK,
        y=TITLE_Y,
    )
    if not edges:
        ax.text(0.5, 0.5, "no transitions in this run", ha="center", va="center", color=MUTED, transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    heights, span = _draw_ribbons(ax, edges, n, label_most, label_share)
    _draw_nodes(ax, c, stages, positions, span)
    up, down = heights[True] + 0.15, heights[False] + 0.15 if heights[False] else 0.3
    ax.set_xlim(-1.6, n - 0.4)
    ax.set_ylim(-down, up)
    ax.set_aspect("equal")
    ax.axhline(0, color="#DDDDDD", linewidth=0.6, zorder=1)
    fig.set_size_inches(11.0, 10.6 * (up + down) / (n + 1.2) + 1.3)
    kinds = [k for k in FLOW_LABELS if any(e.kind == k for e in edges)]
    fig.legend(
        handles=[Patch(color=FLOW_COLOURS[k], alpha=0.6, label=FLOW_LABELS[k]) for k in kinds],
        loc="outside lower center",
        frameon=False,
        fontsize=8.5,
        ncols=len(kinds),
    )
    return fig
