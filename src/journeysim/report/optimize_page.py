"""The optimiser's page (optimize.html): the recommended split, how sure we are, each channel's response curve and
marginal return, and every plan simulated on the way; self-contained (charts inline), readable without the docs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from journeysim.report.html import Chart, Page, Section, bullet_list, esc
from journeysim.report.style import INK, MUTED, SERIES_COLOURS, TITLE_Y, human, new_figure, png_bytes, style_axes
from journeysim.report.writer import write_page
from journeysim.study.optimize import OBJECTIVES, OptimizeResult

FILENAME = "optimize.html"
CHARTS = ("allocation", "response_curves", "marginal_returns", "period_split")
MROAS_COLUMNS = ["channel", "marginal_roas", "marginal_roas_low", "marginal_roas_high"]


def _num(x: object, digits: int = 4) -> str:
    v = float(x)  # type: ignore[arg-type]
    return "n/a" if not math.isfinite(v) else f"{v:,.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"


def allocation_figure(alloc: pd.DataFrame) -> Figure:
    """Current and chosen budget per channel, side by side."""
    fig = new_figure(9.0, 0.45 * len(alloc) + 1.4)
    ax = fig.subplots()
    style_axes(ax, grid_axis="x")
    y = np.arange(len(alloc))
    ax.barh(y + 0.2, alloc["current_budget"], 0.38, color="#BAB0AC", label="current plan")
    ax.barh(y - 0.2, alloc["budget"], 0.38, color=SERIES_COLOURS[0], label="chosen plan")
    ax.set_yticks(y, alloc["channel"])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
    ax.set_xlabel("budget (money)", color=MUTED)
    ax.legend(frameon=False, fontsize=9)
    ax.set_title("Budget per channel", loc="left", y=TITLE_Y)
    return fig


def curves_figure(curves: pd.DataFrame, alloc: pd.DataFrame, outcome: str) -> Figure:
    """One panel per channel: the fitted contribution to `outcome` with its 95% band, the simulated plans (dots),
    the current (grey) and chosen (blue) budgets."""
    channels = list(alloc["channel"])
    cols = min(3, len(channels))
    rows = math.ceil(len(channels) / cols)
    fig = new_figure(4.0 * cols, 2.9 * rows + 0.3)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, (i, c) in zip(axes, enumerate(channels), strict=False):
        style_axes(ax, grid_axis="both")
        part = curves[(curves["channel"] == c) & (curves["outcome"] == outcome)]
        fit, sim = part[part["kind"] == "fit"], part[part["kind"] == "simulated"]
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        ax.fill_between(fit["budget"], fit["ci_low"], fit["ci_high"], color=colour, alpha=0.2, linewidth=0)
        ax.plot(fit["budget"], fit["value"], color=colour, linewidth=2)
        ax.plot(sim["budget"], sim["value"], "o", color=INK, markersize=3.5, alpha=0.7)
        row = alloc[alloc["channel"] == c].iloc[0]
        ax.axvline(float(row["current_budget"]), color="#9D9D9D", linestyle="--", linewidth=1)
        ax.axvline(float(row["budget"]), color=SERIES_COLOURS[0], linewidth=1.4)
        ax.axhline(0, color=INK, linewidth=0.6)
        ax.set_title(c, loc="left", fontsize=11, y=TITLE_Y)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
    for ax in axes[len(channels) :]:
        ax.set_visible(False)
    fig.supxlabel("channel budget (money)", color=MUTED, fontsize=10)
    fig.supylabel(f"incremental {outcome} from the channel", color=MUTED, fontsize=10)
    return fig


def period_figure(alloc: pd.DataFrame) -> Figure:
    """The chosen money per period, stacked by channel, with the current plan's money per period (dots)."""
    periods = list(dict.fromkeys(alloc["period"]))
    chosen = alloc.pivot_table(index="period", columns="channel", values="budget", aggfunc="sum", sort=False)
    chosen = chosen.reindex(periods).fillna(0.0)
    current = alloc.groupby("period", sort=False)["current_budget"].sum().reindex(periods)
    fig = new_figure(max(6.0, 0.7 * len(periods) + 3.0), 3.6)
    ax = fig.subplots()
    style_axes(ax, grid_axis="y")
    x = np.arange(len(periods))
    bottom = np.zeros(len(periods))
    for i, c in enumerate(chosen.columns):
        ax.bar(x, chosen[c], 0.7, bottom=bottom, color=SERIES_COLOURS[i % len(SERIES_COLOURS)], label=str(c))
        bottom += chosen[c].to_numpy(float)
    ax.plot(x, current.to_numpy(float), "o", color=INK, markersize=5, label="current plan")
    ax.set_xticks(x, periods, rotation=45 if len(periods) > 6 else 0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v)))
    ax.set_ylabel("budget (money)", color=MUTED)
    ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Budget per period", loc="left", y=TITLE_Y)
    return fig


