"""`journeysim export`: a run's media-mix tables and their ground truth, written into one directory.

Files (docs/exports.md): `daily.parquet` (every variant's per-replication daily table), `mmm_pymc.csv`,
`mmm_meridian.csv`, `truth.csv` (incremental conversions and revenue per channel, period, geo and replication)
and `truth.json` (the media parameters that generated the data, and the truth summed over the horizon).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from journeysim import __version__
from journeysim.io.atomic import atomic_write, atomic_write_json
from journeysim.io.mmm_tables import (
    ALL_MEDIA,
    INTERACTION,
    KPI,
    PERIODS,
    REVENUE,
    channels_of,
    meridian_table,
    periods,
    pymc_table,
    truth_table,
)
from journeysim.model.scenario import Scenario

DAILY_FILE = "daily.parquet"
PYMC_FILE = "mmm_pymc.csv"
MERIDIAN_FILE = "mmm_meridian.csv"
TRUTH_FILE = "truth.csv"
TRUTH_JSON = "truth.json"
FORMATS = ("pymc", "meridian", "both")
#: Media units each cost model buys (`interventions.media.COST_MODELS`).
MEDIA_UNITS = {"cpm": "impressions", "cpc": "clicks", "per_send": "sends", "fixed_fee": "exposures"}


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _totals(rows: pd.DataFrame) -> dict[str, Any]:
    """One truth row group summed over periods and geos, then averaged over replications."""
    per_rep = rows.groupby("replication")[["spend", f"incremental_{KPI}", f"incremental_{REVENUE}"]].sum()
    mean = per_rep.mean()
    spend, conv, rev = float(mean["spend"]), float(mean[f"incremental_{KPI}"]), float(mean[f"incremental_{REVENUE}"])
    return {
        "spend": spend,
        f"incremental_{KPI}": conv,
        f"incremental_{REVENUE}": rev,
        "roas": _number(rev / spend) if spend > 0 else None,
        "cost_per_incremental_conversion": _number(spend / conv) if conv > 0 else None,
        "replications": int(per_rep.shape[0]),
    }


def channel_parameters(scenario: Scenario, channel: str) -> dict[str, Any]:
    """What generated a channel's effect: cost model, response curve, adstock, caps, audience, lifts and plan."""
    ch = scenario.channels[channel]
    plan = next(p for p in scenario.strategy.plans if p.channel == channel)
    return {
        "cost_model": ch.cost_model,
        "unit_cost": ch.unit_cost,
        "media_unit": MEDIA_UNITS.get(ch.cost_model, "units"),
        "budget": plan.budget,
        "pacing": plan.pacing,
        "flights": [[f.start, f.end] for f in plan.flights],
        "response": {
            "kind": ch.response.kind,
            "half_saturation": ch.response.half_saturation,
            "slope": ch.response.slope,
            "input": "adstocked exposures per audience member",
        },
        "adstock": {
            "kind": "geometric",
            "decay": ch.adstock,
            "normalised": False,
            "formula": "a_t = x_t + decay * a_{t-1}",
        },
        "frequency_cap": ch.frequency_cap,
        "market_audience": ch.market_audience,
        "audience": {"positions": list(ch.positions), "stages": list(ch.stages), "segments": ch.segments},
        "effects": [
            {"on": e.on, "lift": e.lift, **({"from": e.source, "to": e.target} if e.source is not None else {})}
            for e in ch.effects
        ],
        "formula": "hazard x (1 + lift x response(adstock(exposures per person)))",
    }


def truth_document(
    scenario: Scenario, truth: pd.DataFrame, period: str, start: dt.date, start_from: str, dropped_days: int
) -> dict[str, Any]:
    """The content of truth.json: the run, the calendar, each channel's parameters and summed truth, the all-media
    effect and the interaction term (all media minus the sum of per-channel removals)."""
    s = scenario.settings
    all_media = _totals(truth[truth["channel"] == ALL_MEDIA])
    interaction = _totals(truth[truth["channel"] == INTERACTION])
    share = all_media[f"incremental_{KPI}"]
    return {
        "scenario": scenario.name,
        "journey": scenario.journey.name,
        "segments": list(scenario.population.names),
        "seed": int(s.seed),
        "replications": int(s.replications),
        "horizon_days": int(s.horizon_days),
        "period": period,
        "start_date": start.isoformat(),
        "start_date_from": start_from,
        "dropped_days": dropped_days,
        "kpi": f"{KPI}: entries into the journey's conversion stages {list(scenario.journey.conversion)}",
        "channels": {
            c: {**channel_parameters(scenario, c), "truth": _totals(truth[truth["channel"] == c])}
            for c in truth["channel"].unique()
            if c not in (ALL_MEDIA, INTERACTION)
        },
        ALL_MEDIA: all_media,
        INTERACTION: {
            **{k: v for k, v in interaction.items() if k.startswith("incremental_") or k == "replications"},
            "share_of_all_media": _number(interaction[f"incremental_{KPI}"] / share) if share else None,
        },
        "journeysim_version": __version__,
    }


def write_export(
    out_dir: str | Path,
    scenario: Scenario,
    daily: pd.DataFrame,
    *,
    period: str = "week",
    formats: Sequence[str] = ("pymc", "meridian"),
    start: dt.date,
    start_from: str,
) -> list[Path]:
    """Write the export files into `out_dir`, each atomically; returns the paths written."""
    out = Path(out_dir)
    channels = channels_of(daily)
    table = periods(daily, period, start)
    truth = truth_table(table, channels)
    paths = [atomic_write(out / DAILY_FILE, lambda tmp: daily.to_parquet(tmp, index=False))]
    if "pymc" in formats:
        pymc = pymc_table(table, channels)
        paths.append(atomic_write(out / PYMC_FILE, lambda tmp: pymc.to_csv(tmp, index=False)))
    if "meridian" in formats:
        meridian = meridian_table(table, channels)
        paths.append(atomic_write(out / MERIDIAN_FILE, lambda tmp: meridian.to_csv(tmp, index=False)))
    paths.append(atomic_write(out / TRUTH_FILE, lambda tmp: truth.to_csv(tmp, index=False)))
    dropped = int(daily["day"].max()) + 1 - int(table["period"].max() + 1) * PERIODS[period]
    doc = truth_document(scenario, truth, period, start, start_from, dropped)
    paths.append(atomic_write_json(out / TRUTH_JSON, doc))
    return paths
