"""Helpers shared by the console-script tests."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Overrides that make any run tiny: a fiftieth of the customers, one quarter, two replications.
TINY = ["population.scale=0.02", "sim=quick"]


@dataclass
class Outcome:
    """Exit status and captured output of one `journeysim` invocation."""

    code: int
    out: str
    err: str


def run_cli(args: list[str], cwd: Path, executable: str = "journeysim", timeout: float = 600) -> Outcome:
    """Run the console script as users do (no terminal, no stdin)."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.run(
        [executable, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def tree(path: Path) -> list[str]:
    """Every file and directory under `path`, relative, sorted."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))
