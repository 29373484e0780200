"""Parquet files from data frames, as `DataFrame.to_parquet(path, index=False)` writes them, with less overhead.

pandas converts a frame to Arrow column by column and rebuilds the schema's pandas metadata every time (~2 ms for
a 62-column time series, as much as writing the file). A run writes frames of the same layout again and again (a
sweep's jobs, a batch's variants), so the schema (with its metadata) is built once per layout by pyarrow's own
`Table.from_pandas` and reused, and the columns go to Arrow straight from their arrays, converted as `from_pandas`
converts them (NaN is null). The bytes written are the same; frames with other column types (categoricals,
dates, objects), non-string labels or `attrs` go through `to_parquet` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: The numpy column types converted directly (what pandas itself would hand to Arrow unchanged).
_DIRECT = frozenset(
    np.dtype(t) for t in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32")
) | {np.dtype("float64")}
#: Arrow schemas with their pandas metadata, by frame layout (column labels, their types, the labels' own type).
_SCHEMAS: dict[tuple[Any, ...], pa.Schema] = {}
#: Layouts kept at most (a guard: a process that writes frames of ever new layouts must not grow without bound).
_MAX_LAYOUTS = 256


def _direct(dtype: Any) -> bool:
    return dtype in _DIRECT or isinstance(dtype, pd.StringDtype)


def _layout(frame: pd.DataFrame) -> tuple[Any, ...] | None:
    """The key of a frame's schema, or None when the frame must go through `to_parquet` (see the module doc)."""
    if frame.attrs or isinstance(frame.columns, pd.MultiIndex) or frame.columns.has_duplicates:
        return None
    names = tuple(frame.columns)
    dtypes = tuple(frame.dtypes)
    if not all(type(n) is str for n in names) or not all(map(_direct, dtypes)):
        return None
    return names, dtypes, frame.columns.dtype, frame.columns.name


def _columns(frame: pd.DataFrame) -> Iterable[Any]:
    """The frame's column arrays (numpy or pandas extension arrays), without a Series per column (~10 us each)."""
    fast = getattr(frame, "_iter_column_arrays", None)
    return fast() if fast is not None else (column.array for _, column in frame.items())


def _arrays(columns: Iterable[Any], schema: pa.Schema) -> pa.Table:
    """The table of `schema` from column arrays, each converted as `Table.from_pandas` converts it."""
    arrays = []
    for values, field in zip(columns, schema, strict=True):
        if isinstance(values, np.ndarray):
            arrays.append(pa.array(values, type=field.type, from_pandas=True))  # NaN -> null
        else:  # a string column: pandas' own conversion (`__arrow_array__`)
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _schema(key: tuple[Any, ...], frame: pd.DataFrame) -> tuple[pa.Schema | None, pa.Table | None]:
    """The layout's known schema (and no table), or the frame's table made by pyarrow, its schema now known."""
    schema = _SCHEMAS.get(key)
    if schema is not None:
        return schema, None
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if len(_SCHEMAS) < _MAX_LAYOUTS:
        _SCHEMAS[key] = table.schema
    return None, table


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """`pa.Table.from_pandas(frame, preserve_index=False)`: the same table, from a reused schema when the frame's
    layout was seen before."""
    key = _layout(frame)
    if key is None:
        return pa.Table.from_pandas(frame, preserve_index=False)
    schema, table = _schema(key, frame)
    return _arrays(_columns(frame), schema) if schema is not None else table


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    """Write `frame` to `path` as `frame.to_parquet(path, index=False)` does (same bytes)."""
    if _layout(frame) is None:
        frame.to_parquet(path, index=False)
        return
    pq.write_table(arrow_table(frame), str(path), compression="snappy")


def write_columns(path: Path, columns: Mapping[str, Any]) -> None:
    """Write `pd.DataFrame(columns)` (1-d numpy or pandas arrays by name) as `write_frame` does, without making the
    frame when columns of the same names and types were written before."""
    values = list(columns.values())
    key = None
    if all(isinstance(v, (np.ndarray, pd.api.extensions.ExtensionArray)) and v.ndim == 1 for v in values):
        key = ("columns", tuple(columns), tuple(v.dtype for v in values))
        schema = _SCHEMAS.get(key)
        if schema is not None:
            pq.write_table(_arrays(values, schema), str(path), compression="snappy")
            return
    frame = pd.DataFrame(columns, copy=False)
    layout = _layout(frame)
    if layout is None:
        frame.to_parquet(path, index=False)
        return
    table = arrow_table(frame)
    if key is not None and layout[1] == key[2] and len(_SCHEMAS) < _MAX_LAYOUTS:
        _SCHEMAS[key] = table.schema  # the frame's columns have the arrays' types: the same schema
    pq.write_table(table, str(path), compression="snappy")
