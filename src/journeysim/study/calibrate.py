"""Calibration: per-day transition rates estimated from observed journeys (maximum likelihood for a CTMC).

A continuous-time Markov chain observed on each customer's window [entry, end) has likelihood
prod_ij q_ij^N_ij exp(-q_ij T_i), maximised at q_ij = N_ij / T_i: the transitions from stage i to j divided by
the total time customers spent in i. Customers still in a stage when observation ends (right-censored) count
their time in T_i, which is what makes the estimate unbiased for open journeys. Standard error q_ij / sqrt(N_ij)
(the inverse Fisher information). Input is the shape journeysim writes with `sim.event_log=true`
(`events.parquet`, `customers.parquet`), so a fitted journey can be checked against simulated ground truth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.engine.records import OUTSIDE
from journeysim.errors import ConfigError
from journeysim.model.journey import Journey

#: z for a two-sided 95% normal interval.
Z95 = 1.959963984540054
EVENT_COLUMNS = ("customer", "time", "from_stage", "to_stage")
CUSTOMER_COLUMNS = ("customer", "start_stage", "entry_time")


@dataclass(frozen=True)
class RateEstimate:
    """Fitted rates: `table` has one row per observed transition (from, to, transitions, exposure_days, rate, se,
    ci_low, ci_high); `exposure` the days customers spent in each stage."""

    table: pd.DataFrame
    exposure: pd.Series

    def rates(self, min_transitions: int = 1) -> dict[str, dict[str, float]]:
        """Per-day hazards `rates[from][to]` (the journey YAML shape), from edges seen at least `min_transitions`
        times."""
        out: dict[str, dict[str, float]] = {}
        kept = self.table[self.table["transitions"] >= min_transitions]
        for src, dst, rate in zip(kept["from_stage"], kept["to_stage"], kept["rate"], strict=True):
            out.setdefault(str(src), {})[str(dst)] = float(rate)
        return out

    def journey(self, template: Journey, min_transitions: int = 1, name: str | None = None) -> Journey:
        """`template` (stages, entry, conversion, terminal, positions...) with the fitted rates instead of its own."""
        unknown = sorted(set(self.exposure.index) - set(template.stages))
        if unknown:
            raise ConfigError("journey.stages", f"the data has stages the journey lacks: {unknown}", "add them")
        rates = {s: row for s, row in self.rates(min_transitions).items() if s not in template.terminal}
        return Journey(
            stages=template.stages,
            entry=template.entry,
            conversion=template.conversion,
            rates=rates,
            terminal=template.terminal,
            positions=dict(template.positions),
            dwell={},
            promoters=template.promoters,
            detractors=template.detractors,
            name=name or f"{template.name}_fitted",
        )


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(what, f"missing column(s) {missing}", f"give a table with columns {list(columns)}")


def _numeric(frame: pd.DataFrame, column: str, setting: str) -> pd.Series:
    """A column as floats; `ConfigError` naming the first value that is not a number >= 0."""
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    bad = values.isna() | ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ConfigError(setting, f"row {i + 1} has {column} {frame[column].iloc[i]!r}", "give days as numbers >= 0")
    return values


def _checked_times(events: pd.DataFrame, customers: pd.DataFrame, end: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with numeric times, checked: a finite end, some events, none negative or after `end`."""
    if not (isinstance(end, (int, float)) and math.isfinite(end) and end > 0):
        raise ConfigError("end", f"{end!r} is not a number of days > 0", "give the end of observation, e.g. 365")
    if events.empty:
        raise ConfigError("events", "the events table has no rows", "give an event log with at least one transition")
    events = events.assign(time=_numeric(events, "time", "events.time"))
    customers = customers.assign(entry_time=_numeric(customers, "entry_time", "customers.entry_time"))
    late = events["time"] > end
    if late.any():
        raise ConfigError(
            "events.time",
            f"{int(late.sum())} events happen after the end of observation (day {end:g}), the last at day "
            f"{events['time'].max():g}",
            "give --end at least the time of the last event, or drop the later events",
        )
    return events, customers


