"""`journeysim fit-btyd`: fit BG/NBD or Pareto/NBD to a transaction table and write the fit as config options.

    journeysim fit-btyd TRANSACTIONS.csv [--model bgnbd|paretonbd] [--unit days|weeks] [--end END] [--out DIR]
    journeysim fit-btyd RUN_DIR ...      # a run made with sim.event_log=true: its customers' purchases

The table (CSV or Parquet) has columns customer, day (a number of days) or date (YYYY-MM-DD), and optionally
value. Writes `DIR/estimates.csv` (each parameter with its standard error and 95% CI), `DIR/customers.csv`
(x, t_x, T, P(alive) and expected purchases over the next `--horizon`), `DIR/fit.json` (the convergence report),
and `DIR/journey/<name>.yaml` + `DIR/population/<name>.yaml`, so DIR works as a config directory:
`journeysim --config-dir DIR journey=<name> population=<name>` simulates a cohort like the fitted one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import pandas as pd
import yaml

from journeysim.cli.report import exit_verb_problem
from journeysim.errors import ConfigError
from journeysim.io.atomic import atomic_write, atomic_write_text
from journeysim.io.outputs import CONFIG_FILE, CUSTOMERS_FILE, EVENTS_FILE
from journeysim.study.btyd import MODELS, BtydFit, RepeatSummary, fit_btyd, summarise_transactions
from journeysim.study.btyd.option import btyd_journey, btyd_population
from journeysim.study.btyd.summary import UNITS, transactions_from_run


def _bad(setting: str, problem: str, fix: str) -> NoReturn:
    exit_verb_problem("journeysim fit-btyd: nothing was written.", setting, problem, fix)


def _read_run(run: Path) -> tuple[pd.DataFrame, float]:
    """A run directory made with sim.event_log=true as transactions (see `transactions_from_run`) and its horizon."""
    if not (run / EVENTS_FILE).is_file() or not (run / CUSTOMERS_FILE).is_file():
        _bad("TRANSACTIONS", f"'{run}' has no {EVENTS_FILE} and {CUSTOMERS_FILE}", "run with sim.event_log=true")
    config = yaml.safe_load((run / CONFIG_FILE).read_text(encoding="utf-8")) if (run / CONFIG_FILE).is_file() else {}
    conversion = (config.get("journey") or {}).get("conversion") or ["purchase"]
    horizon = float((config.get("sim") or {}).get("horizon_days") or 0) or None
    if horizon is None:
        _bad("TRANSACTIONS", f"'{run}' has no config.yaml with sim.horizon_days", "give a complete run directory")
    events, customers = pd.read_parquet(run / EVENTS_FILE), pd.read_parquet(run / CUSTOMERS_FILE)
    return transactions_from_run(events, customers, conversion), horizon


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        _bad("TRANSACTIONS", f"'{path}' is not a file", "give a CSV or Parquet transaction table")
    try:
        return pd.read_csv(path) if path.suffix.lower() != ".parquet" else pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        _bad("TRANSACTIONS", f"cannot read '{path}': {exc}", "give a CSV (.csv) or Parquet (.parquet) file")


def parser() -> argparse.ArgumentParser:
    """The `fit-btyd` verb's command line."""
    p = argparse.ArgumentParser(
        prog="journeysim fit-btyd", description="Fit BG/NBD or Pareto/NBD by maximum likelihood."
    )
    p.add_argument(
        "transactions", metavar="TRANSACTIONS", help="customer, day or date, value (CSV/Parquet) or a run dir"
    )
    p.add_argument("--model", default="bgnbd", help=f"one of {', '.join(MODELS.names())} (default bgnbd)")
    p.add_argument("--unit", default="days", help="time unit of the estimates: days (default) or weeks")
    p.add_argument("--end", help="end of observation: a day, or a date (default: the last purchase)")
    p.add_argument("--horizon", type=float, help="future window for customers.csv, in --unit (default one year)")
    p.add_argument("--customers", type=int, help="cohort size of the population option (default: as fitted)")
    p.add_argument("--name", help="name of the journey and population options (default <model>_fitted)")
    p.add_argument("--out", help="output directory (default btyd/<date>_<time>)")
    return p


def _customer_table(fit: BtydFit, summary: RepeatSummary, horizon: float) -> pd.DataFrame:
    model, params = MODELS.get(fit.model), fit.params
    table = summary.table.copy()
    table["p_alive"] = model.prob_alive(params, summary.x, summary.t_x, summary.T)
    table["expected_purchases_next"] = model.conditional_expected_purchases(
        params, horizon, summary.x, summary.t_x, summary.T
    )
    table["horizon"] = horizon
    return table


def _write(out: Path, fit: BtydFit, summary: RepeatSummary, args: argparse.Namespace) -> tuple[Path, str]:
    """Everything is computed first, then written, so a failure leaves nothing half-written."""
    name = args.name or f"{fit.model}_fitted"
    horizon = args.horizon or 365.0 / UNITS[summary.unit]
    customers = _customer_table(fit, summary, horizon)
    report = {"model": fit.model, "unit": fit.unit, **fit.as_dict(), "log_likelihood": fit.log_likelihood}
    report["convergence"] = fit.convergence.__dict__ | {"text": fit.convergence.text()}
    header = f"# Fitted by `journeysim fit-btyd --model {fit.model}` from {args.transactions}; see estimates.csv\n"
    journey = btyd_journey(fit.model, fit.params, fit.unit, name=name)
    value = summary.table["monetary_value"]
    order = {"kind": "fixed", "mean": float(value[value > 0].mean())} if (value > 0).any() else None
    population = btyd_population(
        fit.model, fit.params, fit.unit, customers=args.customers or summary.n_customers, name=name, order_value=order
    )
    atomic_write(out / "estimates.csv", lambda tmp: fit.table().to_csv(tmp, index=False))
    atomic_write(out / "customers.csv", lambda tmp: customers.to_csv(tmp, index=False))
    atomic_write_text(out / "fit.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out / "journey" / f"{name}.yaml", header + yaml.safe_dump(journey, sort_keys=False))
    atomic_write_text(out / "population" / f"{name}.yaml", header + yaml.safe_dump(population, sort_keys=False))
    return out, name


def main(argv: Sequence[str]) -> None:
    """The `fit-btyd` verb."""
    args = parser().parse_args(list(argv))
    if Path(args.transactions).is_dir():
        table, horizon = _read_run(Path(args.transactions))
        args.end = args.end if args.end is not None else horizon
    else:
        table = _read(Path(args.transactions))
    try:
        MODELS.get(args.model, "--model")
        summary = summarise_transactions(table, end=args.end, unit=args.unit)
        fit = fit_btyd(summary, args.model)
    except ConfigError as exc:
        _bad(exc.setting, exc.problem, exc.fix)
    out, name = _write(Path(args.out or f"btyd/{datetime.now():%Y-%m-%d_%H-%M-%S-%f}"), fit, summary, args)
    print(fit.table()[["parameter", "estimate", "se", "ci_low", "ci_high"]].to_string(index=False))
    print(f"{fit.n_customers:,} customers, {fit.repeat_buyers:,} repeat buyers; {fit.convergence.text()}")
    print(
        f"estimates: {out / 'estimates.csv'}; options: journeysim --config-dir {out} journey={name} population={name}"
    )
    if not fit.convergence.converged:
        sys.stderr.write("journeysim fit-btyd: the fit did not converge; treat the estimates with caution\n")
