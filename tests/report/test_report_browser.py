"""A report opened in headless Chromium renders its charts (skipped when Chromium is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from journeysim.report import run_report
from journeysim.study.run import RunResult

CHROMIUM = Path("/usr/bin/chromium")
ORANGE = np.array([0xF5, 0x85, 0x18])  # bottom-of-funnel colour: used by the charts only, never by the page CSS


def screenshot(html: Path, png: Path, profile: Path) -> None:
    """Render `html` (file://, no server) to a 1280 x 4000 PNG with a throw-away profile and no network chatter."""
    chromium = shutil.which(str(CHROMIUM)) or str(CHROMIUM)
    subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,4000", html.resolve().as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def bands(rows: np.ndarray, gap: int = 80) -> int:
    """Number of groups of row indices separated by more than `gap` rows."""
    return 0 if rows.size == 0 else int(1 + (np.diff(rows) > gap).sum())


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless check needs /usr/bin/chromium (apt-get install chromium)")
def test_report_renders_its_charts_in_headless_chromium(small_result: RunResult, tmp_path: Path) -> None:
    html = run_report(small_result, tmp_path / "run")
    png = tmp_path / "shot.png"
    screenshot(html, png, tmp_path / "profile")
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    assert pixels.shape == (4000, 1280, 3)
    assert pixels.std() > 20, "blank screenshot"
    orange = (np.abs(pixels - ORANGE).max(axis=2) <= 10).any(axis=1)
    # the funnel, the flow diagram and the purchases chart each draw in orange: three separate bands down the page
    assert bands(np.flatnonzero(orange)) >= 3, "the embedded charts were not rendered"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless check needs /usr/bin/chromium (apt-get install chromium)")
def test_comparison_report_renders_its_charts_in_headless_chromium(tmp_path: Path) -> None:
    from test_report_comparison import differences, sweep_table  # the hand-made budget sweep of those tests

    from journeysim.report import comparison_report

    html = comparison_report(sweep_table(), tmp_path / "cmp", differences=differences())
    png = tmp_path / "shot.png"
    screenshot(html, png, tmp_path / "profile")
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    assert pixels.std() > 20, "blank screenshot"
    coloured = (pixels.max(axis=2) - pixels.min(axis=2) > 80).sum(axis=1) > 20  # rows crossing coloured marks
    # metrics, differences and the budget-response curves: three charts, three bands of colour down the page
    assert bands(np.flatnonzero(coloured)) >= 3, "the embedded charts were not rendered"


CARD = np.array([0x1F, 0x5F, 0x99])  # the top border of a headline card (.card), 4 px tall and a card wide


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless check needs /usr/bin/chromium (apt-get install chromium)")
def test_incremental_headline_is_the_first_thing_on_screen(
    small_result: RunResult, small_incremental, tmp_path: Path
) -> None:
    """Issue 15.5: with a baseline, the four incremental cards (iROAS, incremental profit, new buyers, CAC) are
    drawn in the first screen of the report, above the plain headline table. Set JOURNEYSIM_SHOT=path to keep the
    screenshot for a look."""
    import os

    from journeysim.report.incrementality import incrementality_section

    section = incrementality_section(small_incremental, "no spend")
    html = run_report(small_result, tmp_path / "run", sections=[section])
    png = Path(os.environ.get("JOURNEYSIM_SHOT", tmp_path / "shot.png"))
    screenshot(html, png, tmp_path / "profile")
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=int)[:1000]  # the first screen
    border = np.abs(pixels - CARD).max(axis=2) <= 6
    wide = np.flatnonzero(border.sum(axis=1) >= 600)  # rows crossing the borders of the four cards side by side
    assert wide.size >= 3, "no row of headline cards in the first screen"
