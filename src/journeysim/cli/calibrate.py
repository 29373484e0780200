"""`journeysim calibrate`: fit a journey's per-day rates to observed journeys and write it as a config option.

    journeysim calibrate RUN_DIR                        # a run made with sim.event_log=true (ground-truth check)
    journeysim calibrate --events E --customers C --end DAYS [--journey NAME] [--config-dir DIR]
    journeysim calibrate --counts COUNTS.csv --journey NAME [--rates KNOWN.csv] [--draws N] --out DIR

With --counts (stage counts per segment and period, see `journeysim.study.fit.counts` and docs/calibration.md)
the rates and arrival rate are fitted to aggregate counts; see `journeysim.cli.calibrate_counts` for the files.

Tables are Parquet or CSV in the shape `events.parquet` / `customers.parquet` have (see `journeysim.study.calibrate`).
The fitted rates are the hazards observed in the data: a population simulated with them should not apply the
same segment multipliers again (fit per segment by giving each segment's customers and events separately).
The stages, entry, conversion and terminal stages come from a journey option (`--journey`, default the run's own
journey or `customer_journey`). Writes `OUT/rates.csv` (each rate with its transitions, exposure, standard error
and 95% CI) and `OUT/journey/<name>.yaml`, so OUT works as a config directory:
`journeysim --config-dir OUT journey=<name>`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import yaml

from journeysim.cli.report import exit_verb_problem
from journeysim.config.compose import compose, load_scenario
from journeysim.config.problems import InvalidConfig
from journeysim.config.validate import resolved_container
from journeysim.errors import ConfigError
from journeysim.io.atomic import atomic_write, atomic_write_text
from journeysim.io.outputs import CONFIG_FILE, CUSTOMERS_FILE, EVENTS_FILE
from journeysim.io.rundir import read_metrics
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario
from journeysim.study.calibrate import fit_rates

RATES_FILE = "rates.csv"


def _bad(setting: str, problem: str, fix: str) -> NoReturn:
    exit_verb_problem("journeysim calibrate: nothing was written.", setting, problem, fix)


def _table(path: Path, setting: str) -> pd.DataFrame:
    if not path.is_file():
        _bad(setting, f"'{path}' is not a file", "give a Parquet or CSV file")
    try:
        return pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        _bad(setting, f"cannot read '{path}': {exc}", "give a Parquet (.parquet) or CSV (.csv) file")


def _template(name: str | None, config_dir: str | None, run_config: dict[str, Any] | None) -> Journey:
    """The journey whose structure the fit keeps: a named option, else the run's own journey."""
    if name is None and run_config is not None:
        return Journey.from_dict(run_config["journey"])
    try:
        data = resolved_container(compose([f"journey={name or 'customer_journey'}"], config_dir=config_dir))
        journey = data["journey"]
        assert isinstance(journey, dict)
        return Journey.from_dict(journey)
    except InvalidConfig as exc:
        _bad("--journey", str(exc.problems[0]), "name a journey option (shipped or in --config-dir)")


def parser() -> argparse.ArgumentParser:
    """The `calibrate` verb's command line."""
    p = argparse.ArgumentParser(
        prog="journeysim calibrate", description="Fit a journey's per-day rates to observed journeys (CTMC MLE)."
    )
    p.add_argument("run_dir", nargs="?", metavar="RUN_DIR", help="a run made with sim.event_log=true")
    p.add_argument("--events", help="event table: customer, time, from_stage, to_stage (Parquet or CSV)")
    p.add_argument("--customers", help="customer table: customer, start_stage, entry_time [, end_time]")
    p.add_argument("--end", type=float, help="end of observation in days (default: the run's horizon)")
    p.add_argument("--journey", help="journey option giving stages and conversion (default: the run's own)")
    p.add_argument("--config-dir", help="your config directory, for --journey")
    p.add_argument("--name", help="name of the fitted journey option (default: <journey>_fitted)")
    p.add_argument("--min-transitions", type=int, default=1, help="drop edges seen fewer times (default 1)")
    p.add_argument("--out", help="output directory (default: calibrations/<date>_<time>)")
    p.add_argument("--counts", help="stage counts per period: period_start, period_end, stage, entries, occupancy_*")
    p.add_argument("--quoted", help="conversion rates and cycle lengths: quantity, from_stage, to_stage, value, se")
    p.add_argument("--spend", help="spend per period (period_start, spend) for the media-response fit")
    p.add_argument("--outcomes", help="with --spend: outcome counts per period (period_start, outcome)")
    p.add_argument("--rates", help="with --counts/--quoted: known rates to hold fixed (from_stage, to_stage, rate)")
    p.add_argument("--draws", type=int, default=200, help="with --counts: parameter draws in parameters.csv")
    p.add_argument("--replications", type=int, default=20, help="with --counts: simulations for the bands")
    p.add_argument("--seed", type=int, default=0, help="with --counts: seed of the draws and simulations")
    return p


