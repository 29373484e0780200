"""The touch log's files: touches.parquet (one row per touch), path_segments.parquet (one row per customer path
segment), paths.csv (the attribution tools' path table per replication) and channel_removal.csv (each channel's
removal effect per replication, when the run has per-channel counterfactuals). Columns: docs/attribution.md.
"""

from __future__ import annotations

from pathlib import Path

from journeysim.io.atomic import atomic_write
from journeysim.io.outputs import CHANNEL_REMOVAL_FILE, PATH_SEGMENTS_FILE, PATHS_FILE, TOUCHES_FILE, write_parquet
from journeysim.study.attribution.paths import path_table
from journeysim.study.incrementality import IncrementalResult
from journeysim.study.run import RunResult

#: columns of channel_removal.csv besides replication and channel
REMOVAL_COLUMNS = ("removal_purchases", "removal_new_buyers", "removal_revenue", "removal_margin", "removal_spend")


def write_touches(out: Path, run: RunResult, incrementality: IncrementalResult | None) -> list[Path]:
    """Write the touch files of a run that kept its touch log (none otherwise)."""
    if run.touches is None or run.paths is None:
        return []
    touches, segments = run.touches, run.paths
    paths = [write_parquet(out / TOUCHES_FILE, touches), write_parquet(out / PATH_SEGMENTS_FILE, segments)]
    table = path_table(segments)
    paths.append(atomic_write(out / PATHS_FILE, lambda tmp: table.to_csv(tmp, index=False)))
    if incrementality is not None and not incrementality.channels.empty:
        removal = incrementality.channels[["replication", "channel", *REMOVAL_COLUMNS]]
        paths.append(atomic_write(out / CHANNEL_REMOVAL_FILE, lambda tmp: removal.to_csv(tmp, index=False)))
    return paths
