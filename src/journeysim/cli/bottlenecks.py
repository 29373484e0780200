"""The bottleneck finder for people: `journeysim bottlenecks [OVERRIDES]` and the table in every run's report.

Presents `journeysim.study.bottleneck.ranked` (analytic, no simulation): which transition rate, raised by 10%, adds
the most buyers. Assumption warnings (strategy or word of mouth ignored, semi-Markov dwell) become notes.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

import pandas as pd
from rich.console import Console
from rich.table import Table

from journeysim.cli.report import exit_bad_input, invalid_config_text
from journeysim.config.compose import load_scenario
from journeysim.config.validate import InvalidConfig, Problem
from journeysim.errors import ConfigError
from journeysim.model.scenario import Scenario
from journeysim.report.html import Section, bullet_list, esc
from journeysim.study.bottleneck import RANK_BY, ranked

#: Rows shown in a run report.
REPORT_TOP = 10


def _signed(x: float, fmt: str) -> str:
    return "n/a" if not math.isfinite(x) else (("+" if x > 0 else "") + fmt.format(x))


def _cells(row: pd.Series) -> list[str]:
    return [
        str(int(row["rank"])),
        f"{row['from']} -> {row['to']}",
        f"{float(row['rate']):.4g}",
        f"{_signed(float(row['delta_buyers']), '{:,.1f}')} ({_signed(float(row['delta_buyers_pct']), '{:.2f}')}%)",
        f"{_signed(float(row['delta_revenue']), '{:,.0f}')} ({_signed(float(row['delta_revenue_pct']), '{:.2f}')}%)",
    ]


HEAD = ("rank", "transition", "rate / day", "new buyers", "revenue")


def rich_table(table: pd.DataFrame, top: int, improvement: float, title: str) -> Table:
    """Console table of the top rows."""
    out = Table(title=f"{title}: each rate raised by {improvement:.0%} (exact expectation over the horizon)")
    for col in HEAD:
        out.add_column(col, justify="left" if col == "transition" else "right")
    for _, row in table.head(top).iterrows():
        out.add_row(*_cells(row))
    return out


def bottleneck_section(scenario: Scenario, table: pd.DataFrame, notes: Sequence[str], top: int = REPORT_TOP) -> Section:
    """The report section: the top transitions, the three sentences to read first, and the assumptions."""
    head = "<tr>" + "".join(f"<th{'' if c == 'transition' else ' class=num'}>{esc(c)}</th>" for c in HEAD) + "</tr>"
    rows = "".join(
        "<tr>"
        + "".join(f"<td{'' if i == 1 else ' class=num'}>{esc(c)}</td>" for i, c in enumerate(_cells(row)))
        + "</tr>"
        for _, row in table.head(top).iterrows()
    )
    texts = [esc(t) for t in table["text"].head(3)]
    note = "".join(f"<p class='note'>Note: {esc(n)}.</p>" for n in notes)
    body = (
        "<p>Which transition rate matters most for buyers: each rate raised by 10% in every segment, and the exact "
        f"expected change in new buyers and revenue over the {scenario.settings.horizon_days}-day horizon "
        "(analytic, no simulation). Backward and churn transitions have negative deltas: cutting them helps as "
        "much. Full table: <code>bottlenecks.csv</code>; on the command line: <code>journeysim bottlenecks</code>."
        f"</p>{bullet_list(texts)}<div class='scroll'><table>{head}{rows}</table></div>{note}"
    )
    return Section("Bottlenecks", body)


def parser() -> argparse.ArgumentParser:
    """The verb's command line."""
    p = argparse.ArgumentParser(
        prog="journeysim bottlenecks",
        description="Rank the journey's transitions by how many buyers a better rate adds (analytic, instant).",
    )
    p.add_argument("overrides", nargs="*", help="config overrides, as for a run (e.g. journey=marketing_funnel)")
    p.add_argument("--top", type=int, default=10, help="rows to show (default 10)")
    p.add_argument("--improvement", type=float, default=0.1, help="relative rate change (default 0.1 = +10%%)")
    p.add_argument("--rank-by", choices=RANK_BY, default="buyers", help="rank by new buyers or revenue")
    p.add_argument("--config-dir", "-cd", default=None, help="a directory of your own configs")
    p.add_argument("--config-name", "-cn", default="config", help="primary config name")
    return p


def main(argv: Sequence[str]) -> None:
    """The `bottlenecks` verb: compose and validate the scenario, print the ranked table; writes nothing."""
    args = parser().parse_args(list(argv))
    if args.top < 1:
        exit_bad_input([invalid_config_text([Problem("--top", f"{args.top} is not >= 1", "e.g. --top 10")])])
    try:
        scenario = load_scenario(args.overrides, config_dir=args.config_dir, config_name=args.config_name)
        table, notes = ranked(scenario, args.improvement, args.rank_by)
    except InvalidConfig as exc:
        exit_bad_input([invalid_config_text(exc.problems)])
    except ConfigError as exc:
        exit_bad_input([invalid_config_text([Problem(f"--{exc.setting.replace('_', '-')}", exc.problem, exc.fix)])])
    console = Console() if sys.stdout.isatty() else Console(width=120)
    console.print(rich_table(table, args.top, args.improvement, f"Bottlenecks of {scenario.name}"))
    for text in table["text"].head(3):
        console.print(f"- {text}", markup=False, highlight=False)
    for n in notes:
        console.print(f"note: {n}", markup=False, highlight=False)
