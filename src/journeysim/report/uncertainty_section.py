"""The comparison page's "Parameter uncertainty" section: what the decision looks like once the rates are not
taken as exact (`journeysim.study.uncertainty_stats`): P(better) with and without parameter uncertainty, how the
spread splits into unknown rates and random customers, and which parameter is worth measuring."""

from __future__ import annotations

import math

import pandas as pd

from journeysim.report.html import Section, esc
from journeysim.report.tables import format_value, unit_of

INTRO = (
    "<p>Each replication drew its parameters from the ensemble (<code>sim.parameter_uncertainty</code>); "
    "replication r of every scenario used the same draw. <i>P(better)</i>: the probability that the scenario's true "
    "mean beats the reference given what is known about the rates (t reference, as the interval); <i>share of "
    "draws</i>: the share of parameter draws in which it does (simulation noise shrunk out of each draw); "
    "<i>noise only</i>: "
    "what simulation noise alone would say with the rates taken as known. The <i>interval</i> is where the true "
    "difference lies given what is known about the rates (95%). <i>Unknown rates</i>: the share of one "
    "replication's variance that the parameter draws explain (one-way random-effects ANOVA); the rest is "
    "customers being random. <i>EVPI</i> / <i>EVPPI</i>: the expected gain (in the metric's unit) from knowing "
    "all parameters / the named one exactly before choosing: measure the parameter with the largest EVPPI first. "
    'Estimators: docs/comparison.md, "Parameter uncertainty".</p>'
)


def _num(v: object, unit: str) -> str:
    x = float(v) if v is not None else math.nan  # type: ignore[arg-type]
    return format_value(x, unit) if math.isfinite(x) else "n/a"


def _decision_rows(decisions: pd.DataFrame) -> str:
    head = (
        "<tr><th>scenario</th><th>metric</th><th class='num'>difference</th><th class='num'>95% interval</th>"
        "<th class='num'>P(better)</th><th class='num'>share of draws</th><th class='num'>noise only</th>"
        "<th class='num'>unknown rates</th>"
        "<th class='num'>EVPI</th><th>worth measuring</th><th class='num'>EVPPI</th></tr>"
    )
    rows = []
    for r in decisions.to_dict("records"):
        unit = unit_of(str(r["metric"]))
        interval = f"[{_num(r['uncertainty_low'], unit)}, {_num(r['uncertainty_high'], unit)}]"
        cells = [
            f"<td>{esc(r['scenario'])}</td><td><code>{esc(r['metric'])}</code></td>",
            f"<td class='num'>{_num(r['difference'], unit)}</td><td class='num'>{interval}</td>",
            f"<td class='num'>{_num(r['p_better'], 'share')}</td>",
            f"<td class='num'>{_num(r['p_better_draws'], 'share')}</td>",
            f"<td class='num'>{_num(r['p_better_noise'], 'share')}</td>",
            f"<td class='num'>{_num(r['share_parameters'], 'share')}</td><td class='num'>{_num(r['evpi'], unit)}</td>",
            f"<td><code>{esc(r['most_valuable_parameter'] or '-')}</code></td>",
            f"<td class='num'>{_num(r['evppi'], unit)}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='scroll'><table>{head}{''.join(rows)}</table></div>"


def _voi_rows(voi: pd.DataFrame) -> str:
    head = (
        "<tr><th>scenario</th><th>parameter</th><th class='num'>EVPPI</th><th class='num'>share of EVPI</th>"
        "<th class='num'>Spearman</th></tr>"
    )
    rows = []
    for r in voi.to_dict("records"):
        unit = unit_of(str(r["metric"]))
        rows.append(
            f"<tr><td>{esc(r['scenario'])}</td><td><code>{esc(r['parameter'])}</code></td>"
            f"<td class='num'>{_num(r['evppi'], unit)}</td><td class='num'>{_num(r['evppi_share'], 'share')}</td>"
            f"<td class='num'>{_num(r['spearman'], '')}</td></tr>"
        )
    return f"<div class='scroll'><table>{head}{''.join(rows)}</table></div>"


def uncertainty_section(decisions: pd.DataFrame, voi: pd.DataFrame, reference: str, metric: str) -> Section:
    """The section for the ranking `metric` against `reference` (rows of `decision_table` and `voi_table`)."""
    dec = decisions[decisions["metric"].astype(str) == metric]
    val = voi[voi["metric"].astype(str) == metric]
    body = INTRO + f"<p>Against <b>{esc(reference)}</b>, on <code>{esc(metric)}</code>:</p>" + _decision_rows(dec)
    if len(val):
        body += "<h3>Value of information per parameter</h3>" + _voi_rows(val)
    return Section("Parameter uncertainty", body)
