"""Media-mix tables from the per-replication daily table (`study.ground_truth.counterfactual_days`): the run in the
shapes PyMC-Marketing and Google Meridian load, and the ground truth beside it, by day or by week.

Column names and meanings: docs/exports.md. Every table has one row per period and replication (and geo, for
Meridian and the truth); weeks are whole weeks from the first day, a trailing partial week is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from journeysim.study.ground_truth import BASELINE, RUN, WITHOUT

PERIODS = {"day": 1, "week": 7}
#: The KPI: entries into conversion stages (purchases; repeat purchases count), and its value.
KPI, REVENUE = "conversions", "revenue"
#: Truth rows besides the channels: the run against no media at all, and what per-channel removals leave out.
ALL_MEDIA, INTERACTION = "all_media", "interaction"
#: Stock columns (a level at the start of the period: the period's first day); every other column is a flow.
STOCKS = ("customers",)


def channels_of(daily: pd.DataFrame) -> list[str]:
    """The channels of a daily table, from its `spend.<channel>` columns, in order."""
    return [c.removeprefix("spend.") for c in daily.columns if c.startswith("spend.")]


def periods(daily: pd.DataFrame, period: str, start: dt.date) -> pd.DataFrame:
    """The daily table summed by period (flows) or taken at the period's first day (stocks), with `period`
    (0, 1, ...) and `date` (the period's first calendar day, ISO text); whole periods only."""
    step = PERIODS[period]
    days = int(daily["day"].max()) + 1
    whole = days // step * step
    frame = daily[daily["day"] < whole].copy()
    frame["period"] = frame["day"] // step
    keys = ["variant", "replication", "period", "segment"]
    grouped = frame.groupby(keys, sort=False)
    flows = [c for c in frame.columns if c not in (*keys, "day", *STOCKS)]
    out = grouped[flows].sum()
    out = out.join(grouped[list(STOCKS)].first()).reset_index()
    out.insert(3, "date", [(start + dt.timedelta(days=int(p) * step)).isoformat() for p in out["period"]])
    return out


def _variant(table: pd.DataFrame, variant: str) -> pd.DataFrame:
    return table[table["variant"] == variant].drop(columns="variant").reset_index(drop=True)


def pymc_table(table: pd.DataFrame, channels: Sequence[str]) -> pd.DataFrame:
    """The run, all segments together: date, replication, <c>_spend and <c>_impressions per channel, the control
    `expected_arrivals`, then conversions and revenue (the target: either)."""
    run = _variant(table, RUN)
    cols = [f"spend.{c}" for c in channels] + [f"impressions.{c}" for c in channels]
    national = run.groupby(["replication", "period", "date"], sort=True)[
        [*cols, "expected_arrivals", "purchases", "revenue"]
    ].sum()
    national = national.reset_index().drop(columns="period")
    out = pd.DataFrame({"date": national["date"], "replication": national["replication"].astype(np.int64)})
    for c in channels:
        out[f"{c}_spend"] = national[f"spend.{c}"]
    for c in channels:
        out[f"{c}_impressions"] = national[f"impressions.{c}"]
    out["expected_arrivals"] = national["expected_arrivals"]
    out[KPI] = national["purchases"].astype(np.int64)
    out[REVENUE] = national["revenue"]
    return out.sort_values(["replication", "date"], kind="stable").reset_index(drop=True)


def meridian_table(table: pd.DataFrame, channels: Sequence[str]) -> pd.DataFrame:
    """The run per geo (segment): geo, time, replication, population, <c>_impressions (media) and <c>_spend
    (media_spend) per channel, the control `expected_arrivals`, conversions (kpi), revenue_per_conversion."""
    run = _variant(table, RUN).sort_values(["replication", "segment", "date"], kind="stable")
    out = pd.DataFrame(
        {
            "geo": run["segment"].astype(str),
            "time": run["date"],
            "replication": run["replication"].astype(np.int64),
            "population": run["customers"].astype(np.int64),
        }
    )
    for c in channels:
        out[f"{c}_impressions"] = run[f"impressions.{c}"]
    for c in channels:
        out[f"{c}_spend"] = run[f"spend.{c}"]
    out["expected_arrivals"] = run["expected_arrivals"]
    out[KPI] = run["purchases"].astype(np.int64)
    out["revenue_per_conversion"] = _revenue_per_kpi(run)
    return out.reset_index(drop=True)


def _revenue_per_kpi(run: pd.DataFrame) -> pd.Series:
    """Revenue per conversion in the period; where a period has none, the replication's and geo's overall value
    (Meridian needs a number in every row; it multiplies a zero KPI)."""
    overall = run.groupby(["replication", "segment"])[["revenue", "purchases"]].transform("sum")
    fallback = overall["revenue"] / overall["purchases"].where(overall["purchases"] > 0)
    own = run["revenue"] / run["purchases"].where(run["purchases"] > 0)
    return own.fillna(fallback).fillna(0.0).astype(float)


def truth_table(table: pd.DataFrame, channels: Sequence[str]) -> pd.DataFrame:
    """Per replication, period, geo and channel: the channel's spend and impressions in the run, and its
    incremental conversions and revenue (the run minus the run without that channel, same customers); rows
    `all_media` (the run minus no media at all) and `interaction` (all_media minus the sum over channels)."""
    keys = ["replication", "period", "date", "segment"]
    run = _variant(table, RUN).set_index(keys).sort_index()
    base = _variant(table, BASELINE).set_index(keys).sort_index()
    parts = []
    total_c = pd.Series(0, index=run.index, dtype=np.int64)
    total_r = pd.Series(0.0, index=run.index)
    for c in channels:
        without = _variant(table, WITHOUT + c).set_index(keys).sort_index()
        conv = run["purchases"] - without["purchases"]
        rev = run["revenue"] - without["revenue"]
        total_c, total_r = total_c + conv, total_r + rev
        parts.append(_truth_rows(c, run[f"spend.{c}"], run[f"impressions.{c}"], conv, rev))
    spend = run[[f"spend.{c}" for c in channels]].sum(axis=1)
    impressions = run[[f"impressions.{c}" for c in channels]].sum(axis=1)
    conv_all, rev_all = run["purchases"] - base["purchases"], run["revenue"] - base["revenue"]
    parts.append(_truth_rows(ALL_MEDIA, spend, impressions, conv_all, rev_all))
    zero = pd.Series(0.0, index=run.index)
    parts.append(_truth_rows(INTERACTION, zero, zero, conv_all - total_c, rev_all - total_r))
    out = pd.concat(parts).reset_index().rename(columns={"segment": "geo"})
    out["geo"] = out["geo"].astype(str)
    order = {name: i for i, name in enumerate([*channels, ALL_MEDIA, INTERACTION])}
    out["_order"] = out["channel"].map(order)
    out = out.sort_values(["replication", "period", "geo", "_order"], kind="stable")
    return out.drop(columns=["period", "_order"]).reset_index(drop=True)


def _truth_rows(
    name: str, spend: pd.Series, impressions: pd.Series, conversions: pd.Series, revenue: pd.Series
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": name,
            "spend": spend.astype(float),
            "impressions": impressions.astype(float),
            f"incremental_{KPI}": conversions.astype(np.int64),
            f"incremental_{REVENUE}": revenue.astype(float),
        }
    )
