"""The Parquet fast path (`io.arrow.write_frame`) writes the bytes `DataFrame.to_parquet(path, index=False)` writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from journeysim.io import arrow


def _same_bytes(frame: pd.DataFrame, tmp_path: Path, name: str) -> None:
    fast, slow = tmp_path / f"{name}.fast.parquet", tmp_path / f"{name}.slow.parquet"
    arrow.write_frame(fast, frame)
    frame.to_parquet(slow, index=False)
    assert fast.read_bytes() == slow.read_bytes()


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=rows)
    values[rng.random(rows) < 0.3] = np.nan  # NaN becomes null, as pandas converts it
    return pd.DataFrame(
        {
            "day": np.arange(rows, dtype=np.int64),
            "segment": pd.array([f"s{i % 3}" for i in range(rows)], dtype="str"),
            "revenue": values,
            "small": rng.integers(0, 9, rows).astype(np.int32),
            "share": rng.random(rows).astype(np.float32),
            "flag": rng.random(rows) < 0.5,
            "count": rng.integers(0, 9, rows).astype(np.uint64),
        },
        index=pd.RangeIndex(5, 5 + rows),  # the index is not written
    )


def test_reused_schema_writes_the_same_bytes(tmp_path: Path) -> None:
    arrow._SCHEMAS.clear()
    for k, rows in enumerate((7, 7, 30, 1, 0)):  # the first builds the layout's schema, the others reuse it
        _same_bytes(_frame(rows, k), tmp_path, f"f{k}")
    assert len(arrow._SCHEMAS) == 1


def test_missing_strings_and_other_layouts(tmp_path: Path) -> None:
    frame = _frame(6, 9)
    frame.loc[frame.index[2], "segment"] = None
    _same_bytes(frame, tmp_path, "a")
    _same_bytes(frame, tmp_path, "b")
    _same_bytes(frame[["revenue", "day"]], tmp_path, "c")  # another layout: its own schema
    _same_bytes(frame[["revenue", "day"]], tmp_path, "d")


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"stage": pd.Categorical(["a", "b", "a"])}),
        pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-01-02"])}),
        pd.DataFrame({"labels": pd.Series(["a", None, "c"], dtype=object)}),
        pd.DataFrame({"x": [1.0, 2.0], "y": [3, 4]}).set_axis(["x", "x"], axis=1),
    ],
    ids=["categorical", "dates", "objects", "duplicate labels"],
)
def test_other_frames_go_through_pandas(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert arrow._layout(frame) is None
    if frame.columns.has_duplicates:
        with pytest.raises(ValueError):
            arrow.write_frame(tmp_path / "x.parquet", frame)  # pandas' own error, unchanged
        return
    _same_bytes(frame, tmp_path, "x")
    _same_bytes(frame, tmp_path, "y")


def test_attrs_and_labels_that_are_not_strings(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, np.nan]})
    frame.attrs["note"] = "kept"  # pandas writes attrs into the metadata
    assert arrow._layout(frame) is None
    _same_bytes(frame, tmp_path, "attrs")
    assert arrow._layout(pd.DataFrame({0: [1.0]})) is None


def test_columns_are_written_as_their_frame(tmp_path: Path) -> None:
    for k in range(3):  # the first finds the schema through the frame, the others reuse it
        frame = _frame(4, k)
        columns = {name: frame[name].to_numpy() for name in frame.columns if name != "segment"}
        columns["segment"] = frame["segment"].array
        arrow.write_columns(tmp_path / f"c{k}.parquet", columns)
        pd.DataFrame(columns).to_parquet(tmp_path / f"f{k}.parquet", index=False)
        assert (tmp_path / f"c{k}.parquet").read_bytes() == (tmp_path / f"f{k}.parquet").read_bytes()
    odd = {"x": [1.0, 2.0], "labels": np.array(["a", "b"], dtype=object)}  # not arrays of the direct types
    arrow.write_columns(tmp_path / "odd.parquet", odd)
    pd.DataFrame(odd).to_parquet(tmp_path / "odd2.parquet", index=False)
    assert (tmp_path / "odd.parquet").read_bytes() == (tmp_path / "odd2.parquet").read_bytes()
