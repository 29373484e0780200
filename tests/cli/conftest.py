"""Helpers for the console-script tests: run `journeysim` in-process or as a subprocess, from a clean directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from journeysim.cli.app import main
from tests.cli.cli_helpers import Outcome


@pytest.fixture
def journeysim_inproc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Call `main(args)` in this process, from an empty working directory; returns an Outcome."""
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
