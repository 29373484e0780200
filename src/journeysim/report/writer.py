"""Writes a report atomically: every chart to charts/<name>.png, then the HTML page, each via a temporary file.

Charts a previous report of the same kind left behind and this one does not draw are removed, so a reused
directory never shows a stale chart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from journeysim.io.atomic import atomic_write, atomic_write_text
from journeysim.io.outputs import CHARTS_DIR
from journeysim.report.html import Page


def _bytes_writer(data: bytes) -> Callable[[Path], int]:
    return lambda tmp: tmp.write_bytes(data)


def write_page(page: Page, out_dir: str | Path, filename: str, owned_charts: Iterable[str] = ()) -> Path:
    """Write the charts then `filename` into `out_dir`; delete charts in `owned_charts` this page does not have."""
    out = Path(out_dir)
    charts_dir = out / CHARTS_DIR
    charts_dir.mkdir(parents=True, exist_ok=True)
    drawn = set()
    for chart in page.charts:
        atomic_write(charts_dir / f"{chart.name}.png", _bytes_writer(chart.png))
        drawn.add(chart.name)
    for name in set(owned_charts) - drawn:
        (charts_dir / f"{name}.png").unlink(missing_ok=True)
    return atomic_write_text(out / filename, page.html())
