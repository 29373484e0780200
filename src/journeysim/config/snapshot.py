"""`population.snapshot`: start from an observed funnel, stage counts per segment read from a CSV file.

The file has columns `stage` and `count`, and `segment` (optional when the population has one segment). Its
counts replace the `initial:` counts of every segment it names (segments it does not name keep theirs), before
`population.scale` applies, so a snapshot run is exactly the run with the same counts written as `initial:`.
Every problem in the file is reported at once, one line each, naming the row and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from journeysim.config.problems import InvalidConfig, Problem
from journeysim.errors import did_you_mean

SETTING = "population.snapshot"
MAX_COUNT = 1e15  # as `config.limits.MAX_MAGNITUDE`: counts stay exact in float64 sums
COLUMNS_FIX = "give a CSV file with a header row: segment,stage,count (segment optional with one segment)"


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InvalidConfig(
            [
                Problem(
                    SETTING, f"no file '{path}'", "give the path of an existing " + COLUMNS_FIX.removeprefix("give a ")
                )
            ]
        )
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidConfig([Problem(SETTING, f"cannot read '{path}' as CSV: {first}", COLUMNS_FIX)]) from None


def _count(text: str) -> int | None:
    """A whole number >= 0 written as text ('12', '12.0'), else None."""
    try:
        v = float(text)
    except ValueError:
        return None
    if not math.isfinite(v) or v < 0 or not v.is_integer():
        return None
    return int(v)


def snapshot_counts(path: str | Path, stages: list[str], segments: list[str]) -> dict[str, dict[str, int]]:
    """Counts by segment and stage from the snapshot file; raises `InvalidConfig` listing every problem."""
    frame = _read(Path(path))
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("stage", "count") if c not in frame.columns]
    if "segment" not in frame.columns and len(segments) > 1:
        missing.append("segment")
    if missing:
        raise InvalidConfig(
            [
                Problem(
                    SETTING,
                    f"'{path}' has no column(s) {', '.join(missing)} (it has: {', '.join(frame.columns)})",
                    COLUMNS_FIX,
                )
            ]
        )
    problems: list[Problem] = []
    out: dict[str, dict[str, int]] = {}
    for i, row in enumerate(frame.to_dict("records")):
        where = f"{path} line {i + 2}"
        seg = str(row.get("segment", segments[0])).strip() or (segments[0] if len(segments) == 1 else "")
        stage, text = str(row["stage"]).strip(), str(row["count"]).strip()
        if seg not in segments:
            problems.append(
                Problem(
                    SETTING,
                    f"{where}: unknown segment '{seg}'{did_you_mean(seg, segments)}",
                    f"use one of the population's segments: {', '.join(segments)}",
                )
            )
        if stage not in stages:
            problems.append(
                Problem(
                    SETTING,
                    f"{where}: unknown stage '{stage}'{did_you_mean(stage, stages)}",
                    f"use one of the journey's stages: {', '.join(stages)}",
                )
            )
        n = _count(text)
        if n is None:
            problems.append(
                Problem(SETTING, f"{where}: count {text!r} is not a whole number >= 0", "give a customer count >= 0")
            )
        elif n > MAX_COUNT:
            problems.append(
                Problem(SETTING, f"{where}: count {text} is beyond {MAX_COUNT:g}", "give a count of people that exists")
            )
        elif stage in out.get(seg, {}):
            problems.append(
                Problem(
                    SETTING,
                    f"{where}: segment '{seg}', stage '{stage}' is listed twice",
                    "give each (segment, stage) once",
                )
            )
        elif seg in segments and stage in stages:
            out.setdefault(seg, {})[stage] = n
    if problems:
        raise InvalidConfig(problems)
    return out


def with_snapshot(data: Mapping[str, Any]) -> dict[str, Any]:
    """The resolved config with the snapshot's counts as the named segments' `initial:`; `snapshot` removed."""
    out = dict(data)
    population = dict(out.get("population") or {})
    path = population.pop("snapshot", None)
    out["population"] = population
    if path is None:
        return out
    if population.get("from_run") is not None:
        raise InvalidConfig(
            [
                Problem(
                    SETTING,
                    "population.snapshot and population.from_run are both set (each gives the customers at day 0)",
                    "give one of them: population.snapshot=null or population.from_run=null",
                )
            ]
        )
    if not isinstance(path, str) or not path.strip():
        raise InvalidConfig([Problem(SETTING, f"{path!r} is not a file path", "e.g. population.snapshot=funnel.csv")])
    journey = out.get("journey") or {}
    segments = {str(k): dict(v or {}) for k, v in dict(population.get("segments") or {}).items()}
    counts = snapshot_counts(path, [str(s) for s in journey.get("stages") or ()], list(segments))
    for name, initial in counts.items():
        segments[name]["initial"] = initial
    population["segments"] = segments
    return out