def fit_rates(events: pd.DataFrame, customers: pd.DataFrame, end: float) -> RateEstimate:
    """Estimate every transition rate from an event log and the customers it covers, observed until day `end`.

    `events`: customer, time, from_stage, to_stage (one row per transition; arrivals from "(arrival)" are
    ignored); `customers`: customer, start_stage, entry_time (every customer, also those who never moved), and
    optionally `end_time` (per-customer end of observation, else `end`). With a `replication` column in both,
    customers are told apart per replication. Raises `ConfigError` naming the problem in the data.
    """
    _require(events, EVENT_COLUMNS, "events")
    _require(customers, CUSTOMER_COLUMNS, "customers")
    events, customers = _checked_times(events, customers, end)
    keys = (
        ["replication", "customer"] if {"replication"} <= set(events.columns) & set(customers.columns) else ["customer"]
    )
    moves = events[events["from_stage"].astype(str) != OUTSIDE]
    first = pd.DataFrame(
        {
            **{k: customers[k].to_numpy() for k in keys},
            "time": customers["entry_time"].to_numpy(dtype=float),
            "stage": customers["start_stage"].astype(str).to_numpy(),
            "came_from": "",
            "order": 0,
        }
    )
    later = pd.DataFrame(
        {
            **{k: moves[k].to_numpy() for k in keys},
            "time": moves["time"].to_numpy(dtype=float),
            "stage": moves["to_stage"].astype(str).to_numpy(),
            "came_from": moves["from_stage"].astype(str).to_numpy(),
            "order": 1,
        }
    )
    visits = pd.concat([first, later], ignore_index=True).sort_values([*keys, "time", "order"], kind="stable")
    grouped = visits.groupby(keys, sort=False)
    previous = grouped["stage"].shift(1)
    moved = visits["order"] == 1
    if previous[moved].isna().any():
        row = visits[moved & previous.isna()].iloc[0]
        known = (customers[keys] == row[keys].to_numpy()).all(axis=1)
        if known.any():
            entry = float(customers.loc[known, "entry_time"].iloc[0])
            raise ConfigError(
                "events.time",
                f"customer {row['customer']} moves at day {row['time']:g}, before entering at day {entry:g}",
                "give events at or after each customer's entry_time",
            )
        raise ConfigError("customers", "some events belong to customers the table lacks", "list every customer")
    broken = moved & (previous != visits["came_from"])
    if broken.any():
        row = visits[broken].iloc[0]
        raise ConfigError(
            "events",
            f"customer {row['customer']} moves from '{row['came_from']}' at day {row['time']:g} but was in "
            f"'{previous[broken].iloc[0]}': the log is not a complete path",
            "give every transition of every customer, in time order",
        )
    stop = pd.Series(float(end), index=visits.index)
    if "end_time" in customers.columns:
        ends = customers.set_index(keys)["end_time"].astype(float)
        stop = pd.Series(ends.reindex(pd.MultiIndex.from_frame(visits[keys])).to_numpy(), index=visits.index)
    nxt = grouped["time"].shift(-1).fillna(stop)
    days = (nxt - visits["time"]).clip(lower=0.0)
    exposure = days.groupby(visits["stage"]).sum()
    counts = (
        later.groupby(["came_from", "stage"]).size().rename("transitions").reset_index()
        if len(later)
        else pd.DataFrame({"came_from": [], "stage": [], "transitions": []})
    )
    counts = counts.rename(columns={"came_from": "from_stage", "stage": "to_stage"})
    t = counts["from_stage"].map(exposure).to_numpy(dtype=float)
    n = counts["transitions"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(t > 0, n / t, np.nan)
        se = rate / np.sqrt(n)
    table = counts.assign(
        exposure_days=t, rate=rate, se=se, ci_low=np.maximum(rate - Z95 * se, 0.0), ci_high=rate + Z95 * se
    )
    table["transitions"] = table["transitions"].astype(np.int64)
    return RateEstimate(table.sort_values(["from_stage", "to_stage"]).reset_index(drop=True), exposure)


def rate_errors(estimate: RateEstimate, truth: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """The fitted table joined with true rates `truth[from][to]` and z = (rate - true) / se, for checking a fit
    against the ground truth of a simulation."""
    true = [
        float(truth.get(str(a), {}).get(str(b), 0.0))
        for a, b in zip(estimate.table["from_stage"], estimate.table["to_stage"], strict=True)
    ]
    out = estimate.table.assign(true_rate=true)
    out["z"] = (out["rate"] - out["true_rate"]) / out["se"]
    return out
