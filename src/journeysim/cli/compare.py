"""`journeysim compare PATH...`: scenarios side by side with paired statistics, printed and written.

Loads the per-replication samples of every finished run under the given run directories, sweep directories or
sweep tables, then writes into `--out` (default `comparisons/<timestamp>`): comparison.csv (per scenario and metric
mean and 95% CI), differences.csv (each scenario minus the reference: paired when they share seeds, else Welch),
ranking.csv (rank and probability of being best) and comparison.html. Statistics: `journeysim.study.compare`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import pandas as pd
from rich.console import Console
from rich.table import Table

from journeysim.cli.report import exit_verb_problem
from journeysim.errors import ConfigError, did_you_mean
from journeysim.io.atomic import atomic_write
from journeysim.io.scenarios import Loaded, load_scenarios
from journeysim.metrics.catalogue import find, headline
from journeysim.report import comparison_report
from journeysim.report.tables import format_value, unit_of
from journeysim.report.uncertainty_section import uncertainty_section
from journeysim.study.compare import (
    REPLICATION,
    SCENARIO,
    SEED,
    paired_differences,
    pairs,
    rank_scenarios,
    scenario_rows,
    summary_table,
)
from journeysim.study.uncertainty import DRAW
from journeysim.study.uncertainty_stats import decision_table, is_parameter_column, voi_table

COMPARISON_CSV = "comparison.csv"
DIFFERENCES_CSV = "differences.csv"
RANKING_CSV = "ranking.csv"
VOI_CSV = "value_of_information.csv"
#: The default ranking metrics, the first every scenario has a value of: what a planner decides on.
RANK_DEFAULTS = ("incremental_profit", "profit", "revenue")


def _bad(setting: str, problem: str, fix: str) -> NoReturn:
    exit_verb_problem("journeysim compare: nothing was compared.", setting, problem, fix)


def parser() -> argparse.ArgumentParser:
    """The verb's command line."""
    p = argparse.ArgumentParser(
        prog="journeysim compare",
        description="Compare runs and sweep jobs: means with 95% CI, paired differences against a reference, "
        "ranking and probability of being best; writes CSVs and comparison.html.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="run directories, sweep directories or sweep tables")
    p.add_argument("--reference", help="the scenario the others are compared with (default: the first)")
    p.add_argument("--metrics", help="comma-separated metrics to show and chart (default: headline metrics)")
    p.add_argument(
        "--rank-by",
        help="metric to rank by (default: incremental_profit where every run has a baseline, else profit, else "
        "revenue)",
    )
    p.add_argument("--out", help="output directory (default: comparisons/<date>_<time>)")
    return p


def metric_columns(samples: pd.DataFrame) -> list[str]:
    """Every numeric metric column of the samples."""
    keys = {SCENARIO, REPLICATION, SEED}
    return [
        str(c)
        for c in samples.columns
        if c not in keys and not is_parameter_column(c) and pd.api.types.is_numeric_dtype(samples[c])
    ]


def higher_is_better(name: str) -> bool:
    """The catalogue's direction of a metric; a column journeysim does not define ranks higher-is-better."""
    m = find(name)
    return m is None or m.higher_is_better


def _check_metric(name: str, available: Sequence[str], setting: str) -> None:
    if name not in available:
        _bad(setting, f"unknown metric '{name}'{did_you_mean(name, list(available))}", "use a metric of metrics.json")


def _finite(samples: pd.DataFrame, metric: str) -> bool:
    values = pd.to_numeric(samples[metric], errors="coerce")
    return bool(values.notna().any()) and bool(values.abs().lt(math.inf).any())


def default_rank_metric(samples: pd.DataFrame) -> str | None:
    """incremental_profit when every scenario has it (every run had a baseline), else profit when something is
    spent (without spend profit is just margin), else revenue; None when the samples have none of them."""
    spends = "spend" in samples.columns and bool(pd.to_numeric(samples["spend"], errors="coerce").gt(0).any())
    for name in RANK_DEFAULTS:
        if name not in samples.columns or (name == "profit" and not spends):
            continue
        known = pd.to_numeric(samples[name], errors="coerce").notna().groupby(samples[SCENARIO]).any()
        if bool(known.all()):
            return name
    return None


def budget_key(loaded: Loaded) -> str | None:
    """A numeric swept setting with 'budget' in its name that every scenario has (for the budget-response curve)."""
    for key in loaded.params:
        if "budget" not in key:
            continue
        values = [s.params.get(key) for s in loaded.sources]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) and len(set(values)) >= 2:
            return key
    return None


def series_key(loaded: Loaded, budget: str | None) -> str | None:
    """Another swept setting that varies (one response curve per value of it), when there is a budget curve."""
    if budget is None:
        return None
    for key in loaded.params:
        values = {str(s.params.get(key)) for s in loaded.sources}
        if key != budget and len(values) > 1 and all(key in s.params for s in loaded.sources):
            return key
    return None


