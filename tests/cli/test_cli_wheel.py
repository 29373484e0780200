"""An installed (non-editable) wheel finds its configs inside the package and runs from any directory."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from journeysim.io import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[2]


def build_wheel(dist: Path) -> Path:
    """Build the wheel; offline with the installed hatchling when there is one, else in pip's isolated build."""
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation", "--no-index"]
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", str(dist), str(ROOT)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    (wheel,) = dist.glob("journeysim-*.whl")
    return wheel


@pytest.mark.slow
def test_installed_wheel_runs_outside_the_checkout(tmp_path: Path, journeysim_cli, tiny) -> None:
    # Install the wheel alone (no dependencies, no network) into its own directory and put that first on the
    # path: this interpreter's numpy, hydra... serve as dependencies, while the wheel's journeysim shadows
    # the editable checkout. The console script the wheel declares is what runs.
    target = tmp_path / "installed"
    wheel = build_wheel(tmp_path / "dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    env["PYTHONPATH"] = str(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def journeysim(*args: str):
        return journeysim_cli(list(args), cwd=elsewhere, executable=str(target / "bin" / "journeysim"), env=env)

    where = subprocess.run(
        [sys.executable, "-c", "import journeysim.config as c; print(c.__file__); print(c.shipped_config_dir())"],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(w.startswith(str(target)) for w in where), where  # the wheel's package and configs, not the checkout
    assert (Path(where[1]) / "journey" / "customer_journey.yaml").is_file()

    res = journeysim(*tiny, "hydra.run.dir=run")
    assert res.code == 0, res.err
    assert all((elsewhere / "run" / f).is_file() for f in OUTPUT_FILES)
    assert json.loads((elsewhere / "run" / "status.json").read_text())["status"] == "ok"

    sweep = journeysim("-m", *tiny, "sim.seed=1,2", "hydra.sweep.dir=sweep")
    assert sweep.code == 0, sweep.err
    assert all((elsewhere / "sweep" / job / "metrics.json").is_file() for job in ("0", "1"))

    bad = journeysim("+sim.horizn=5")
    assert bad.code == 2 and "did you mean 'horizon_days'" in bad.err
