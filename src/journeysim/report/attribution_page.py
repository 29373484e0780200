"""The attribution page: each method's credit per channel against the true incremental conversions, with the
bias and its 95% CI across replications, ranked (the league table of `journeysim.study.attribution.score`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from journeysim.report.html import Chart, Page, Section, bullet_list, esc
from journeysim.report.style import INK, SERIES_COLOURS, human, new_figure, png_bytes, style_axes
from journeysim.report.writer import write_page

ATTRIBUTION_PAGE = "attribution.html"
ALL = "(all)"

HOW_TO_READ = [
    "<b>True incremental</b> conversions of a channel: the run minus the same run without that channel, "
    "re-simulated on the same random numbers (per replication).",
    "<b>Bias</b> = conversions a method credits to the channel minus its true incremental conversions; the bar is "
    "the 95% CI across replications. Right of zero: the method over-credits the channel.",
    "The league ranks methods by the sum over channels of |bias|. <code>caused_purchase</code> is the engine's own "
    "one-step count (purchases whose move fell in the channel's thinning band), shown for reference.",
    "Attribution shares conversions that touches preceded; a channel that reaches people who would buy anyway "
    "collects credit without causing purchases (docs/attribution.md).",
]


def bias_figure(league: pd.DataFrame) -> Figure:
    """One panel per channel: each method's bias with its 95% CI, zero marked."""
    per = league[league["channel"] != ALL]
    channels = list(dict.fromkeys(per["channel"]))
    methods = list(dict.fromkeys(league["method"]))
    cols = min(3, max(len(channels), 1))
    rows = int(np.ceil(len(channels) / cols))
    fig = new_figure(12.0, rows * (0.32 * len(methods) + 1.4) + 0.3)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[len(channels) :]:
        ax.set_axis_off()
    for ax, channel in zip(axes, channels, strict=False):
        style_axes(ax, grid_axis="x")
        g = per[per["channel"] == channel].set_index("method").reindex(methods)
        y = np.arange(len(methods))
        mean = g["bias"].to_numpy(dtype=float)
        err = np.nan_to_num(
            np.vstack([mean - g["bias_ci_low"].to_numpy(dtype=float), g["bias_ci_high"].to_numpy(dtype=float) - mean])
        )
        for k in range(len(methods)):
            colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
            ax.errorbar(mean[k], y[k], xerr=np.clip(err[:, k : k + 1], 0, None), fmt="o", color=colour, capsize=3)
        ax.axvline(0, color=INK, linewidth=0.8)
        ax.set_yticks(y, methods, fontsize=8.5)
        ax.set_ylim(len(methods) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
        truth = float(g["true_incremental"].iloc[0]) if len(g) else float("nan")
        ax.set_title(f"{channel}  (true {human(truth)})", loc="left", fontsize=10.5)
    fig.suptitle("Credited minus true incremental conversions, per channel (95% CI)", x=0.01, ha="left", color=INK)
    return fig


def _table(league: pd.DataFrame) -> str:
    cols = ["rank", "method", "channel", "credited", "true_incremental", "bias", "bias_ci_low", "bias_ci_high"]
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    rows = []
    for _, r in league.iterrows():
        cells = [
            f"<td>{esc(r[c])}</td>"
            if c in ("method", "channel", "rank")
            else f'<td class="num">{human(float(r[c]))}</td>'
            for c in cols
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'


def write_attribution_page(league: pd.DataFrame, out_dir: str | Path, title: str) -> Path:
    """Write attribution.html (and charts/attribution_bias.png) for a league table."""
    chart = Chart(
        "attribution_bias",
        png_bytes(bias_figure(league)),
        "Bias of each attribution method per channel",
        "Zero is the truth from counterfactual re-simulation; points right of it over-credit the channel.",
    )
    overall = league[league["channel"] == ALL][["rank", "method", "bias", "true_incremental"]]
    best = overall.iloc[0]["method"] if len(overall) else "n/a"
    page = Page(
        title=f"Attribution vs truth: {title}",
        facts=(("methods", str(len(overall))), ("closest to the truth", str(best))),
        sections=(
            Section("How to read", bullet_list(HOW_TO_READ, "read")),
            Section("Bias per channel", charts=(chart,)),
            Section("League table", _table(league)),
        ),
    )
    return write_page(page, out_dir, ATTRIBUTION_PAGE, owned_charts=("attribution_bias",))