def with_params(table: pd.DataFrame, loaded: Loaded) -> pd.DataFrame:
    """The tidy summary with one column per swept setting (its value in each scenario)."""
    if not loaded.params:
        return table
    values = pd.DataFrame([{SCENARIO: s.name, **s.params} for s in loaded.sources])
    cols = [SCENARIO, *[k for k in loaded.params if k in values.columns]]
    return table.merge(values[cols], on=SCENARIO, how="left")


def _cell(mean: float, low: float, high: float, unit: str) -> str:
    if not math.isfinite(low) or low == high:
        return format_value(mean, unit)
    return f"{format_value(mean, unit)}\n[{format_value(low, unit)}, {format_value(high, unit)}]"


def _signed(x: float, unit: str) -> str:
    if not math.isfinite(x):
        return "n/a"
    if unit == "share":
        return f"{100 * x:+.2f} pp"
    text = format_value(x, unit)
    return f"+{text}" if x > 0 else text


def means_table(summary: pd.DataFrame, shown: Sequence[str], scenarios: Sequence[str]) -> Table:
    """Scenarios x shown metrics: mean and 95% CI."""
    table = Table(title="Metrics per scenario (mean, 95% CI)")
    table.add_column("scenario")
    for m in shown:
        table.add_column(m, justify="right")
    rows = {(str(r[SCENARIO]), str(r["metric"])): r for r in summary.to_dict("records")}
    for sc in scenarios:
        cells = []
        for m in shown:
            r = rows[(sc, m)]
            cells.append(_cell(float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]), unit_of(m)))
        table.add_row(sc, *cells)
    return table


def differences_table(diffs: pd.DataFrame, shown: Sequence[str], reference: str) -> Table:
    """Each scenario minus the reference: difference, 95% CI and p-value per shown metric."""
    table = Table(title=f"Differences vs '{reference}' (95% CI, p-value)")
    table.add_column("scenario")
    for m in shown:
        table.add_column(m, justify="right")
    rows = {(str(r[SCENARIO]), str(r["metric"])): r for r in diffs.to_dict("records")}
    for sc in dict.fromkeys(str(s) for s in diffs[SCENARIO]):
        cells = []
        for m in shown:
            r = rows[(sc, m)]
            unit = unit_of(m)
            p = float(r["p_value"])
            p_text = f"p={p:.2g}" if math.isfinite(p) else ""
            diff = float(r["difference"])
            low, high = float(r["ci_low"]), float(r["ci_high"])
            clear = math.isfinite(low) and (low > 0 or high < 0)
            head = f"[bold]{_signed(diff, unit)}[/]" if clear else _signed(diff, unit)
            cells.append(f"{head}\n[{_signed(low, unit)}, {_signed(high, unit)}]\n{p_text}".rstrip())
        table.add_row(sc, *cells)
    return table


def ranking_table(ranking: pd.DataFrame, metric: str, higher: bool) -> Table:
    """Rank, scenario, mean and the probabilities of being best (withheld, with the reason, below 5 replications)."""
    better = "higher" if higher else "lower"
    note = str(ranking["note"].iloc[0]) if "note" in ranking.columns and len(ranking) else ""
    caption = f"p_best / p_best_t withheld: {note}" if note else None
    title = f"Ranking by {metric} ({better} is better)"
    table = Table(title=title, caption=caption, caption_justify="left", min_width=len(title) + 4)
    for col in ("rank", "scenario", "mean", "p_best", "p_best_t"):
        table.add_column(col, justify="left" if col == "scenario" else "right")
    unit = unit_of(metric)
    for r in ranking.to_dict("records"):
        probs = ["withheld"] * 2 if note else [format_value(float(r[c]), "share") for c in ("p_best", "p_best_t")]
        table.add_row(str(r["rank"]), str(r[SCENARIO]), format_value(float(r["mean"]), unit), *probs)
    return table


def uncertainty_console(decisions: pd.DataFrame, metric: str, reference: str) -> Table:
    """The decision under parameter uncertainty for the ranking metric: P(better) with and without it, the share
    of the spread the unknown rates explain, and the parameter worth measuring (largest EVPPI)."""
    table = Table(title=f"Parameter uncertainty: {metric} vs '{reference}'")
    for col in ("scenario", "difference", "95% interval", "P(better)", "noise only", "unknown rates", "measure"):
        table.add_column(col, justify="left" if col in ("scenario", "measure") else "right")
    unit = unit_of(metric)
    for r in decisions[decisions["metric"] == metric].to_dict("records"):
        interval = f"[{_signed(float(r['uncertainty_low']), unit)}, {_signed(float(r['uncertainty_high']), unit)}]"
        probs = [format_value(float(r[c]), "share") for c in ("p_better", "p_better_noise", "share_parameters")]
        value = float(r["evppi"])
        why = f"EVPPI {format_value(value, unit)}" if value > 0 else "moves it most; no draw flips the decision"
        top = f"{r['most_valuable_parameter']} ({why})"
        table.add_row(str(r[SCENARIO]), _signed(float(r["difference"]), unit), interval, *probs, top)
    return table


