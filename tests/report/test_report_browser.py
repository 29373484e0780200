"""A report opened in headless Chromium renders its charts (skipped when Chromium is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from journeysim.report import run_report
from journeysim.runner import RunResult

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
