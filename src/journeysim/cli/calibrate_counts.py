"""`journeysim calibrate --counts COUNTS.csv`: fit a journey's rates and the arrival rate to stage counts over time.

Writes into OUT, only after everything was computed (atomic files): `journey/<name>.yaml` and
`population/<name>.yaml` (OUT works as a config directory), `estimates.csv` (each rate and arrival rate with its
standard error and 95% CI), `parameters.csv` (the parameter ensemble: one row per draw, one column per scenario
key), `fit.csv` (observed vs fitted counts per segment, period, stage and measure, simulated 95% prediction band,
held-out predictions), `checks.csv` (the Markov-assumption verdicts) and `fit.html`.

`journeysim calibrate --quoted QUOTES.csv` fits to quoted conversion rates and cycle lengths instead
(`journeysim.study.fit.quoted`): the journey option, `estimates.csv`, `fit.csv` (quoted vs fitted), `parameters.csv`.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from journeysim.errors import ConfigError
from journeysim.io.atomic import atomic_write, atomic_write_text
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario
from journeysim.report.fit_page import fit_page
from journeysim.study.fit.calibration import CountsCalibration, calibrate_counts, with_rates
from journeysim.study.fit.counts import CountsProblems
from journeysim.study.fit.media import fit_media
from journeysim.study.fit.quoted import fit_quoted


def read_fixed(path: Path) -> dict[str, dict[str, float]]:
    """Known rates from a CSV with columns from_stage, to_stage, rate (what `journeysim calibrate` writes)."""
    frame = pd.read_csv(path)
    missing = [c for c in ("from_stage", "to_stage", "rate") if c not in frame.columns]
    if missing:
        raise ConfigError("--rates", f"missing column(s) {missing}", "give columns from_stage, to_stage, rate")
    out: dict[str, dict[str, float]] = {}
    for src, dst, rate in zip(frame["from_stage"], frame["to_stage"], frame["rate"], strict=True):
        value = float(pd.to_numeric(rate, errors="coerce"))
        if not value > 0:
            raise ConfigError("--rates", f"rate {src}->{dst} is {rate!r}", "give known rates as numbers > 0 per day")
        out.setdefault(str(src), {})[str(dst)] = value
    return out


def problems_of(exc: ConfigError) -> list[ConfigError]:
    """Every problem an error carries (a counts table may have several)."""
    return list(exc.problems) if isinstance(exc, CountsProblems) else [exc]


def fit(args: argparse.Namespace, template: Journey, base: Scenario) -> CountsCalibration:
    """Read the counts (and known rates) and calibrate; raises `ConfigError` on bad input."""
    path = Path(args.counts)
    if not path.is_file():
        raise ConfigError("--counts", f"'{path}' is not a file", "give a CSV or Parquet counts table")
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError("--counts", f"cannot read '{path}': {exc}", "give a CSV or Parquet file") from None
    fixed = read_fixed(Path(args.rates)) if args.rates else None
    return calibrate_counts(
        frame, template, base, fixed=fixed, draws=args.draws, replications=args.replications, seed=args.seed
    )


def _doc(journey: Journey, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "stages": list(journey.stages),
        "entry": journey.entry,
        "conversion": list(journey.conversion),
        "terminal": list(journey.terminal),
        "positions": dict(journey.positions),
        "rates": {s: dict(journey.rates[s]) for s in journey.stages if s in journey.rates},
    }


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def write(out: Path, cal: CountsCalibration, name: str, source: str) -> list[Path]:
    """Every output file, each written atomically after all were computed."""
    header = f"# Fitted by `journeysim calibrate --counts {source}`; see estimates.csv and fit.html\n"
    page = fit_page(cal.estimates, cal.checks, cal.table, source)
    journey = header + yaml.safe_dump(_doc(cal.journey, name), sort_keys=False)
    population = header + yaml.safe_dump({"name": name, **cal.population()}, sort_keys=False)
    written = [
        atomic_write(out / "estimates.csv", lambda tmp: cal.estimates.to_csv(tmp, index=False)),
        atomic_write(out / "fit.csv", lambda tmp: cal.table.to_csv(tmp, index=False)),
        atomic_write(out / "checks.csv", lambda tmp: cal.checks.to_csv(tmp, index=False)),
    ]
    single = len(cal.ensembles) == 1
    for segment, ens in cal.ensembles.items():
        path = out / "parameters.csv" if single else out / "segments" / segment / "parameters.csv"
        written.append(atomic_write(path, partial(_csv, ens)))
    written += [
        atomic_write_text(out / "journey" / f"{name}.yaml", journey),
        atomic_write_text(out / "population" / f"{name}.yaml", population),
        atomic_write_text(out / "fit.html", page),
    ]
    return written


def summary(cal: CountsCalibration, out: Path, name: str) -> str:
    """What the console prints."""
    est = cal.estimates
    failed = cal.checks[cal.checks["fails"].astype(bool)]
    lines = [
        est[["segment", "from_stage", "to_stage", "estimate", "se", "ci_low", "ci_high"]].to_string(index=False),
        f"{cal.table['within_pi'].astype(float).mean():.0%} of observed counts inside the simulated 95% band; "
        f"{len(failed)} check(s) fail"
        + (
            ""
            if failed.empty
            else ": " + "; ".join(f"{r.check} {r.subject}: {r.suggestion}" for r in failed.itertuples())
        ),
        f"fit report: {out / 'fit.html'}; ensemble: {out / 'parameters.csv'}",
        f"options: journeysim --config-dir {out} journey={name} population={name}",
    ]
    return "\n".join(lines)


def quoted(args: argparse.Namespace, template: Journey) -> list[Path]:
    """`--quoted`: fit to conversion rates and cycle lengths, write the journey option, estimates.csv, fit.csv
    (quoted vs fitted) and parameters.csv; raises `ConfigError` on bad input."""
    path = Path(args.quoted)
    if not path.is_file():
        raise ConfigError("--quoted", f"'{path}' is not a file", "give a CSV of quotes")
    try:
        quotes = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError("--quoted", f"cannot read '{path}': {exc}", "give a CSV file") from None
    fixed = read_fixed(Path(args.rates)) if args.rates else None
    result = fit_quoted(quotes, template, fixed)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    sample = rng.multivariate_normal(result.theta, result.cov, size=args.draws, method="eigh")
    columns: dict[str, Any] = {"draw": np.arange(args.draws)}
    for k, name in enumerate(result.names):
        src, _, dst = name.partition("->")
        columns[f"journey.rates.{src}.{dst}"] = np.exp(sample[:, k])
    ensemble = pd.DataFrame(columns)
    name = args.name or f"{template.name}_fitted"
    fitted = with_rates(template, result.rates)
    out = Path(args.out or f"calibrations/{datetime.now():%Y-%m-%d_%H-%M-%S-%f}")
    header = f"# Fitted by `journeysim calibrate --quoted {path}`; see estimates.csv\n"
    return [
        atomic_write(out / "estimates.csv", partial(_csv, result.estimates)),
        atomic_write(out / "fit.csv", partial(_csv, result.table)),
        atomic_write(out / "parameters.csv", partial(_csv, ensemble)),
        atomic_write_text(
            out / "journey" / f"{name}.yaml", header + yaml.safe_dump(_doc(fitted, name), sort_keys=False)
        ),
    ]


def _series(path_text: str, setting: str, column: str) -> pd.DataFrame:
    path = Path(path_text)
    if not path.is_file():
        raise ConfigError(setting, f"'{path}' is not a file", f"give a CSV with columns period_start, {column}")
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(setting, f"cannot read '{path}': {exc}", "give a CSV file") from None
    missing = [c for c in ("period_start", column) if c not in frame.columns]
    if missing:
        raise ConfigError(setting, f"missing column(s) {missing}", f"give columns period_start, {column}")
    starts = pd.to_numeric(frame["period_start"], errors="coerce").to_numpy(float)
    if np.isnan(starts).any() or (np.diff(starts) <= 0).any():
        raise ConfigError(f"{setting}.period_start", "periods are not numbers in increasing order", "sort by period")
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any():
        raise ConfigError(f"{setting}.{column}", "has values that are not numbers", f"give {column} as numbers")
    return frame.assign(**{column: values})


def media(args: argparse.Namespace) -> list[Path]:
    """`--spend S --outcomes O`: the Hill + adstock response fit (`journeysim.study.fit.media`); writes media.csv
    (estimates) and media_fit.csv (per period: spend, outcome, fitted); raises `ConfigError` on bad input."""
    spend = _series(args.spend, "--spend", "spend")
    outcome = _series(args.outcomes or "", "--outcomes", "outcome")
    result = fit_media(spend["spend"].to_numpy(float), outcome["outcome"].to_numpy(float))
    if not np.array_equal(spend["period_start"].to_numpy(float), outcome["period_start"].to_numpy(float)):
        raise ConfigError("--spend", "spend and outcome periods differ", "give both series for the same periods")
    out = Path(args.out or f"calibrations/{datetime.now():%Y-%m-%d_%H-%M-%S-%f}")
    series = spend.assign(outcome=outcome["outcome"], fitted=result.fitted)
    return [
        atomic_write(out / "media.csv", partial(_csv, result.estimates)),
        atomic_write(out / "media_fit.csv", partial(_csv, series)),
    ]
