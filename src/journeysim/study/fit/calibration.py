"""A whole counts calibration: every segment fitted, its checks, the fitted scenario, the parameter ensemble, and
the observed-vs-fitted table with simulated prediction intervals (what `journeysim calibrate --counts` writes).

The ensemble draws each segment's log parameters from the estimator's asymptotic normal N(theta, cov) (fixed rates
stay fixed) and writes them on the natural scale, one column per dotted scenario key (`journey.rates.<from>.<to>`,
`population.segments.<segment>.arrivals_per_day`, see `journeysim.study.grid.apply`), one row per draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario
from journeysim.study.fit.counts import SegmentCounts, read_counts
from journeysim.study.fit.diagnostics import verdicts
from journeysim.study.fit.estimate import LOG_FLOOR, CountsFit, fit_counts
from journeysim.study.fit.model import ARRIVALS
from journeysim.study.fit.simulate import fitted_scenario, prediction_bands


@dataclass(frozen=True)
class CountsCalibration:
    """Everything a counts calibration produces."""

    journey: Journey  # the template with the first segment's fitted rates
    fits: tuple[CountsFit, ...]
    counts: tuple[SegmentCounts, ...]
    scenario: Scenario  # the fitted model from the first observed period (used for the prediction intervals)
    estimates: pd.DataFrame
    checks: pd.DataFrame
    table: pd.DataFrame  # fit.csv
    ensembles: dict[str, pd.DataFrame]  # per segment: parameters as scenario keys, one row per draw

    def population(self) -> dict[str, object]:
        """The fitted population option: each segment's arrivals, its occupancy at the end of the data (so a run
        continues from there), and its rates relative to the fitted journey as transition multipliers."""
        segments: dict[str, object] = {}
        for fit, c in zip(self.fits, self.counts, strict=True):
            base = self.journey.rates
            mult = {
                src: {dst: round(v / base[src][dst], 6) for dst, v in row.items() if abs(v / base[src][dst] - 1) > 1e-9}
                for src, row in fit.rates.items()
            }
            last = {
                s: int(n)
                for s, n in zip(self.journey.stages, np.nan_to_num(c.occupancy_end[-1]), strict=True)
                if n > 0 and s not in self.journey.terminal
            }
            seg: dict[str, object] = {"initial": last, "arrivals_per_day": round(fit.arrivals_per_day, 6)}
            if any(mult.values()):
                seg["transition_multipliers"] = {k: v for k, v in mult.items() if v}
            segments[fit.segment] = seg
        return {"segments": segments}


def ensemble(fit: CountsFit, draws: int, seed: np.random.SeedSequence, position: int = 0) -> pd.DataFrame:
    """`draws` parameter sets from N(theta, cov) on the log scale, as scenario keys on the natural scale; the
    segment is addressed by its `position` in the population (`population.segments.<position>.arrivals_per_day`)."""
    rng = np.random.default_rng(seed)
    free = fit.free
    sample = np.tile(fit.theta, (draws, 1))
    cov = fit.cov[np.ix_(free, free)]
    sample[:, free] = rng.multivariate_normal(fit.theta[free], cov, size=draws, method="eigh")
    values = np.exp(np.minimum(sample, 50.0))
    # a rate at zero, or too loose for a log-normal (se_log > 2), is drawn as |N(estimate, delta-method se)|
    se_log = np.sqrt(np.clip(np.diag(fit.cov), 0.0, 1e200))
    loose = free & ((fit.theta <= LOG_FLOOR + 1e-9) | (se_log > 2.0))
    est = np.exp(fit.theta)
    se = np.minimum(est * se_log, 1.0)
    values[:, loose] = np.abs(est[loose] + rng.normal(0.0, 1.0, size=(draws, int(loose.sum()))) * se[loose])
    columns = {"draw": np.arange(draws)}
    for k, name in enumerate(fit.params.names()):
        if name == ARRIVALS:
            columns[f"population.segments.{position}.arrivals_per_day"] = values[:, k]
        else:
            src, _, dst = name.partition("->")
            columns[f"journey.rates.{src}.{dst}"] = values[:, k]
    return pd.DataFrame(columns)


def _fit_table(
    fits: tuple[CountsFit, ...],
    counts: tuple[SegmentCounts, ...],
    journey: Journey,
    bands: pd.DataFrame,
    held: pd.DataFrame,
) -> pd.DataFrame:
    s = journey.n_stages
    rows = []
    for fit, c in zip(fits, counts, strict=True):
        for p in range(c.n_periods):
            for o in range(2 * s):
                measure, stage = ("occupancy_end", journey.stages[o]) if o < s else ("entries", journey.stages[o - s])
                rows.append(
                    {
                        "segment": c.segment,
                        "period": p,
                        "period_start": c.starts[p],
                        "period_end": c.ends[p],
                        "stage": stage,
                        "measure": measure,
                        "observation": o,
                        "observed": fit.observed[p, o],
                        "fitted": fit.mu[p, o],
                    }
                )
    table = pd.DataFrame(rows)
    table = table.merge(bands, on=["segment", "period", "stage", "measure"], how="left")
    table = table.merge(held, on=["segment", "period", "observation"], how="left").drop(columns="observation")
    table["within_pi"] = (table["observed"] >= table["pi_low"]) & (table["observed"] <= table["pi_high"])
    return table.dropna(subset=["observed"]).reset_index(drop=True)


def calibrate_counts(
    frame: pd.DataFrame,
    template: Journey,
    base: Scenario,
    *,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    draws: int = 200,
    replications: int = 20,
    seed: int = 0,
) -> CountsCalibration:
    """Fit every segment of `frame` (see `read_counts`) to `template`'s structure; `base` gives the settings
    (engine) the prediction intervals are simulated with."""
    counts = tuple(read_counts(frame, template))
    fits = tuple(fit_counts(c, template, fixed) for c in counts)
    journey = with_rates(template, fits[0].rates)
    offset = min(float(c.starts[0]) for c in counts)
    horizon = int(np.ceil(max(float(c.ends[-1]) for c in counts) - offset))
    initial = {
        c.segment: {
            s: int(n) for s, n in zip(template.stages, np.nan_to_num(c.occupancy_start[0]), strict=True) if n > 0
        }
        for c in counts
    }
    children = np.random.SeedSequence(seed).spawn(len(fits) + 1)[1:]
    ensembles = {
        f.segment: ensemble(f, max(draws, replications), ch, g)
        for g, (f, ch) in enumerate(zip(fits, children, strict=True))
    }
    scenario = fitted_scenario(
        base, journey, {f.segment: (f.rates, f.arrivals_per_day, initial[f.segment]) for f in fits}, horizon
    )
    drawn = [
        fitted_scenario(
            base,
            journey,
            {f.segment: _drawn(ensembles[f.segment].iloc[r], f, g, initial) for g, f in enumerate(fits)},
            horizon,
        )
        for r in range(replications)
    ]
    bands = prediction_bands(drawn, counts, seed)
    checks, held = [], []
    for fit, c in zip(fits, counts, strict=True):
        table, frame_h = verdicts(fit, c, template)
        checks.append(table)
        held.append(frame_h)
    return CountsCalibration(
        journey=journey,
        fits=fits,
        counts=counts,
        scenario=scenario,
        estimates=pd.concat([f.table() for f in fits], ignore_index=True),
        checks=pd.concat(checks, ignore_index=True),
        table=_fit_table(fits, counts, template, bands, pd.concat(held, ignore_index=True)),
        ensembles={k: v.iloc[:draws] for k, v in ensembles.items()},
    )


def with_rates(template: Journey, rates: Mapping[str, Mapping[str, float]]) -> Journey:
    """`template` with these rates (no dwell: the fit is Markov), named `<template>_fitted`."""
    return Journey(
        stages=template.stages,
        entry=template.entry,
        conversion=template.conversion,
        rates={s: dict(r) for s, r in rates.items()},
        terminal=template.terminal,
        positions=dict(template.positions),
        dwell={},
        promoters=template.promoters,
        detractors=template.detractors,
        name=f"{template.name}_fitted",
    )


def _drawn(
    row: pd.Series, fit: CountsFit, position: int, initial: Mapping[str, Mapping[str, int]]
) -> tuple[dict[str, dict[str, float]], float, Mapping[str, int]]:
    """One ensemble row as (rates, arrivals, initial occupancy) of a segment."""
    rates: dict[str, dict[str, float]] = {}
    for src, row_rates in fit.rates.items():
        rates[src] = {dst: float(row[f"journey.rates.{src}.{dst}"]) for dst in row_rates}
    return rates, float(row[f"population.segments.{position}.arrivals_per_day"]), initial[fit.segment]
