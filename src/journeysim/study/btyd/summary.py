"""A transaction table (customer, day or date, value) as the per-customer summary BTYD models read: (x, t_x, T).

Conventions (those of Fader, Hardie & Lee 2005 and the `lifetimes` package): a customer's first purchase starts
its clock and is not counted; x is the number of repeat purchases, t_x the time of the last one (0 when x = 0)
and T the time from the first purchase to the end of observation. Purchases at the same time merge into one
(with dates, the same calendar day; with a numeric `day` column, the same exact time, so simulated continuous
times stay exact). `monetary_value` is the mean value of the repeat purchases (0 when there are none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeysim.errors import ConfigError

__all__ = ["UNITS", "RepeatSummary", "summarise_transactions", "transactions_from_run"]

#: Time units a summary can be expressed in, as days per unit.
UNITS = {"days": 1.0, "weeks": 7.0}
SUMMARY_COLUMNS = ("customer", "x", "t_x", "T", "monetary_value")


@dataclass(frozen=True)
class RepeatSummary:
    """Per-customer (x, t_x, T) in `unit`; `table` has the columns customer, x, t_x, T, monetary_value."""

    table: pd.DataFrame
    unit: str = "days"

    @property
    def x(self) -> np.ndarray:
        return self.table["x"].to_numpy(dtype=float)

    @property
    def t_x(self) -> np.ndarray:
        return self.table["t_x"].to_numpy(dtype=float)

    @property
    def T(self) -> np.ndarray:
        return self.table["T"].to_numpy(dtype=float)

    @property
    def n_customers(self) -> int:
        return len(self.table)

    @property
    def repeat_buyers(self) -> int:
        return int((self.table["x"] > 0).sum())

    def grouped(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (x, t_x, T) rows and how many customers share each: the likelihood is evaluated once per row."""
        counts = self.table.groupby(["x", "t_x", "T"], sort=True).size().reset_index(name="n")
        return tuple(counts[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "n"))  # type: ignore[return-value]