def _counts(args: argparse.Namespace) -> None:
    """The --counts branch: fit, then write everything (nothing is written when the input is bad)."""
    from journeysim.cli.calibrate_counts import fit, problems_of, summary, write
    from journeysim.cli.state import EXIT_BAD_INPUT
    from journeysim.config.validate import Problem, problems_text

    template = _template(args.journey, args.config_dir, None)
    try:
        base = resolved_scenario(args.journey, args.config_dir)
        for setting, value in (("--draws", args.draws), ("--replications", args.replications)):
            if value < 2:
                raise ConfigError(setting, f"{value} is too few", f"give {setting} 2 or more")
        cal = fit(args, template, base)
    except ConfigError as exc:
        problems = [Problem(e.setting, e.problem, e.fix) for e in problems_of(exc)]
        sys.stderr.write(f"journeysim calibrate: nothing was written.\n{problems_text(problems)}\n")
        raise SystemExit(EXIT_BAD_INPUT) from None
    name = args.name or f"{template.name}_fitted"
    out = Path(args.out or f"calibrations/{datetime.now():%Y-%m-%d_%H-%M-%S-%f}")
    write(out, cal, name, str(args.counts))
    print(summary(cal, out, name))


def _quoted(args: argparse.Namespace) -> None:
    """The --quoted branch (see `journeysim.study.fit.quoted`)."""
    from journeysim.cli.calibrate_counts import quoted

    template = _template(args.journey, args.config_dir, None)
    try:
        written = quoted(args, template)
    except ConfigError as exc:
        _bad(exc.setting, exc.problem, exc.fix)
    print(pd.read_csv(written[0]).to_string(index=False))
    print(f"journey option: {written[-1]}")


def _media(args: argparse.Namespace) -> None:
    """The --spend branch (see `journeysim.study.fit.media`)."""
    from journeysim.cli.calibrate_counts import media

    try:
        written = media(args)
    except ConfigError as exc:
        _bad(exc.setting, exc.problem, exc.fix)
    print(pd.read_csv(written[0]).to_string(index=False))
    print(f"media response: {written[0]}; per period: {written[1]}")


def resolved_scenario(journey: str | None, config_dir: str | None) -> Scenario:
    """The base scenario whose settings (engine) the fit's simulations use."""
    try:
        return load_scenario([f"journey={journey or 'customer_journey'}", "strategy=none"], config_dir=config_dir)
    except InvalidConfig as exc:
        _bad("--journey", str(exc.problems[0]), "name a journey option (shipped or in --config-dir)")


def main(argv: Sequence[str]) -> None:
    """The `calibrate` verb."""
    args = parser().parse_args(list(argv))
    if args.counts is not None:
        _counts(args)
        return
    if args.quoted is not None:
        _quoted(args)
        return
    if args.spend is not None:
        _media(args)
        return
    run_config: dict[str, Any] | None = None
    end = args.end
    if args.run_dir is not None:
        run = Path(args.run_dir)
        events_path, customers_path = run / EVENTS_FILE, run / CUSTOMERS_FILE
        if not events_path.is_file():
            _bad(
                "RUN_DIR", f"'{run}' has no {EVENTS_FILE}", "run with sim.event_log=true, or give --events/--customers"
            )
        try:
            run_config = (
                yaml.safe_load((run / CONFIG_FILE).read_text(encoding="utf-8"))
                if (run / CONFIG_FILE).is_file()
                else None
            )
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            _bad("RUN_DIR", f"cannot read {run / CONFIG_FILE}: {exc}", "give a run directory journeysim wrote")
        if run_config is not None and not isinstance(run_config, dict):
            _bad("RUN_DIR", f"{run / CONFIG_FILE} is not a mapping", "give a run directory journeysim wrote")
        if end is None:
            end = float((read_metrics(run) or {}).get("horizon_days") or 0) or None
    elif args.events and args.customers:
        events_path, customers_path = Path(args.events), Path(args.customers)
    else:
        _bad("RUN_DIR", "nothing to fit", "give a run directory, or --events and --customers (and --end)")
    if end is not None and not (math.isfinite(end) and end > 0):
        _bad("--end", f"{end!r} is not a number of days > 0", "give --end DAYS (e.g. --end 365)")
    if end is None or end <= 0:
        _bad("--end", "the end of observation is not known", "give --end DAYS (e.g. --end 365)")
    template = _template(args.journey, args.config_dir, run_config)
    try:
        estimate = fit_rates(_table(events_path, "--events"), _table(customers_path, "--customers"), end=end)
        fitted = estimate.journey(template, min_transitions=args.min_transitions, name=args.name)
    except ConfigError as exc:
        _bad(exc.setting, exc.problem, exc.fix)
    out = Path(args.out or f"calibrations/{datetime.now():%Y-%m-%d_%H-%M-%S-%f}")
    atomic_write(out / RATES_FILE, lambda tmp: estimate.table.to_csv(tmp, index=False))
    doc = {
        "name": fitted.name,
        "stages": list(fitted.stages),
        "entry": fitted.entry,
        "conversion": list(fitted.conversion),
        "terminal": list(fitted.terminal),
        "positions": dict(fitted.positions),
        "rates": {s: dict(fitted.rates[s]) for s in fitted.stages if s in fitted.rates},  # in journey order
    }
    header = f"# Fitted by `journeysim calibrate` from {events_path} (observed until day {end:g}); see {RATES_FILE}\n"
    path = atomic_write_text(out / "journey" / f"{fitted.name}.yaml", header + yaml.safe_dump(doc, sort_keys=False))
    table = estimate.table
    print(f"{len(table)} transitions fitted from {int(table['transitions'].sum()):,} moves; rates: {out / RATES_FILE}")
    print(f"journey option: {path}  (use: journeysim --config-dir {out} journey={fitted.name})")