def _period_section(alloc: pd.DataFrame) -> Section:
    """The split by period: a stacked chart and a channel x period table of the chosen money (and the totals)."""
    periods = list(dict.fromkeys(alloc["period"]))
    table = alloc.pivot_table(index="channel", columns="period", values="budget", aggfunc="sum", sort=False)
    table = table.reindex(columns=periods)
    table["total"] = table.sum(axis=1)
    table.loc["all channels"] = table.sum(axis=0)
    frame = table.reset_index()
    frame.columns = [str(c) for c in frame.columns]
    days = "; ".join(
        f"{p}: days {a}-{b}" for p, a, b in alloc[["period", "start_day", "end_day"]].drop_duplicates().to_numpy()
    )
    text = (
        "<p>The money of each channel in each period (a cell). Each cell has its own response curve; carry-over "
        "(adstock) links a period to the next, which the curves do not model: every plan shown here was simulated, "
        f"and the chosen one is the best simulated plan. Periods: {esc(days)}.</p>"
    )
    chart = Chart("period_split", png_bytes(period_figure(alloc)), "budget per period")
    return Section("Split by period", text, (chart,), after=_table(frame, list(frame.columns), list(frame.columns)))


def _by_cell(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each (channel, period) cell as its own 'channel' (for the per-channel charts and tables)."""
    out = frame.copy()
    out["channel"] = out["channel"].astype(str) + " @ " + out["period"].astype(str)
    return out


def marginal_figure(alloc: pd.DataFrame, column: str, label: str) -> Figure:
    """The marginal return per channel at the chosen plan with its 95% bootstrap interval."""
    fig = new_figure(9.0, 0.42 * len(alloc) + 1.3)
    ax = fig.subplots()
    style_axes(ax, grid_axis="x")
    y = np.arange(len(alloc))
    v = alloc[column].to_numpy(float)
    lo = alloc.get(f"{column}_low", pd.Series(v)).to_numpy(float)
    hi = alloc.get(f"{column}_high", pd.Series(v)).to_numpy(float)
    ax.errorbar(v, y, xerr=[np.maximum(v - lo, 0), np.maximum(hi - v, 0)], fmt="o", color=SERIES_COLOURS[0])
    ax.set_yticks(y, alloc["channel"])
    ax.invert_yaxis()
    ax.axvline(0, color=INK, linewidth=0.8)
    ax.set_xlabel(label, color=MUTED)
    ax.set_title(f"{label} at the chosen plan", loc="left", y=TITLE_Y)
    return fig


def _cards(result: OptimizeResult) -> str:
    s = result.summary
    p = float(s["p_beats"])  # type: ignore[arg-type]
    cards = [
        ("total budget", _num(s["total"]), f"current plan {_num(s['current_total'])}"),
        (
            f"{s['objective']} (incremental)",
            _num(s["objective_mean"]),
            f"95% CI {_num(s['objective_ci_low'])} .. {_num(s['objective_ci_high'])}",
        ),
        (
            "gain over the current plan",
            _num(s["difference"]),
            f"paired 95% CI {_num(s['difference_low'])} .. {_num(s['difference_high'])}",
        ),
        ("P(chosen beats current)", "n/a" if math.isnan(p) else f"{p:.1%}", f"{s['simulations']} plans simulated"),
    ]
    if "param_p_beats" in s:
        cards.append(
            (
                "with parameter uncertainty",
                f"P(beats) {float(s['param_p_beats']):.1%}",  # type: ignore[arg-type]
                f"{s['objective']} 95% CI {_num(s['param_objective_low'])} .. {_num(s['param_objective_high'])}; "
                f"decisive: {s['decisive_parameter'] or 'none'}",
            )
        )
    body = "".join(
        f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div><div class="ci">{esc(c)}</div>'
        "</div>"
        for k, v, c in cards
    )
    return f'<div class="cards">{body}</div>'


def _table(frame: pd.DataFrame, columns: Sequence[str], headers: Sequence[str]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for c in columns:
            v = r[c]
            text = _num(v) if isinstance(v, (int, float, np.floating)) else str(v)
            cls = ' class="num"' if isinstance(v, (int, float, np.floating)) else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'


def _answer_section(result: OptimizeResult, run_command: str, scale: float) -> Section:
    s = result.summary
    reading = [
        f"The objective is <b>{esc(OBJECTIVES.get(str(s['objective']), s['objective']))}</b>, against the same "
        "scenario without spend on the optimised channels, on the same random numbers (paired).",
        "The gain over the current plan is a paired difference: both plans saw the same simulated customers, so "
        "its interval is much narrower than either plan's own interval.",
        "P(chosen beats current) is the probability that the chosen plan's true mean is higher, from a paired "
        f"t reference over {esc(s['replications_each'])} replications.",
        f"Run the plan yourself: <code>{esc(run_command)}</code>",
    ]
    if "param_p_beats" in s:
        reading.append(
            f"Under parameter uncertainty ({_num(s['param_draws'])} parameter draws) the chosen, current and no-spend "
            "plans were re-simulated with each replication's draw: the gain's spread is "
            f"{_num(s['param_sd_parameters'])} from the unknown rates and {_num(s['param_sd_simulation'])} from "
            f"simulation noise; P(chosen beats current) is {_num(s['param_p_beats'])} over the draws and "
            f"{_num(s['param_p_beats_noise_only'])} from simulation noise alone. The parameter that matters most for "
            f"this decision (largest EVPPI): {esc(s['decisive_parameter'] or 'none')}."
        )
    if scale != 1.0:
        reading.append(
            f"The simulation used a sample of the market (population.scale {scale:g}, budgets scaled alike); "
            "money and customers here are for the whole market."
        )
    if "target" in s:
        reading.insert(
            0,
            f"Target: {esc(s['objective'])} of at least {_num(s['target'])} at {float(s['confidence']):.0%} "  # type: ignore[arg-type]
            f"confidence; the chosen plan's lower bound is {_num(s['lower_bound'])}.",
        )
    return Section("The recommended plan", _cards(result) + bullet_list(reading, "read"))


def optimize_page(result: OptimizeResult, run_command: str = "", scale: float = 1.0) -> Page:
    """The page for `result` (already in the units to show, see `OptimizeResult.per_unit`)."""
    alloc, curves = result.allocation, result.curves_table
    by_period = "period" in alloc.columns
    if by_period:
        alloc, curves = _by_cell(alloc), _by_cell(curves)
    objective = str(result.summary["objective"])
    cols = ["channel", "current_budget", "budget", "share", "at_bound", "marginal_objective", "marginal_roas"]
    table = _table(alloc, cols, ["channel", "current", "chosen", "share", "bound", f"marginal {objective}", "mROAS"])
    shown = objective if objective in set(curves["outcome"]) else "revenue"
    sections = [
        _answer_section(result, run_command, scale),
        Section(
            "Allocation",
            table,
            (Chart("allocation", png_bytes(allocation_figure(alloc)), "budget per channel"),),
        ),
        Section(
            "Response curves",
            "<p>Each channel's fitted contribution to the objective as its budget changes (the others held), with "
            "a 95% band from resampled replications. Dots: simulated plans, less the other channels' fitted "
            "parts. Dashed: current budget; solid: chosen.</p>",
            (Chart("response_curves", png_bytes(curves_figure(curves, alloc, shown)), "curves"),),
        ),
        Section(
            "Marginal returns",
            "<p>What one more unit of money on each channel adds at the chosen plan. Where no bound holds a "
            "channel, these are equal at the optimum (otherwise money would move to the higher one); a channel "
            "held at its low bound has a lower one, at its high bound a higher one.</p>",
            (
                Chart(
                    "marginal_returns",
                    png_bytes(marginal_figure(alloc, "marginal_objective", f"marginal {objective} per money")),
                    "marginal objective",
                ),
            ),
            after=_table(
                alloc,
                MROAS_COLUMNS,
                ["channel", "marginal ROAS", "95% low", "95% high"],
            ),
        ),
        Section(
            "Every plan simulated",
            "<details><summary>the search, plan by plan</summary>"
            + _table(result.evaluations, list(result.evaluations.columns), list(result.evaluations.columns))
            + "</details>",
        ),
    ]
    if by_period:
        sections.insert(2, _period_section(result.allocation))
    facts = [
        ("objective", objective),
        ("channels", str(len(alloc))) if not by_period else ("cells (channel x period)", str(len(alloc))),
        ("plans simulated", str(result.summary["simulations"])),
    ]
    return Page("Budget optimisation", facts, sections)


def optimize_report(result: OptimizeResult, out_dir: str | Path, run_command: str = "", scale: float = 1.0) -> Path:
    """Write optimize.html and its charts into `out_dir`."""
    return write_page(optimize_page(result, run_command, scale), out_dir, FILENAME, owned_charts=CHARTS)
