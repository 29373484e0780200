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
from numpy.typing import NDArray

from journeysim.engine import compiled
from journeysim.engine.records import Records
from journeysim.engine.touches import TouchLog, logged_moves
from journeysim.study.attribution.path_strings import SEPARATOR, path_strings

__all__ = ["PATH_COLUMNS", "SEGMENT_COLUMNS", "SEPARATOR", "path_table", "replication_paths", "segments"]
PATH_COLUMNS = ("path", "total_conversions", "total_null", "total_conversion_value")
SEGMENT_COLUMNS = ("customer", "path_segment", "path", "touches", "converted", "conversion_time", "conversion_value")
_PATH_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


@dataclass(frozen=True)
class _Bought:
    """The logged customers' purchases by customer then time, with each one's value."""

    customer: NDArray[np.int64]
    time: NDArray[np.float64]
    value: NDArray[np.float64]


def _purchases(rec: Records, sampled: NDArray[np.bool_], values: NDArray[np.float64]) -> _Bought:
    """Every purchase of a sampled customer, by customer then time, valued at its own order value (the engine's
    record of the log's purchases, `Records.purchases`); a run without that record (its event log read instead)
    values each at its customer segment's expected order value `values`."""
    if rec.purchases is not None:
        p = rec.purchases
        if not sampled.all():
            (mine,) = np.nonzero(sampled.take(p.customer))
            if mine.size < p.customer.size:
                return _Bought(p.customer.take(mine), p.time.take(mine), p.value.take(mine))
        return _Bought(p.customer, p.time, p.value)
    mv = logged_moves(rec, sampled)
    bought = np.zeros(len(mv), bool)
    for stage in rec.conversion:  # a compare per conversion stage: cheaper than isin's lookup
        bought |= mv.dst == stage
    (rows,) = np.nonzero(bought)  # one pass over the mask for both columns
    customer = mv.customer.take(rows)
    return _Bought(customer, mv.time.take(rows), values.take(rec.customers.segment.take(customer)))


def _key(customer: NDArray[np.int64], time: NDArray[np.float64], horizon: int) -> NDArray[np.float64]:
    """customer x (horizon + 1) + time: ascends with (customer, time), a customer's keys below the next one's."""
    key: NDArray[np.float64] = np.multiply(customer, horizon + 1.0)  # the same float operations, one pass fewer
    key += time
    return key


@dataclass(frozen=True)
class _Cut:
    """The touches (by customer, then time) cut into path segments: runs of consecutive touches."""

    starts: NDArray[np.intp]  # each segment's first touch
    touches: NDArray[np.intp]  # its number of touches
    after: NDArray[np.intp]  # the first purchase (all customers') after its touches: its conversion if its customer's
    segment: NDArray[np.intp]  # per touch: its segment


def _cut(t_cust: NDArray[np.int64], t_key: NDArray[np.float64], p_key: NDArray[np.float64]) -> _Cut:
    """Cut the touches (keys ascending) at each new customer and at each purchase (keys ascending): a purchase
    falls before the first touch with a greater key (a touch at the purchase's own time comes before it). A merge:
    the purchases are placed among the touches (one search each), not the touches among the purchases."""
    n = t_key.size
    # placed[i]: the purchases between touch i - 1 and touch i (placed[n]: after the last touch)
    placed = np.bincount(np.searchsorted(t_key, p_key, side="right"), minlength=n + 1)
    new = placed[:n] > 0
    new[1:] |= t_cust[1:] != t_cust[:-1]
    new[:1] = True
    starts = np.flatnonzero(new)
    segment = np.cumsum(new, dtype=np.intp)
    segment -= 1
    touches = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=touches[:-1])
    touches[-1:] = n - starts[-1:]
    # only a segment's first touch has purchases placed before it, so these sums count every purchase before it
    after = placed.take(starts)
    np.cumsum(after, out=after)
    return _Cut(starts, touches, after, segment)


