"""Stage counts over time (what a CRM exports), read and checked: per segment and period, entries and occupancy.

One row per (segment, period, stage): `period_start`, `period_end` (days), `stage`, `entries` (people who entered
the stage during the period, arrivals included; blank where not observed), `occupancy_start` and `occupancy_end`
(people in the stage at the period's start and end); `segment` is optional (one segment "customers" when absent).
Every problem is a `ConfigError` naming the column and the fix, so the CLI exits 2 with one line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.journey import Journey

REQUIRED = ("period_start", "period_end", "stage", "occupancy_start", "occupancy_end")
COUNT_COLUMNS = ("entries", "occupancy_start", "occupancy_end")
DEFAULT_SEGMENT = "customers"


@dataclass(frozen=True)
class SegmentCounts:
    """One segment's counts as arrays over periods (P) and the journey's stages (S); NaN where not observed."""

    segment: str
    starts: NDArray[np.float64]  # (P,) day each period starts
    ends: NDArray[np.float64]  # (P,)
    entries: NDArray[np.float64]  # (P, S) entries during the period (NaN: not observed)
    occupancy_start: NDArray[np.float64]  # (P, S) people in the stage when the period starts (NaN: not observed)
    occupancy_end: NDArray[np.float64]  # (P, S)

    @property
    def n_periods(self) -> int:
        return int(self.starts.size)

    @property
    def lengths(self) -> NDArray[np.float64]:
        return self.ends - self.starts

    def head(self, n: int) -> SegmentCounts:
        """The first `n` periods (for the held-out check)."""
        return SegmentCounts(
            self.segment,
            self.starts[:n],
            self.ends[:n],
            self.entries[:n],
            self.occupancy_start[:n],
            self.occupancy_end[:n],
        )


def _numbers(frame: pd.DataFrame, column: str, problems: list[ConfigError]) -> pd.Series:
    """The column as floats; a problem for each kind of bad value (not a number, negative, not whole)."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    blank = raw.isna() | (raw.astype(str).str.strip() == "")
    text = values.isna() & ~blank
    if text.any():
        i = int(np.flatnonzero(text.to_numpy())[0])
        problems.append(ConfigError(column, f"row {i + 1} has {raw.iloc[i]!r}, not a number", "give whole numbers"))
    finite = values.dropna()
    if column in COUNT_COLUMNS:
        neg = finite[finite < 0]
        if len(neg):
            problems.append(
                ConfigError(
                    column,
                    f"{len(neg)} negative count(s), e.g. row {neg.index[0] + 1}: {neg.iloc[0]:g}",
                    "counts of people are whole numbers >= 0",
                )
            )
        frac = finite[(finite >= 0) & (finite != np.round(finite))]
        if len(frac):
            problems.append(
                ConfigError(
                    column,
                    f"{len(frac)} count(s) are not whole numbers, e.g. row {frac.index[0] + 1}: {frac.iloc[0]:g}",
                    "give counts of people (whole numbers), not averages or rates",
                )
            )
    elif not np.isfinite(finite).all():
        problems.append(ConfigError(column, "has infinite values", "give days as finite numbers"))
    return values


def _periods(frame: pd.DataFrame, problems: list[ConfigError]) -> None:
    """Periods must be in time order, each ending after it starts, and never overlap."""
    spans = frame[["segment", "period_start", "period_end"]].drop_duplicates()
    short = spans[~(spans["period_end"] > spans["period_start"])]
    if len(short):
        row = short.iloc[0]
        problems.append(
            ConfigError(
                "period_end",
                f"a period ends (day {row['period_end']:g}) before or when it starts (day {row['period_start']:g})",
                "give period_end > period_start",
            )
        )
    for segment, group in spans.groupby("segment", sort=False):
        starts = group["period_start"].to_numpy()
        if (np.diff(starts) < 0).any():
            problems.append(
                ConfigError(
                    "period_start",
                    f"segment '{segment}': periods are out of order",
                    "sort the rows by period_start (oldest first)",
                )
            )
            continue
        if len(set(starts.tolist())) < len(starts):
            problems.append(
                ConfigError(
                    "period_start",
                    f"segment '{segment}': two periods start on the same day with different ends",
                    "give each period once, with one period_end",
                )
            )
            continue
        ends = group["period_end"].to_numpy()
        overlap = np.flatnonzero(starts[1:] < ends[:-1])
        if overlap.size:
            k = int(overlap[0])
            problems.append(
                ConfigError(
                    "period_start",
                    f"segment '{segment}': period starting day {starts[k + 1]:g} overlaps "
                    f"the one ending day {ends[k]:g}",
                    "give non-overlapping periods (e.g. whole weeks)",
                )
            )


def _stages(frame: pd.DataFrame, journey: Journey, problems: list[ConfigError]) -> None:
    unknown = sorted(set(frame["stage"].astype(str)) - set(journey.stages))
    for s in unknown:
        problems.append(
            ConfigError(
                "stage",
                f"unknown stage '{s}'{did_you_mean(s, journey.stages)} (journey '{journey.name}')",
                f"use the journey's stages: {', '.join(journey.stages)}",
            )
        )


