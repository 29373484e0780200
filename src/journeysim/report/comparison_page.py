"""The report of a comparison of scenarios: means with CIs, paired differences, budget-response curves.

Input is tidy: one row per (scenario, metric) with `mean`, `ci_low`, `ci_high` (a sweep table in long form);
an optional numeric budget column turns the page into a budget-response report. Paired differences against a
reference scenario and a ranking come as further tables, as `journeysim.study.compare` writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from journeysim.errors import ConfigError, did_you_mean
from journeysim.metrics.catalogue import headline
from journeysim.report.comparison_charts import differences_figure, metrics_figure, response_figure
from journeysim.report.html import Chart, Page, Section, bullet_list, esc
from journeysim.report.style import png_bytes
from journeysim.report.tables import display_unit, format_value, unit_of
from journeysim.report.writer import write_page

COMPARISON_FILE = "comparison.html"
COMPARISON_CHARTS = ("comparison_metrics", "comparison_differences", "budget_response")
REQUIRED = ("scenario", "metric", "mean", "ci_low", "ci_high")
MAX_DEFAULT_METRICS = 9
RESPONSE_DEFAULTS = ("revenue", "new_buyers", "purchases")

HOW_TO_READ = [
    "Each scenario's metric is a <b>mean over replications</b> with its 95% confidence interval.",
    'Overlapping intervals do not mean "no difference": scenarios run with the same seed share their random '
    "numbers, so their <b>paired differences</b> are much tighter than the intervals of the means. Decide on the "
    "differences when they are shown.",
    "A budget-response curve flattens as channels saturate; the marginal panel shows what the next unit of "
    "budget buys. Where it falls below what that is worth to you, stop adding budget.",
]


def _check(frame: pd.DataFrame, setting: str, extra: Sequence[str] = ()) -> pd.DataFrame:
    missing = [c for c in (*REQUIRED, *extra) if c not in frame.columns]
    if missing:
        hint = "".join(did_you_mean(m, [str(c) for c in frame.columns]) for m in missing)
        raise ConfigError(
            setting,
            f"missing column(s) {', '.join(missing)}{hint}",
            f"give a tidy table with columns {', '.join((*REQUIRED, *extra))} (one row per scenario and metric)",
        )
    out = frame.copy()
    out["scenario"] = out["scenario"].astype(str)
    out["metric"] = out["metric"].astype(str)
    dup = out.duplicated(["scenario", "metric"])
    if dup.any():
        first = out.loc[dup, ["scenario", "metric"]].iloc[0]
        raise ConfigError(
            setting,
            f"more than one row for scenario '{first['scenario']}' and metric '{first['metric']}'",
            "give one row per (scenario, metric); label each sweep job with its own scenario name",
        )
    for c in ("mean", "ci_low", "ci_high"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out


def _difference_values(differences: pd.DataFrame) -> pd.DataFrame:
    """Paired differences carry their value in `difference` (as `journeysim.study.compare.paired_differences` writes
    them, where `mean` is the scenario's own mean) or, without that column, in `mean`."""
    if "difference" in differences.columns:
        return differences.assign(mean=differences["difference"])
    return differences


def _ranking_section(ranking: pd.DataFrame, metric: str | None) -> Section:
    """The ranking table (e.g. `study.compare.rank_scenarios`): rank, scenario, mean, probabilities of best."""
    unit = unit_of(metric) if metric else ""
    notes = {
        "p_best": "share of replications in which the scenario is best",
        "p_best_t": "probability that its true mean is the best (t reference, n - 1 degrees of freedom)",
        "p_best_normal": "the same with a normal reference (a large-n approximation)",
        "p_best_parameters": "share of parameter draws in which its true mean is best (parameter uncertainty)",
    }
    probs = ("p_best", "p_best_t", "p_best_normal", "p_best_parameters")
    cols = [c for c in ("rank", "scenario", "mean", "std", "n", *probs) if c in ranking.columns]
    note = str(ranking["note"].iloc[0]) if "note" in ranking.columns and len(ranking) else ""
    cols = cols or [str(c) for c in ranking.columns]
    head = (
        "<tr>"
        + "".join(
            f"<th class='num' title='{esc(notes.get(c, ''))}'>{esc(c)}</th>" if c != "scenario" else "<th>scenario</th>"
            for c in cols
        )
        + "</tr>"
    )
    rows = []
    for record in ranking[cols].to_dict("records"):
        cells = []
        for c in cols:
            v = record[c]
            if c == "scenario":
                cells.append(f"<td>{esc(v)}</td>")
            elif c in probs:
                text = "<span class='note'>withheld</span>" if note else format_value(float(v), "share")
                cells.append(f"<td class='num'>{text}</td>")
            elif c in ("mean", "std"):
                cells.append(f"<td class='num'>{format_value(float(v), unit)}</td>")
            else:
                cells.append(f"<td class='num'>{esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    what = f" by <code>{esc(metric)}</code>" if metric else ""
    body = (
        f"<p>Scenarios ranked{what} (rank 1 = best). <i>p_best</i>: the share of replications in which the scenario "
        "had the best value; <i>p_best_t</i>: the probability that its true mean is the best (t reference); "
        "<i>p_best_normal</i>: the same with a normal reference, which overstates certainty with few replications."
        "</p>"
        + (f"<p class='note'>Probabilities withheld: {esc(note)}.</p>" if note else "")
        + f"<div class='scroll'><table>{head}{''.join(rows)}</table></div>"
    )
    return Section("Ranking", body)


def _pick_metrics(table: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(table["metric"]))
    if metrics is None:
        # what a planner decides on, then the report's headline, then the rest
        chosen = [m for m in headline("comparison_page") if m in present]
        chosen += [m for m in [*headline("report"), *present] if m in present and m not in chosen]
        return chosen[:MAX_DEFAULT_METRICS]
    for m in metrics:
        if m not in present:
            raise ConfigError(
                "metrics",
                f"unknown metric '{m}'{did_you_mean(m, present)}",
                f"use metrics in the table: {', '.join(present)}",
            )
    return list(metrics)


def _cell(mean: float, low: float, high: float, unit: str) -> str:
    ci = (
        ""
        if pd.isna(low) or low == high
        else (f"<br><span class='note'>{format_value(low, unit)} to {format_value(high, unit)}</span>")
    )
    return f"{format_value(mean, unit)}{ci}"


def _metric_header(metric: str) -> str:
    unit = display_unit(unit_of(metric))
    return f"<th class='num'>{esc(metric)}<br><span class='note'>{esc(unit)}</span></th>"


def _means_table(table: pd.DataFrame, metrics: Sequence[str], scenarios: Sequence[str]) -> str:
    keys = zip(table["scenario"].astype(str), table["metric"].astype(str), strict=True)
    values = table[["mean", "ci_low", "ci_high"]].to_numpy(dtype=float).tolist()
    cells_of = {k: (v[0], v[1], v[2]) for k, v in zip(keys, values, strict=True)}
    head = "<tr><th>scenario</th>" + "".join(_metric_header(m) for m in metrics) + "</tr>"
    rows = []
    for s in scenarios:
        cells = []
        for m in metrics:
            if (s, m) in cells_of:
                cells.append(f"<td class='num'>{_cell(*cells_of[(s, m)], unit_of(m))}</td>")
            else:
                cells.append("<td class='num'>n/a</td>")
        rows.append(f"<tr><td>{esc(s)}</td>{''.join(cells)}</tr>")
    return f"<div class='scroll'><table>{head}{''.join(rows)}</table></div>"


def _signed(x: float, unit: str) -> str:
    """A difference: shares in percentage points, everything else with an explicit sign."""
    if unit == "share":
        return f"{100 * x:+.2f} pp"
    text = format_value(x, unit)
    return f"+{text}" if x > 0 else text


def _diff_table(diffs: pd.DataFrame, metrics: Sequence[str], scenarios: Sequence[str]) -> str:
    """Scenario rows x metric columns: the difference (bold when its CI excludes zero), its CI and p-value."""
    has_p = "p_value" in diffs.columns
    cells: dict[tuple[str, str], str] = {}
    keys = zip(diffs["scenario"].astype(str), diffs["metric"].astype(str), strict=True)
    numbers = diffs[["mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
    p_values = pd.to_numeric(diffs["p_value"], errors="coerce").to_numpy(dtype=float) if has_p else None
    for k, (scenario, metric) in enumerate(keys):
        unit = unit_of(metric)
        mean, low, high = (float(v) for v in numbers[k])
        cls = " class='clear'" if (low > 0 or high < 0) else ""
        p_text = ""
        if p_values is not None and np.isfinite(p_values[k]):
            p_text = f"<br><span class='note'>p = {p_values[k]:.2g}</span>"
        cells[(scenario, metric)] = (
            f"<span{cls}>{_signed(mean, unit)}</span><br>"
            f"<span class='note'>{_signed(low, unit)} to {_signed(high, unit)}</span>{p_text}"
        )
    head = "<tr><th>scenario</th>" + "".join(_metric_header(m) for m in metrics) + "</tr>"
    rows = [
        f"<tr><td>{esc(s)}</td>"
        + "".join(f"<td class='num'>{cells.get((s, m), 'n/a')}</td>" for m in metrics)
        + "</tr>"
        for s in scenarios
    ]
    return f"<div class='scroll'><table>{head}{''.join(rows)}</table></div>"


RESPONSE_CAPTION = (
    "Left: the metric's mean against <code>{budget}</code> with its 95% CI band. Right: the marginal response, the "
    "change between neighbouring budgets divided by the extra budget (for revenue: the marginal ROAS). Diminishing "
    "returns show as a falling marginal curve."
)


def _response_section(
    table: pd.DataFrame, budget: str, series: str | None, response_metrics: Sequence[str] | None, chosen: list[str]
) -> Section | None:
    """Budget-response curves when the table has a numeric budget column with at least two values."""
    if budget not in table.columns:
        return None
    table = table.assign(**{budget: pd.to_numeric(table[budget], errors="coerce")})
    if table[budget].nunique() < 2:
        return None
    present = set(table["metric"])
    wanted = list(response_metrics) if response_metrics else [m for m in RESPONSE_DEFAULTS if m in present][:2]
    for m in wanted:
        if m not in present:
            raise ConfigError(
                "response_metrics",
                f"unknown metric '{m}'{did_you_mean(m, sorted(present))}",
                "use metrics in the table",
            )
    fig = response_figure(table, wanted or chosen[:1], budget, series)
    chart = Chart(
        "budget_response", png_bytes(fig), "Budget-response curves", RESPONSE_CAPTION.format(budget=esc(budget))
    )
    return Section("Budget response", charts=(chart,))


def _no_difference_note(metrics: Sequence[str], reference: str | None) -> str:
    """Why metrics are missing from the differences: a ratio with no value in the reference (e.g. ROI of a
    reference that spends nothing) has no difference, and the chart says so instead of leaving them out."""
    if not metrics:
        return ""
    names = ", ".join(f"<code>{esc(m)}</code>" for m in metrics)
    ref = f"'{esc(reference)}'" if reference else "the reference"
    return (
        f"<p class='note'>No paired difference for {names}: the metric has no value in {ref} or in every other "
        "scenario (a ratio whose denominator is zero there, e.g. ROI or ROAS of a reference that spends nothing). "
        "Compare these ratios in the table of means, or choose a reference that spends (<code>--reference</code>)."
        "</p>"
    )


def comparison_page(
    table: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    differences: pd.DataFrame | None = None,
    reference: str | None = None,
    ranking: pd.DataFrame | None = None,
    ranking_metric: str | None = None,
    budget: str = "budget",
    series: str | None = None,
    response_metrics: Sequence[str] | None = None,
    title: str | None = None,
    sections: Sequence[Section] = (),
) -> Page:
    """The comparison page (charts rendered, nothing written); arguments as for `comparison_report`."""
    table = _check(table, "table", [series] if series else [])
    chosen = _pick_metrics(table, metrics)
    finite = set(table.loc[np.isfinite(table["mean"].to_numpy(dtype=float)), "metric"])
    asked, chosen = chosen, [m for m in chosen if m in finite] or chosen
    scenarios = list(dict.fromkeys(table["scenario"]))
    if reference is None and differences is not None and "reference" in differences.columns:
        refs = differences["reference"].dropna().astype(str).unique()
        reference = str(refs[0]) if len(refs) == 1 else None
    if reference is not None and reference not in scenarios:
        raise ConfigError(
            "reference",
            f"unknown scenario '{reference}'{did_you_mean(reference, scenarios)}",
            f"use one of {', '.join(scenarios)}",
        )
    out = [Section("How to read this comparison", bullet_list(HOW_TO_READ, "read"))]
    fig = metrics_figure(table, chosen, scenarios, reference)
    out.append(
        Section(
            "Metrics per scenario",
            _means_table(table, chosen, scenarios),
            charts=(
                Chart(
                    "comparison_metrics",
                    png_bytes(fig),
                    "Metric means with 95% CI per scenario",
                    "Dots are means over replications, bars their 95% confidence intervals.",
                ),
            ),
        )
    )
    if differences is not None:
        diffs = _check(_difference_values(differences), "differences")
        finite = set(diffs.loc[np.isfinite(diffs["mean"].to_numpy(dtype=float)), "metric"])
        shown = [m for m in chosen if m in finite]  # e.g. ROAS against a no-spend reference has no difference
        missing = _no_difference_note([m for m in asked if m not in finite], reference)
        if not shown and missing:
            out.append(Section("Paired differences", missing))
        if shown:
            others = [s for s in scenarios if s in set(diffs["scenario"])]
            fig = differences_figure(diffs, shown, others, reference)
            out.append(
                Section(
                    "Paired differences",
                    charts=(
                        Chart(
                            "comparison_differences",
                            png_bytes(fig),
                            "Paired differences with 95% CI",
                            "Each scenario minus the reference, paired replication by replication (same seeds). A "
                            "difference whose interval excludes zero (blue) is unlikely to be noise.",
                        ),
                    ),
                    after=_diff_table(diffs, shown, others) + missing,
                )
            )
    if ranking is not None:
        out.append(_ranking_section(ranking, ranking_metric))
    response = _response_section(table, budget, series, response_metrics, chosen)
    if response is not None:
        out.append(response)
    out.extend(sections)
    facts = [("scenarios", str(len(scenarios))), ("metrics", str(table["metric"].nunique()))]
    if reference:
        facts.append(("reference", reference))
    return Page(title or "journeysim comparison", facts, out)


def comparison_report(
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    differences: pd.DataFrame | None = None,
    reference: str | None = None,
    ranking: pd.DataFrame | None = None,
    ranking_metric: str | None = None,
    budget: str = "budget",
    series: str | None = None,
    response_metrics: Sequence[str] | None = None,
    title: str | None = None,
    sections: Sequence[Section] = (),
) -> Path:
    """Write comparison.html and charts/*.png comparing scenarios; returns the path of comparison.html.

    `table`: tidy, one row per (scenario, metric), columns scenario, metric, mean, ci_low, ci_high, optionally a
    numeric `budget` column (budget-response curves of `response_metrics`, one line per value of `series`).
    `differences`: optional, each scenario minus `reference`, one row per (scenario, metric) with the value in
    `difference` (or `mean`), `ci_low`, `ci_high`, optional `p_value` and `reference`: the output of
    `journeysim.study.compare.paired_differences` as is. `ranking`: optional, e.g. `study.compare.rank_scenarios`
    (rank, scenario, mean, p_best, p_best_normal) for `ranking_metric`.
    `metrics` picks the metrics to chart (default: the headline metrics present, at most nine).
    """
    page = comparison_page(
        table,
        metrics=metrics,
        differences=differences,
        reference=reference,
        ranking=ranking,
        ranking_metric=ranking_metric,
        budget=budget,
        series=series,
        response_metrics=response_metrics,
        title=title,
        sections=sections,
    )
    return write_page(page, out_dir, COMPARISON_FILE, COMPARISON_CHARTS)
