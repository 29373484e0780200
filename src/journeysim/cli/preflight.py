"""Checks on the command line before Hydra starts: YAML syntax in the user's `--config-dir`.

Hydra reports a YAML syntax error with a long traceback; journeysim reports file, line and problem instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from journeysim.config.validate import Problem


def config_dirs(args: Sequence[str]) -> list[Path]:
    """Directories given with `--config-dir DIR`, `--config-dir=DIR` or `-cd DIR`."""
    out: list[Path] = []
    for i, arg in enumerate(args):
        if arg in ("--config-dir", "-cd") and i + 1 < len(args):
            out.append(Path(args[i + 1]))
        elif arg.startswith("--config-dir="):
            out.append(Path(arg.split("=", 1)[1]))
    return out


def yaml_problems(dirs: Sequence[Path]) -> list[Problem]:
    """One problem per YAML file that does not parse."""
    problems: list[Problem] = []
    for d in dirs:
        if not d.is_dir():
            continue  # Hydra reports a missing directory itself
        for path in sorted(d.rglob("*.yaml")):
            try:
                yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
                what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                problems.append(Problem(where, f"YAML syntax error: {what}", "fix the YAML at that line"))
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(str(path), f"cannot read: {exc}", "check the file"))
    return problems
