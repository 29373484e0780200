"""Customer paths from the touch log: each customer's touches cut at each purchase, in the shape attribution tools
read (`c1 > c2 > c3`, total_conversions, total_null, total_conversion_value; docs/attribution.md).

A customer's path segment k holds the touches after its (k-1)-th purchase up to and including the moment of its
k-th purchase (a caused touch at the purchase's own time is before it); segment k converts when the customer made
a k-th purchase in the horizon, and the touches after the last purchase form a null segment. Every purchase of a
sampled customer is one converting segment, touched or not, so the segments replay to the recorded purchases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from journeysim.engine.records import Records
from journeysim.engine.touches import TouchLog, logged_moves

SEPARATOR = " > "
PATH_COLUMNS = ("path", "total_conversions", "total_null", "total_conversion_value")
SEGMENT_COLUMNS = ("customer", "path_segment", "path", "touches", "converted", "conversion_time", "conversion_value")


def _purchases(rec: Records, sampled: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(customer, time) of every purchase of a sampled customer, by customer then time (as the moves come)."""
    mv = logged_moves(rec, sampled)
    conv = np.isin(mv.dst, list(rec.conversion))
    return mv.customer[conv], mv.time[conv]


def _key(customer: NDArray[np.int64], time: NDArray[np.float64], horizon: int) -> NDArray[np.float64]:
    return customer.astype(float) * (horizon + 1.0) + time


def _purchases_before(
    p_cust: NDArray[np.int64], p_key: NDArray[np.float64], t_cust: NDArray[np.int64], t_key: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per touch: (index of its customer's first purchase, its customer's purchases, those with a key below the
    touch's). Both key arrays ascend (customer x (horizon + 1) + time, by customer then time) and a customer's keys
    lie below the next customer's, so `np.searchsorted(p_key, t_key)` = first + before (ascending needles: each
    search starts where the last ended)."""
    n = int(max(p_cust.max(initial=-1), t_cust.max(initial=-1))) + 1
    if 4 * t_cust.size < n:  # a sampled log: a search of the (ascending) touch customers, no per-customer table
        first = np.searchsorted(p_cust, t_cust, side="left").astype(np.int64, copy=False)
        count = np.searchsorted(p_cust, t_cust, side="right").astype(np.int64, copy=False) - first
    else:
        counts = np.bincount(p_cust, minlength=n)
        first, count = (np.cumsum(counts) - counts)[t_cust], counts[t_cust]
    before = np.searchsorted(p_key, t_key).astype(np.int64, copy=False)
    before -= first
    return first, count, before


def segments(rec: Records, log: TouchLog, values: NDArray[np.float64]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(touches with their path columns, one row per path segment) for one replication; `values`: the expected
    order value per customer segment (the conversion value of a path)."""
    p_cust, p_time = _purchases(rec, log.sampled)
    touches = log.touches.copy(deep=False)  # copy on write: the log keeps its columns
    t_cust = touches["customer"].to_numpy(dtype=np.int64)
    h = rec.horizon_days
    # purchases of the same customer strictly before the touch: the touch's segment number
    first, n_purchases, seg_no = _purchases_before(
        p_cust, _key(p_cust, p_time, h), t_cust, _key(t_cust, touches["time"].to_numpy(), h)
    )
    converted = seg_no < n_purchases
    conv_at = np.full(t_cust.size, np.nan)
    if p_time.size:
        conv_at = np.where(converted, p_time[np.minimum(first + seg_no, p_time.size - 1)], np.nan)
    touches["path_segment"] = seg_no.astype(np.int64)
    touches["converted"] = converted
    touches["conversion_time"] = conv_at
    codes = touches["channel"].cat.codes.to_numpy()
    names = [str(c) for c in touches["channel"].cat.categories]
    table = _segment_table(t_cust, seg_no, converted, conv_at, _Steps(codes, names), p_cust, p_time)
    value = values[rec.customers.segment[table["customer"]].astype(np.int64)]
    table["conversion_value"] = np.where(table["converted"], value, 0.0)
    table["path"] = pd.array(table["path"], dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    return touches, pd.DataFrame(table)[list(SEGMENT_COLUMNS)]


@dataclass(frozen=True)
class _Steps:
    """The touches' channels: category codes (one per touch, in the log's order) and the channel names."""

    codes: NDArray[np.integer]
    names: list[str]


def _segment_table(
    cust: NDArray[np.int64],
    seg_no: NDArray[np.int64],
    converted: NDArray[np.bool_],
    conv_at: NDArray[np.float64],
    steps: _Steps,
    p_cust: NDArray[np.int64],
    p_time: NDArray[np.float64],
) -> dict[str, Any]:
    """The segment columns, by customer then segment: one row per touched segment (touches come by customer then
    time, so each segment is a contiguous run, its path one string join) and one per untouched purchase."""
    new = np.ones(cust.size, bool)
    new[1:] = (cust[1:] != cust[:-1]) | (seg_no[1:] != seg_no[:-1])
    starts = np.flatnonzero(new)
    # converting segments: one per purchase (numbered within the customer), touched or not
    p_no = _number_within(p_cust)
    width = int(max(seg_no.max(initial=0), p_no.max(initial=0))) + 1
    t_key = cust[starts] * width + seg_no[starts]  # ascending: by customer, then segment
    p_key = p_cust * width + p_no  # ascending too
    below = np.searchsorted(t_key, p_key)  # touched segments below each purchase's key
    at = np.minimum(below, max(t_key.size - 1, 0))
    (alone,) = np.nonzero(t_key[at] != p_key if t_key.size else np.ones(p_key.size, bool))
    # the merged order of the (unique) keys: each untouched purchase's row after the touched segments below it
    rows = starts.size + alone.size
    is_alone = np.zeros(rows, bool)
    is_alone[below[alone] + np.arange(alone.size)] = True
    touched = ~is_alone
    touches = np.zeros(rows, np.int64)
    touches[touched] = np.diff(np.append(starts, cust.size))
    offsets = np.zeros(rows + 1, np.int32)  # a path's touches are a contiguous run; an untouched one is empty
    np.cumsum(touches, out=offsets[1:])
    step = pa.array(steps.names, pa.string()).take(pa.array(steps.codes.astype(np.int32)))
    path = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), step), SEPARATOR)
    return {
        "customer": _merged(touched, cust[starts], p_cust[alone]),
        "path_segment": _merged(touched, seg_no[starts], p_no[alone]).astype(np.int64),
        "path": path,
        "touches": touches,
        "converted": _merged(touched, converted[starts], np.ones(alone.size, bool)),
        "conversion_time": _merged(touched, conv_at[starts], p_time[alone]),
    }


