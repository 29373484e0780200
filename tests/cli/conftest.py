"""Fixtures for the console-script tests: run `journeysim` in-process or as a subprocess, from a clean directory.

Everything shared is a fixture, so the tests import nothing from the test tree (works with or without
`__init__.py` files under tests/).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from journeysim.cli.app import main


@dataclass
class Outcome:
    """Exit status and captured output of one `journeysim` invocation."""

    code: int
    out: str
    err: str


@pytest.fixture
def tiny() -> list[str]:
    """Overrides that make any run tiny: a fiftieth of the customers, one quarter, two replications."""
    return ["population.scale=0.02", "sim=quick"]


@pytest.fixture
def tiniest() -> list[str]:
    """A hundredth of the customers, one quarter, two replications: a run that simulates in a few milliseconds."""
    return ["population.scale=0.01", "sim=quick"]


@pytest.fixture
def tree() -> Callable[[Path], list[str]]:
    """Every file and directory under a path, relative, sorted."""
    return lambda path: sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def journeysim_cli() -> Callable[..., Outcome]:
    """Run a console script as users do (no terminal, no stdin): `journeysim_cli(args, cwd, executable=...)`."""

    def call(args: list[str], cwd: Path, executable: str = "journeysim", env: dict[str, str] | None = None) -> Outcome:
        base = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
        proc = subprocess.run(
            [executable, *args],
            cwd=cwd,
            env={**base, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    return call


@pytest.fixture
def journeysim_inproc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Outcome]:
    """Call `main(args)` in this process, from an empty working directory (the cwd during the test)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "argv", ["journeysim"])

    def call(*args: str) -> Outcome:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return call