def _times(df: pd.DataFrame) -> tuple[np.ndarray, pd.Timestamp | None]:
    """Purchase times in days: the numeric `day` column, or `date` as days since the earliest date (whole days)."""
    if "day" in df.columns:
        day = pd.to_numeric(df["day"], errors="coerce")
        bad = day.isna() | ~np.isfinite(day.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ConfigError(
                "transactions.day",
                f"{int(bad.sum())} row(s) have no numeric day (first at row {row}: {df['day'].iloc[row]!r})",
                "give every transaction's time as a number of days",
            )
        return day.to_numpy(dtype=float), None
    dates = pd.to_datetime(df["date"], errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise ConfigError(
            "transactions.date",
            f"{int(dates.isna().sum())} row(s) have no readable date (first at row {row}: {df['date'].iloc[row]!r})",
            "write dates as YYYY-MM-DD",
        )
    origin = dates.min().normalize()
    return ((dates.dt.normalize() - origin).dt.days).to_numpy(dtype=float), origin


def _check_columns(df: pd.DataFrame) -> None:
    if "customer" not in df.columns:
        raise ConfigError(
            "transactions.customer",
            f"the table has no 'customer' column (it has {', '.join(map(str, df.columns)) or 'no columns'})",
            "name the columns customer, day (or date) and value",
        )
    if "day" not in df.columns and "date" not in df.columns:
        raise ConfigError(
            "transactions.day",
            "the table has neither a 'day' nor a 'date' column",
            "give each purchase's time as 'day' (days, a number) or 'date' (YYYY-MM-DD)",
        )
    missing = df["customer"].isna() | (df["customer"].astype(str).str.strip() == "")
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise ConfigError(
            "transactions.customer",
            f"{int(missing.sum())} row(s) name no customer (first at row {row})",
            "give every transaction the id of the customer who made it",
        )


def _values(df: pd.DataFrame) -> np.ndarray:
    if "value" not in df.columns:
        return np.zeros(len(df))
    value = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(value) | (value < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConfigError(
            "transactions.value",
            f"{int(bad.sum())} value(s) are negative or not numbers (first at row {row}: {df['value'].iloc[row]!r})",
            "give each purchase's revenue as a number >= 0 (net refunds out before fitting)",
        )
    return value


def _end_days(end: float | str | None, times: np.ndarray, origin: pd.Timestamp | None) -> float:
    if end is None:
        return float(times.max())
    if origin is not None:
        stamp = pd.to_datetime(str(end), errors="coerce")
        if pd.isna(stamp):
            raise ConfigError("--end", f"{end!r} is not a date", "give the end of observation as YYYY-MM-DD")
        return float((stamp.normalize() - origin).days)
    try:
        return float(end)
    except (TypeError, ValueError):
        raise ConfigError("--end", f"{end!r} is not a number of days", "give the end of observation in days") from None


def summarise_transactions(
    transactions: pd.DataFrame,
    *,
    end: float | str | None = None,
    unit: str = "days",
    customers: Iterable[object] | None = None,
) -> RepeatSummary:
    """Per-customer (x, t_x, T) from a transaction table; bad input is a ConfigError naming the column and the fix.

    `end` is the end of observation (a day, or a date when the table has dates; default: the last purchase);
    `customers`, when given, is the full list of known customers: a transaction of anyone else is refused.
    """
    if unit not in UNITS:
        raise ConfigError("--unit", f"unknown time unit {unit!r}", f"use one of {', '.join(UNITS)}")
    if len(transactions) == 0:
        raise ConfigError("transactions", "the table has no rows", "give at least one purchase per customer")
    _check_columns(transactions)
    times, origin = _times(transactions)
    value = _values(transactions)
    who = transactions["customer"].astype(str).to_numpy()
    if customers is not None:
        known = {str(c) for c in customers}
        unknown = sorted(set(who) - known)
        if unknown:
            raise ConfigError(
                "transactions.customer",
                f"{len(unknown)} customer(s) are not in the customer list (e.g. {unknown[0]!r})",
                "add them to the customer list or drop their transactions",
            )
    end_day = _end_days(end, times, origin)
    late = times > end_day + 1e-9
    if late.any():
        row = int(np.flatnonzero(late)[0])
        raise ConfigError(
            "transactions.day" if origin is None else "transactions.date",
            f"{int(late.sum())} purchase(s) fall after the end of observation (first at row {row})",
            "give an --end at or after the last purchase, or drop the later rows",
        )
    df = pd.DataFrame({"customer": who, "t": times, "value": value})
    occasions = df.groupby(["customer", "t"], sort=True)["value"].sum().reset_index()
    first = occasions.groupby("customer")["t"].transform("min")
    occasions["since"] = occasions["t"] - first
    repeat = occasions[occasions["since"] > 0]
    per = occasions.groupby("customer", sort=True).agg(first=("t", "min"), last=("since", "max"))
    x = repeat.groupby("customer").size().reindex(per.index, fill_value=0)
    money = repeat.groupby("customer")["value"].mean().reindex(per.index, fill_value=0.0)
    scale = UNITS[unit]
    table = pd.DataFrame(
        {
            "customer": per.index.to_numpy(),
            "x": x.to_numpy(dtype=np.int64),
            "t_x": per["last"].to_numpy(dtype=float) / scale,
            "T": (end_day - per["first"].to_numpy(dtype=float)) / scale,
            "monetary_value": money.to_numpy(dtype=float),
        }
    )
    if not (table["x"] > 0).any():
        raise ConfigError(
            "transactions",
            f"none of the {len(table)} customers bought more than once",
            "a repeat-buying model needs repeat purchases: give a longer history (or more customers)",
        )
    return RepeatSummary(table=table, unit=unit)


def transactions_from_run(events: pd.DataFrame, customers: pd.DataFrame, conversion: Iterable[str]) -> pd.DataFrame:
    """A run's event log as a transaction table: every customer's entry is its first purchase (the BTYD presets'
    cohort starts as buyers) and every entry into a conversion stage a repeat; customers are `<replication>-<id>`."""
    conv = {str(c) for c in conversion}
    buys = events[events["to_stage"].astype(str).isin(conv)]

    def who(df: pd.DataFrame) -> pd.Series:
        return df["replication"].astype(str) + "-" + df["customer"].astype(str)

    first = pd.DataFrame({"customer": who(customers), "day": customers["entry_time"].to_numpy(dtype=float)})
    repeat = pd.DataFrame({"customer": who(buys), "day": buys["time"].to_numpy(dtype=float)})
    return pd.concat([first, repeat], ignore_index=True)