def _number_within(key: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each row's number among the rows of its key (0, 1, ...): `key` ascends (no per-key table)."""
    rows = np.arange(key.size, dtype=np.int64)
    new = np.ones(key.size, bool)
    new[1:] = key[1:] != key[:-1]
    first = np.where(new, rows, 0)
    np.maximum.accumulate(first, out=first)
    rows -= first
    return rows


def _merged(touched: NDArray[np.bool_], at_touched: NDArray[Any], at_alone: NDArray[Any]) -> NDArray[Any]:
    """One column in the merged row order: `at_touched` on the touched segments' rows, `at_alone` on the others."""
    out = np.empty(touched.size, np.result_type(at_touched, at_alone))
    out[touched] = at_touched
    out[~touched] = at_alone
    return out


def replication_paths(
    rec: Records, log: TouchLog, values: NDArray[np.float64], replication: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`segments` with a leading `replication` column on both tables."""
    touches, table = segments(rec, log, values)
    touches.insert(0, "replication", np.full(len(touches), replication, dtype=np.int64))
    table.insert(0, "replication", np.full(len(table), replication, dtype=np.int64))
    return touches, table


def path_table(segment_rows: pd.DataFrame) -> pd.DataFrame:
    """The attribution tools' path table: touched segments grouped by path (and replication when present)."""
    touched = segment_rows[segment_rows["touches"] > 0]
    keys = ["replication", "path"] if "replication" in touched.columns else ["path"]
    out = (
        touched.assign(total_conversions=touched["converted"].astype(np.int64), total_null=~touched["converted"])
        .groupby(keys, sort=True)
        .agg(
            total_conversions=("total_conversions", "sum"),
            total_null=("total_null", "sum"),
            total_conversion_value=("conversion_value", "sum"),
        )
        .reset_index()
    )
    out["total_null"] = out["total_null"].astype(np.int64)
    return out
