"""The README's analyst tour (its `shell` blocks: collect, resume, compare, baseline, bottlenecks) works as written.

tests/test_readme.py runs the `bash` blocks (runs and sweeps); the verb examples live in `shell` blocks because
they need the sweep made just before them, so they are checked here: fast (each command parses and validates, the
bottleneck commands run) and verbatim in one shell from an empty directory (slow; there `resume` finds a finished
sweep and keeps every job).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from journeysim.cli import attribute, bottlenecks, calibrate, collect, compare, export, fit_btyd, optimize, resume
from journeysim.cli.app import VERBS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SHELL = [
    line.strip()
    for kind, body in re.findall(r"```(\w+)\n(.*?)```", README, re.S)
    if kind == "shell"
    for line in body.splitlines()
    if line.strip()
]
PARSERS = {
    "collect": collect.parser(),
    "compare": compare.parser(),
    "bottlenecks": bottlenecks.parser(),
    "resume": resume.parser(),
    "calibrate": calibrate.parser(),
    "fit-btyd": fit_btyd.parser(),
    "attribute": attribute.parser(),
    "export": export.parser(),
    "optimize": optimize.parser(),
}


def test_the_tour_shows_every_verb_and_the_baseline_settings() -> None:
    assert all(c.startswith("journeysim ") for c in SHELL)
    used = {shlex.split(c)[1] for c in SHELL}
    assert set(VERBS) <= used
    assert any("baseline=" in c for c in SHELL) and any("baseline_channels=true" in c for c in SHELL)


@pytest.mark.parametrize("command", SHELL)
def test_every_command_parses_and_validates(command: str, journeysim_inproc) -> None:
    args = shlex.split(command)[1:]
    if args[0] in PARSERS and args[0] != "bottlenecks":  # they read what earlier commands wrote: run verbatim below
        PARSERS[args[0]].parse_args(args[1:])
        return
    res = journeysim_inproc(*args) if args[0] == "bottlenecks" else journeysim_inproc("check", *args)
    assert res.code == 0, res.err


@pytest.mark.slow
def test_the_tour_runs_verbatim(tmp_path: Path) -> None:
    script = "\n".join(["set -euo pipefail", *SHELL])
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    for sweep in ("seeds", "strategies"):
        assert (tmp_path / "multirun" / sweep / "sweep.parquet").is_file()
    (comparison,) = (tmp_path / "comparisons").iterdir()
    assert (comparison / "comparison.html").is_file() and (comparison / "differences.csv").is_file()
    assert len(list((tmp_path / "outputs").rglob("incrementality.json"))) == 2
    assert len(list((tmp_path / "outputs").rglob("channels.csv"))) == 1
    assert "improving awareness -> interest by 20%" in proc.stdout
    assert "resuming multirun/seeds: 2 of 2 jobs completed before and are kept; 0 to run" in proc.stderr
    assert (tmp_path / "my_fit" / "journey" / "customer_journey_fitted.yaml").is_file()