@dataclass(frozen=True)
class _Segments:
    """Path segments, touched ones then untouched purchases (per customer, purchase by purchase)."""

    customer: NDArray[np.int64]
    number: NDArray[np.int64]  # the customer's purchases before the segment
    converted: NDArray[np.bool_]
    conversion_time: NDArray[np.float64]  # NaN where not converted
    purchase: NDArray[np.intp]  # the purchase it converts to, -1 where none


def _touched(cut: _Cut, t_cust: NDArray[np.int64], p_cust: NDArray[np.int64], p_time: NDArray[np.float64]) -> _Segments:
    """The touched segments: a segment converts when the first purchase after it is its customer's."""
    customer = t_cust.take(cut.starts)
    n = int(max(customer[-1] if customer.size else -1, p_cust[-1] if p_cust.size else -1)) + 1
    if 4 * customer.size < n:  # a sampled log: a search of the purchases, no per-customer table
        first = np.searchsorted(p_cust, customer, side="left")
        end = np.searchsorted(p_cust, customer, side="right")
    else:
        bought = np.bincount(p_cust, minlength=n)
        after_last = np.cumsum(bought)
        end = after_last.take(customer)
        after_last -= bought
        first = after_last.take(customer)
    converted = cut.after < end
    at = p_time.take(cut.after, mode="clip") if p_time.size else np.zeros(cut.after.size)
    np.copyto(at, np.nan, where=~converted)
    first -= cut.after
    np.negative(first, out=first)  # the purchases of the customer before the segment
    return _Segments(customer, first, converted, at, np.where(converted, cut.after, -1))


def _untouched(
    cut: _Cut, touched: _Segments, p_cust: NDArray[np.int64], p_time: NDArray[np.float64]
) -> tuple[NDArray[np.intp], _Segments]:
    """(their rows among all segments, the purchases no touched segment converts to): a row after the touched
    segments before it (those whose next purchase is at or before it) and the untouched purchases before it."""
    has = np.zeros(p_cust.size, bool)
    has[cut.after[touched.converted]] = True
    (alone,) = np.nonzero(~has)
    rows = np.searchsorted(cut.after, alone, side="right") + np.arange(alone.size)
    customer = p_cust[alone]
    first = np.searchsorted(p_cust, customer, side="left")
    return rows, _Segments(customer, alone - first, np.ones(alone.size, bool), p_time[alone], alone)


def _segment_rows(
    cut: _Cut, t_cust: NDArray[np.int64], p_cust: NDArray[np.int64], p_time: NDArray[np.float64]
) -> tuple[_Segments, dict[str, NDArray[Any]]]:
    """(the touched segments, the segment columns by customer then segment, plus each row's first touch
    `start`): one row per touched segment and one per untouched purchase."""
    touched = _touched(cut, t_cust, p_cust, p_time)
    at, alone = _untouched(cut, touched, p_cust, p_time)
    is_touched = np.ones(cut.starts.size + at.size, bool)
    is_touched[at] = False
    columns = {
        "customer": (touched.customer, alone.customer),
        "path_segment": (touched.number, alone.number),
        "touches": (cut.touches, np.zeros(at.size, np.intp)),
        "converted": (touched.converted, alone.converted),
        "conversion_time": (touched.conversion_time, alone.conversion_time),
        "start": (cut.starts, np.zeros(at.size, np.intp)),  # an untouched row's path is empty wherever it starts
        "purchase": (touched.purchase, alone.purchase),
    }
    if not at.size:
        return touched, {name: a for name, (a, _) in columns.items()}
    return touched, {name: _merged(is_touched, at, a, b) for name, (a, b) in columns.items()}


