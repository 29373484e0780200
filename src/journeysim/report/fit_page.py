"""The fit report of a counts calibration (fit.html): estimates, observed vs fitted entries per stage with the
simulated 95% prediction band and the held-out periods, and the Markov-assumption verdicts with suggested changes."""

from __future__ import annotations

import base64
import math

import pandas as pd

from journeysim import __version__
from journeysim.report.html import bullet_list, esc
from journeysim.report.style import MUTED, SERIES_COLOURS, new_figure, png_bytes, style_axes


def fit_figure(table: pd.DataFrame, segment: str, measure: str) -> bytes:
    """One panel per stage: observed counts (dots), conditional fitted means (line), simulated band, held-out."""
    rows = table[(table["segment"] == segment) & (table["measure"] == measure)]
    stages = list(dict.fromkeys(rows["stage"]))
    cols = 3
    fig = new_figure(10.0, 2.3 * math.ceil(len(stages) / cols))
    axes = fig.subplots(math.ceil(len(stages) / cols), cols, squeeze=False)
    for ax, stage in zip(axes.ravel(), stages, strict=False):
        r = rows[rows["stage"] == stage]
        x = r["period_start"].to_numpy()
        ax.fill_between(x, r["pi_low"], r["pi_high"], color=SERIES_COLOURS[0], alpha=0.18, linewidth=0)
        ax.plot(x, r["fitted"], color=SERIES_COLOURS[0], linewidth=1.4)
        ax.plot(x, r["observed"], "o", color=SERIES_COLOURS[1], markersize=2.5)
        held = r["held_out_mean"].notna()
        if held.any():
            ax.axvspan(x[held.to_numpy()].min(), x.max(), color=MUTED, alpha=0.12, linewidth=0)
        ax.set_title(stage, fontsize=10)
        style_axes(ax)
    for ax in axes.ravel()[len(stages) :]:
        ax.set_visible(False)
    return png_bytes(fig)


def _verdict_items(checks: pd.DataFrame) -> list[str]:
    failed = checks[checks["fails"].astype(bool)]
    if failed.empty:
        return [
            "No check rejects the Markov model: no drift between halves, no memory in the dwell, held-out "
            "periods predicted as well as fitted ones."
        ]
    return [
        f"<b>{esc(r.check)}</b> ({esc(r.segment)}, {esc(r.subject)}, statistic {r.statistic:.2f}): {esc(r.suggestion)}"
        for r in failed.itertuples()
    ]


def fit_page(estimates: pd.DataFrame, checks: pd.DataFrame, table: pd.DataFrame, source: str) -> str:
    """The self-contained HTML fit report."""
    within = table["within_pi"].astype(float).mean()
    parts = [
        f"<h2>Verdict</h2>{bullet_list(_verdict_items(checks))}",
        f"<p>{within:.0%} of the observed counts lie inside the simulated 95% prediction band (the fitted model run "
        "from the first observed period, one parameter draw per replication). Stocks (occupancy) wander further "
        "from their start than flows, so their bands are checked against one path of the real data.</p>",
        "<h2>Estimates</h2>",
        estimates.to_html(index=False, float_format=lambda v: f"{v:.5g}", classes="t"),
    ]
    for segment in dict.fromkeys(table["segment"]):
        for measure in ("entries", "occupancy_end"):
            png = base64.b64encode(fit_figure(table, str(segment), measure)).decode()
            parts.append(
                f"<h2>{esc(segment)}: {esc(measure)} per period, observed (dots) vs fitted (line, band: "
                f"95% simulated; grey: held-out periods)</h2><img alt='{esc(measure)}' "
                f"src='data:image/png;base64,{png}'>"
            )
    parts += ["<h2>Checks</h2>", checks.to_html(index=False, float_format=lambda v: f"{v:.3g}", classes="t")]
    css = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto;color:#222}table.t{border-collapse:collapse;"
        "font-size:12px}table.t td,table.t th{border-bottom:1px solid #ddd;padding:2px 6px}img{max-width:100%}"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>journeysim fit report</title><style>{css}</style></head><body>"
        f"<h1>Fit report</h1><p>Counts: {esc(source)}. journeysim {esc(__version__)}.</p>{''.join(parts)}"
        "</body></html>\n"
    )
