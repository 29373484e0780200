"""The daily time series: per (day, segment) and for all segments together, derived from the recorded flows.

Day d covers [d, d + 1); occupancy is the count at the end of the day. Extra per-day columns (e.g. spend per
channel from interventions) are passed as arrays and merged into the same rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from journeysim.engine.records import Records
from journeysim.errors import ConfigError
from journeysim.model.population import RESERVED_SEGMENT

#: The rows that total over segments.
ALL_SEGMENTS = RESERVED_SEGMENT


def _with_total(a: NDArray[np.generic]) -> NDArray[np.generic]:
    """(D, G, ...) -> (D, G + 1, ...) with the sum over segments appended as the last segment."""
    return np.concatenate([a, a.sum(axis=1, keepdims=True)], axis=1)


def _extra_column(name: str, values: ArrayLike, days: int, n_seg: int) -> NDArray[np.float64]:
    a = np.asarray(values, dtype=float)
    if a.shape == (days, n_seg):
        return np.asarray(_with_total(a), dtype=float).reshape(-1)
    if a.shape == (days,):
        out = np.full((days, n_seg + 1), np.nan)
        out[:, n_seg] = a
        return out.reshape(-1)
    raise ValueError(f"extra column '{name}' has shape {a.shape}; expected ({days}, {n_seg}) or ({days},)")


def timeseries_frame(records: Records, extra: Mapping[str, ArrayLike] | None = None) -> pd.DataFrame:
    """One row per (day, segment) plus a row per day with segment 'all' (the sum over segments).

    Columns: day, segment, occupancy.<stage> (end of day), entries.<stage> (arrivals included), arrivals,
    purchases, revenue, margin, then each `extra` column: a (D, G) array is split by segment and summed into
    'all'; a (D,) array has no segment split and fills only the 'all' rows (NaN elsewhere).
    """
    if ALL_SEGMENTS in records.segments:
        raise ConfigError(
            "population.segments",
            f"segment name '{ALL_SEGMENTS}' is reserved for the total over segments in reports",
            "rename the segment",
        )
    days, n_seg, n_st = records.horizon_days, len(records.segments), records.n_stages
    rows = days * (n_seg + 1)
    labels = [*records.segments, ALL_SEGMENTS]
    data: dict[str, NDArray[np.generic] | list[str]] = {
        "day": np.repeat(np.arange(days, dtype=np.int64), n_seg + 1),
        "segment": labels * days,
    }
    occupancy = _with_total(records.occupancy()).reshape(rows, n_st)
    entries = _with_total(records.entries()).reshape(rows, n_st)
    for s, name in enumerate(records.stages):
        data[f"occupancy.{name}"] = occupancy[:, s].astype(np.int64)
    for s, name in enumerate(records.stages):
        data[f"entries.{name}"] = entries[:, s].astype(np.int64)
    data["arrivals"] = _with_total(records.flows[:, :, n_st, :].sum(axis=2)).reshape(-1).astype(np.int64)
    data["purchases"] = _with_total(records.purchases_per_day()).reshape(-1).astype(np.int64)
    data["revenue"] = _with_total(records.revenue).reshape(-1).astype(float)
    data["margin"] = _with_total(records.margin).reshape(-1).astype(float)
    for name, values in (extra or {}).items():
        if name in data:
            raise ValueError(f"extra column '{name}' clashes with a built-in time-series column")
        data[name] = _extra_column(name, values, days, n_seg)
    return pd.DataFrame(data)


def with_dates(frame: pd.DataFrame, start_date: datetime.date | None) -> pd.DataFrame:
    """`frame` with a `date` column (day 0 = `start_date`, midnight timestamps) after `day`; unchanged without a
    start date, so undated runs write exactly what they did before `sim.start_date` existed."""
    if start_date is None or "day" not in frame:
        return frame
    out = frame.copy()
    dates = pd.Timestamp(start_date) + pd.to_timedelta(out["day"].to_numpy(dtype=np.int64), unit="D")
    out.insert(list(out.columns).index("day") + 1, "date", dates)
    return out
