"""How bad input is reported: a short message on stderr, status 2, no traceback, nothing written."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

from journeysim.cli.state import EXIT_BAD_INPUT
from journeysim.config.validate import Problem, problems_text


def invalid_config_text(problems: Sequence[Problem], job: Sequence[str] | None = None) -> str:
    """The message block for one config (one sweep job when `job` is given)."""
    n = len(problems)
    head = f"{n} problem{'s' if n != 1 else ''}"
    where = f" in sweep job [{' '.join(job)}]" if job is not None else ""
    return f"{head}{where}:\n{problems_text(problems)}"


def exit_bad_input(blocks: Sequence[str]) -> NoReturn:
    """Print the blocks under one heading and exit with status 2."""
    text = "\n".join(blocks)
    sys.stderr.write(f"journeysim: invalid configuration; nothing was run.\n{text}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_BAD_INPUT)


def exit_verb_problem(heading: str, setting: str, problem: str, fix: str) -> NoReturn:
    """A verb's bad input (`heading`, e.g. "journeysim compare: nothing was compared."): one problem, status 2."""
    sys.stderr.write(f"{heading}\n{problems_text([Problem(setting, problem, fix)])}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_BAD_INPUT)
