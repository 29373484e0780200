"""An installed (non-editable) wheel finds its configs inside the package and runs from any directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import TINY, run_cli

from journeysim.io import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_installed_wheel_runs_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # No network: build with the installed hatchling, install without dependencies into a venv that sees
    # the system's site-packages (numpy, hydra, ...). The venv's own copy of journeysim shadows the editable one.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = dist.glob("journeysim-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )

    where = subprocess.run(
        [str(python), "-c", "import journeysim.config as c; print(c.__file__); print(c.shipped_config_dir())"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(str(venv) in w for w in where), where  # the installed package and its configs, not the checkout
    assert (Path(where[1]) / "journey" / "customer_journey.yaml").is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = str(venv / "bin" / "journeysim")
    res = run_cli([*TINY, "hydra.run.dir=run"], cwd=elsewhere, executable=script)
    assert res.code == 0, res.err
    assert all((elsewhere / "run" / f).is_file() for f in OUTPUT_FILES)
    assert json.loads((elsewhere / "run" / "status.json").read_text())["status"] == "ok"

    sweep = run_cli(["-m", *TINY, "sim.seed=1,2", "hydra.sweep.dir=sweep"], cwd=elsewhere, executable=script)
    assert sweep.code == 0, sweep.err
    assert all((elsewhere / "sweep" / job / "metrics.json").is_file() for job in ("0", "1"))

    bad = run_cli(["+sim.horizn=5"], cwd=elsewhere, executable=script)
    assert bad.code == 2 and "did you mean 'horizon_days'" in bad.err