def _with_decisions(diffs: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """differences.csv with the parameter-uncertainty columns of each (scenario, metric) when there are any."""
    if decisions.empty:
        return diffs
    extra = decisions.drop(columns=["difference"])
    return diffs.merge(extra, on=[SCENARIO, "reference", "metric"], how="left")


def _pairing_note(unpaired: Sequence[str], reference: str) -> str:
    if unpaired:
        return (
            f"note: {', '.join(unpaired)} do(es) not share seeds and replications with '{reference}', so Welch's "
            "t-test was used instead of the paired test. Paired statistics need runs with the same sim.seed and "
            "sim.replications (common random numbers)."
        )
    return (
        f"All scenarios share seeds with '{reference}': differences are paired by replication (common random numbers)."
    )


def _out_dir(arg: str | None) -> Path:
    if arg is not None:
        out = Path(arg)
        if out.exists() and not out.is_dir():
            _bad("--out", f"'{out}' is a file", "give a directory")
        out.mkdir(parents=True, exist_ok=True)
        return out
    root = Path("comparisons")
    while True:  # a new directory, never one another comparison is writing into
        out = root / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
        try:
            out.mkdir(parents=True, exist_ok=False)
            return out
        except FileExistsError:
            continue


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def main(argv: Sequence[str]) -> None:
    """The `compare` verb."""
    args = parser().parse_args(list(argv))
    try:
        loaded = load_scenarios(args.paths)
    except ConfigError as exc:
        _bad(exc.setting, exc.problem, exc.fix)
    samples = loaded.samples
    scenarios = list(dict.fromkeys(samples[SCENARIO]))
    if len(scenarios) < 2:
        _bad("PATH", f"only one scenario found ({scenarios[0]})", "give two or more runs or a sweep with 2+ jobs")
    available = metric_columns(samples)
    chosen = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else []
    for m in chosen:
        _check_metric(m, available, "--metrics")
    shown = chosen or [m for m in headline("compare") if m in available and _finite(samples, m)]
    rank_by = args.rank_by or (chosen[0] if chosen else default_rank_metric(samples) or shown[0])
    if not chosen and rank_by not in shown:
        shown.insert(0, rank_by)  # the ranking metric is shown (and charted) by default
    _check_metric(rank_by, available, "--rank-by")
    reference = args.reference if args.reference is not None else scenarios[0]
    if reference not in scenarios:
        _bad(
            "--reference",
            f"unknown scenario '{reference}'{did_you_mean(reference, scenarios)}",
            f"use one of: {', '.join(scenarios)}",
        )
    higher = higher_is_better(rank_by)

    summary = with_params(summary_table(samples, available), loaded)
    diffs = paired_differences(samples, reference, available)
    ranking = rank_scenarios(samples, rank_by, higher_is_better=higher)
    ranking.insert(2, "metric", rank_by)
    ranking.insert(3, "higher_is_better", higher)
    groups = scenario_rows(samples)
    unpaired = [sc for sc in scenarios if sc != reference and not pairs(samples, sc, reference, groups)]
    drawn = DRAW in samples.columns and bool(samples[DRAW].notna().any())
    decisions = decision_table(samples, reference, available, scenarios) if drawn else pd.DataFrame()
    voi = voi_table(samples, reference, available, scenarios) if drawn else pd.DataFrame()
    diffs = _with_decisions(diffs, decisions)

    out = _out_dir(args.out)
    _write_csv(out / "comparison.csv", summary)
    _write_csv(out / "differences.csv", diffs)
    _write_csv(out / "ranking.csv", ranking)
    if drawn:
        _write_csv(out / VOI_CSV, voi)
    budget = budget_key(loaded)
    html = comparison_report(
        summary,
        out,
        metrics=shown or None,
        differences=diffs,
        reference=reference,
        ranking=ranking,
        ranking_metric=rank_by,
        budget=budget or "budget",
        series=series_key(loaded, budget),
        title=f"journeysim comparison of {len(scenarios)} scenarios",
        sections=[uncertainty_section(decisions, voi, reference, rank_by)] if drawn else (),
    )

    console = Console() if sys.stdout.isatty() else Console(width=140)
    for note in loaded.skipped:
        console.print(f"skipped: {note}", markup=False, highlight=False)
    console.print(means_table(summary, shown, scenarios))
    console.print(differences_table(diffs, shown, reference))
    console.print(ranking_table(ranking, rank_by, higher))
    if drawn:
        console.print(uncertainty_console(decisions, rank_by, reference))
    console.print(_pairing_note(unpaired, reference), markup=False, highlight=False)
    written = ("comparison.csv", "differences.csv", "ranking.csv", *((VOI_CSV,) if drawn else ()))
    files = ", ".join(str(out / f) for f in written)
    console.print(f"Outputs: {files}, {html}", markup=False, highlight=False)