def _arrays(group: pd.DataFrame, journey: Journey, segment: str) -> SegmentCounts:
    spans = group[["period_start", "period_end"]].drop_duplicates().sort_values("period_start")
    index = {float(s): p for p, s in enumerate(spans["period_start"])}
    shape = (len(spans), journey.n_stages)
    arrays = {c: np.full(shape, np.nan) for c in COUNT_COLUMNS}
    dup = group.duplicated(["period_start", "stage"])
    if dup.any():
        row = group[dup].iloc[0]
        raise ConfigError(
            "stage",
            f"segment '{segment}': stage '{row['stage']}' appears twice in the period "
            f"starting day {row['period_start']:g}",
            "give one row per segment, period and stage",
        )
    p = group["period_start"].map(index).to_numpy(dtype=int)
    s = np.array([journey.index(str(x)) for x in group["stage"]], dtype=int)
    for c in COUNT_COLUMNS:
        if c in group.columns:
            arrays[c][p, s] = group[c].to_numpy(dtype=float)
    return SegmentCounts(
        segment,
        spans["period_start"].to_numpy(float),
        spans["period_end"].to_numpy(float),
        arrays["entries"],
        arrays["occupancy_start"],
        arrays["occupancy_end"],
    )


def _consistency(c: SegmentCounts, journey: Journey, problems: list[ConfigError]) -> None:
    """Counts that change where they cannot: a terminal stage's occupancy never falls, no stage gains more people
    than entered it, and one period's end is the next one's start when they touch."""
    terminal = [journey.index(t) for t in journey.terminal]
    gain = c.occupancy_end - c.occupancy_start
    fell = (gain[:, terminal] < 0) if terminal else np.zeros((c.n_periods, 0), bool)
    if fell.any():
        p, k = np.argwhere(fell)[0]
        problems.append(
            ConfigError(
                "occupancy_end",
                f"segment '{c.segment}': '{journey.terminal[k]}' falls from "
                f"{c.occupancy_start[p, terminal[k]]:g} to {c.occupancy_end[p, terminal[k]]:g} in the period "
                f"from day {c.starts[p]:g}, but nobody leaves a terminal stage",
                "check the export: terminal counts are cumulative",
            )
        )
    grew = gain > c.entries
    if grew.any():
        p, s = np.argwhere(grew)[0]
        problems.append(
            ConfigError(
                "entries",
                f"segment '{c.segment}': '{journey.stages[s]}' grows by {gain[p, s]:g} in the "
                f"period from day {c.starts[p]:g} but only {c.entries[p, s]:g} entered it",
                "give entries and occupancy from the same export and period",
            )
        )
    touching = c.starts[1:] == c.ends[:-1]
    both = ~np.isnan(c.occupancy_end[:-1]) & ~np.isnan(c.occupancy_start[1:])
    broken = touching[:, None] & both & (c.occupancy_end[:-1] != c.occupancy_start[1:])
    if broken.any():
        p, s = np.argwhere(broken)[0]
        problems.append(
            ConfigError(
                "occupancy_start",
                f"segment '{c.segment}': '{journey.stages[s]}' ends day {c.ends[p]:g} with "
                f"{c.occupancy_end[p, s]:g} people but the next period starts with "
                f"{c.occupancy_start[p + 1, s]:g}",
                "give snapshots that agree where periods touch",
            )
        )


def read_counts(frame: pd.DataFrame, journey: Journey) -> list[SegmentCounts]:
    """The counts of each segment, checked against the journey; a `ConfigError` (or a `CountsProblems` listing
    several) when the table cannot be what a journey produces."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ConfigError("counts", f"missing column(s) {missing}", f"give columns {[*REQUIRED, 'entries']}")
    if frame.empty:
        raise ConfigError("counts", "the table has no rows", "give one row per period and stage")
    frame = frame.reset_index(drop=True).copy()
    if "segment" not in frame.columns:
        frame["segment"] = DEFAULT_SEGMENT
    frame["segment"] = frame["segment"].astype(str)
    problems: list[ConfigError] = []
    for column in ("period_start", "period_end", *(c for c in COUNT_COLUMNS if c in frame.columns)):
        frame[column] = _numbers(frame, column, problems)
    if frame[["period_start", "period_end"]].isna().any().any():
        problems.append(ConfigError("period_start", "some periods have no start or end", "give both on every row"))
    _stages(frame, journey, problems)
    if problems:
        raise CountsProblems(problems)
    _periods(frame, problems)
    if problems:
        raise CountsProblems(problems)
    out = [_arrays(g, journey, str(seg)) for seg, g in frame.groupby("segment", sort=False)]
    for c in out:
        _consistency(c, journey, problems)
    if problems:
        raise CountsProblems(problems)
    return out


class CountsProblems(ConfigError):
    """Several problems in one counts table (each a `ConfigError`), reported together."""

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0]
        super().__init__(first.setting, first.problem, first.fix)
        self.problems = problems