def _merged(
    is_touched: NDArray[np.bool_], alone: NDArray[np.intp], at_touched: NDArray[Any], at_alone: NDArray[Any]
) -> NDArray[Any]:
    """One column in the merged row order: `at_touched` on the touched segments' rows, `at_alone` on the rows
    `alone` (few: set by index, not by another pass over a mask)."""
    out = np.empty(is_touched.size, np.result_type(at_touched, at_alone))
    out[is_touched] = at_touched
    out[alone] = at_alone
    return out


def _tables(
    rec: Records, log: TouchLog, values: NDArray[np.float64], replication: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`segments`, with a leading `replication` column on both tables unless None (built in place: no insert)."""
    bought = _purchases(rec, log.sampled, values)
    touches = log.touches
    t_cust = touches["customer"].to_numpy(dtype=np.int64)
    h = rec.horizon_days
    t_key, p_key = _key(t_cust, touches["time"].to_numpy(dtype=float), h), _key(bought.customer, bought.time, h)
    if compiled.enabled():  # the same rows in one compiled merge
        rows, per_touch = _compiled_rows(t_cust, t_key, bought, p_key)
    else:
        cut = _cut(t_cust, t_key, p_key)
        touched, rows = _segment_rows(cut, t_cust, bought.customer, bought.time)
        per_touch = {
            "path_segment": touched.number.take(cut.segment),
            "converted": touched.converted.take(cut.segment),
            "conversion_time": touched.conversion_time.take(cut.segment),
        }
    channel = touches["channel"]
    path = path_strings(
        channel.cat.codes.to_numpy(), [str(c) for c in channel.cat.categories], rows["start"], rows["touches"]
    )

    def lead(n: int) -> dict[str, Any]:
        return {} if replication is None else {"replication": np.full(n, replication, dtype=np.int64)}

    table = {
        **lead(rows["customer"].size),
        "customer": rows["customer"],
        "path_segment": rows["path_segment"].astype(np.int64, copy=False),
        "path": pd.array(path, dtype=_PATH_DTYPE),
        "touches": rows["touches"].astype(np.int64, copy=False),
        "converted": rows["converted"],
        "conversion_time": rows["conversion_time"],
        "conversion_value": _at_purchase(bought.value, rows["purchase"], 0.0),
    }
    touch_columns = {**lead(t_cust.size), **{name: touches[name] for name in touches.columns}, **per_touch}
    return pd.DataFrame(touch_columns, copy=False), pd.DataFrame(table, copy=False)


def _at_purchase(column: NDArray[np.float64], purchase: NDArray[np.intp], none: float) -> NDArray[np.float64]:
    """`column` at each row's purchase, `none` where a row has none (-1)."""
    out = column.take(purchase, mode="clip") if column.size else np.zeros(purchase.size)
    np.copyto(out, none, where=purchase < 0)
    return out


def _compiled_rows(
    t_cust: NDArray[np.int64], t_key: NDArray[np.float64], bought: _Bought, p_key: NDArray[np.float64]
) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]]]:
    """(`_segment_rows`'s row columns, the per-touch path columns) from `compiled.segments`."""
    customer, number, start, touches, purchase, t_number, t_converted, t_time = compiled.segments(
        t_cust, t_key, bought.customer, p_key, bought.time
    )
    rows = {
        "customer": customer,
        "path_segment": number,
        "touches": touches,
        "converted": purchase >= 0,
        "conversion_time": _at_purchase(bought.time, purchase, np.nan),
        "start": start,
        "purchase": purchase,
    }
    return rows, {"path_segment": t_number, "converted": t_converted, "conversion_time": t_time}


def segments(rec: Records, log: TouchLog, values: NDArray[np.float64]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(touches with their path columns, one row per path segment) for one replication; a converting segment's
    value is its purchase's order value (`values`, the expected order value per customer segment, where the run
    has no record of them)."""
    return _tables(rec, log, values, None)


def replication_paths(
    rec: Records, log: TouchLog, values: NDArray[np.float64], replication: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`segments` with a leading `replication` column on both tables."""
    return _tables(rec, log, values, replication)


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
