"""`journeysim attribute RUN_DIR`: attribution methods on the run's touch paths, scored against the truth.

    journeysim attribute RUN_DIR [--methods first_touch,markov] [--channels a,b] [--paths FILE] [--out DIR]

RUN_DIR is a run made with outputs.touches=true and baseline_channels=true (per-channel counterfactuals). Writes
attribution.csv (the league table) and attribution.html into --out (default RUN_DIR). --paths scores a path table
of your own (path, total_conversions, total_null[, replication]) against the run's truth; a run with
outputs.touch_sample=s logged that share of its customers, so credits (own paths or --paths) are scaled by 1 / s.
Bad input: exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from journeysim.cli.state import EXIT_BAD_INPUT
from journeysim.config.problems import Problem
from journeysim.config.validate import problems_text
from journeysim.errors import did_you_mean
from journeysim.io.atomic import atomic_write
from journeysim.io.outputs import CHANNEL_REMOVAL_FILE, CONFIG_FILE, PATH_SEGMENTS_FILE, TOUCHES_FILE
from journeysim.report.attribution_page import write_attribution_page
from journeysim.study.attribution.methods import METHODS, parse_path
from journeysim.study.attribution.score import ALL, credits, league, table_credits

ATTRIBUTION_FILE = "attribution.csv"
HEADING = "journeysim attribute: nothing was attributed."


def parser() -> argparse.ArgumentParser:
    """The command line of `journeysim attribute`."""
    p = argparse.ArgumentParser(prog="journeysim attribute", description=__doc__.split("\n")[0])
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run made with outputs.touches=true baseline_channels=true")
    p.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, of {', '.join(METHODS)}")
    p.add_argument("--channels", default=None, help="comma-separated channels to score (default: all)")
    p.add_argument("--paths", default=None, help="a path table CSV to score instead of the run's own paths")
    p.add_argument("--out", default=None, help="where to write attribution.csv and .html (default RUN_DIR)")
    return p


def _fail(problems: Sequence[Problem]) -> None:
    """Bad input: the heading and one line (with its fix) per problem on stderr, status 2."""
    if problems:
        sys.stderr.write(f"{HEADING}\n{problems_text(problems)}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _names(text: str | None, known: Sequence[str], setting: str) -> tuple[list[str], list[Problem]]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()] or list(known)
    bad = [
        Problem(setting, f"unknown name '{n}'{did_you_mean(n, list(known))}", f"use some of {', '.join(known)}")
        for n in names
        if n not in known
    ]
    return names, bad


def _run_files(run: Path) -> list[Problem]:
    if not run.is_dir():
        return [Problem("RUN_DIR", f"'{run}' is not a directory", "give the directory of a finished run")]
    out = []
    for name in (TOUCHES_FILE, PATH_SEGMENTS_FILE):
        if not (run / name).is_file():
            fix = "run again with outputs.touches=true (the touch log and its paths)"
            out.append(Problem("outputs.touches", f"{run / name} is missing", fix))
    if not (run / CHANNEL_REMOVAL_FILE).is_file():
        fix = "run again with baseline_channels=true and outputs.touches=true (each channel's counterfactual)"
        out.append(Problem("baseline_channels", f"{run / CHANNEL_REMOVAL_FILE} is missing", fix))
    return out


def _sample(run: Path) -> float:
    """The share of customers the run logged (`outputs.touch_sample` in its config.yaml; 1 when absent)."""
    path = run / CONFIG_FILE
    data = yaml.safe_load(path.read_text()) if path.is_file() else {}
    return float(((data or {}).get("outputs") or {}).get("touch_sample", 1.0))


def _path_file(path: Path, channels: Sequence[str]) -> tuple[pd.DataFrame | None, list[Problem]]:
    """A path table CSV, every path checked against the run's channels (one problem per bad path, at most 10)."""
    if not path.is_file():
        return None, [
            Problem("--paths", f"'{path}' is not a file", "give a CSV with path, total_conversions, total_null")
        ]
    table = pd.read_csv(path)
    missing = [c for c in ("path", "total_conversions", "total_null") if c not in table.columns]
    if missing:
        fix = "give columns path, total_conversions, total_null (replication optional)"
        return None, [Problem("--paths", f"{path} lacks column(s) {', '.join(missing)}", fix)]
    problems = []
    for i, p in enumerate(table["path"].astype(str)):
        try:
            parse_path(p, channels)
        except ValueError as exc:
            fix = f"write paths as 'c1 > c2' with channels of the run: {', '.join(channels)}"
            problems.append(Problem(f"--paths row {i + 2}", str(exc), fix))
    return table, problems[:10]


def main(argv: Sequence[str]) -> None:
    ns = parser().parse_args(list(argv))
    run = Path(ns.run_dir)
    methods, problems = _names(ns.methods, METHODS, "--methods")
    missing = _run_files(run)
    _fail(problems + missing if missing else [])
    touches = pd.read_parquet(run / TOUCHES_FILE)
    channels = [str(c) for c in touches["channel"].cat.categories]
    scored, more = _names(ns.channels, channels, "--channels")
    table, bad_paths = _path_file(Path(ns.paths), channels) if ns.paths else (None, [])
    _fail(problems + more + bad_paths)
    truth = pd.read_csv(run / CHANNEL_REMOVAL_FILE)
    sample = _sample(run)
    if table is not None:
        credit = table_credits(table, channels, methods, sample)
    else:
        segments = pd.read_parquet(run / PATH_SEGMENTS_FILE)
        credit = credits(touches, segments, channels, methods, sample)
    result = league(credit[credit["channel"].isin(scored)], truth)
    out = Path(ns.out) if ns.out else run
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / ATTRIBUTION_FILE, lambda tmp: result.to_csv(tmp, index=False))
    write_attribution_page(result, out, run.name)
    overall = result[result["channel"] == ALL]
    true = float(overall["true_incremental"].iloc[0]) if len(overall) else float("nan")
    print(f"attribution of {run} ({', '.join(scored)}; true incremental purchases {true:.1f}), ranked by share error:")
    if sample < 1.0:
        print(f"  (the run logged a share {sample:g} of its customers: credits scaled by 1 / {sample:g})")
    for _, r in overall.iterrows():
        print(
            f"  {int(r['rank'])}. {r['method']:<16} share error {r['share_error']:6.3f}  total |bias| {r['bias']:10.1f}"
        )
    print(f"wrote {out / ATTRIBUTION_FILE} and {out / 'attribution.html'}")
