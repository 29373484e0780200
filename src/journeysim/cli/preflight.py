"""Checks on the command line before Hydra starts: the YAML files of the user's `--config-dir`.

Hydra reports a YAML syntax error with a long traceback; journeysim reports file, line and problem instead. Each file
is parsed bounded (an alias bomb would hang OmegaConf) and may hold no code hooks (`journeysim.config.trust`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, OverrideParseException

from journeysim.config.trust import TooLarge, document_problems, load_user_yaml
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
    """One problem per YAML file that does not parse or is too large; one per code hook in a file."""
    problems: list[Problem] = []
    for d in dirs:
        if not d.is_dir():
            continue  # Hydra reports a missing directory itself
        for path in sorted(d.rglob("*.yaml")):
            try:
                doc = load_user_yaml(path)
            except TooLarge as exc:
                problems.append(Problem(str(path), f"refused: {exc}", "write the values out; keep the file small"))
                continue
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
                what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                problems.append(Problem(where, f"YAML syntax error: {what}", "fix the YAML at that line"))
                continue
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(str(path), f"cannot read: {exc}", "check the file"))
                continue
            except RecursionError:
                problems.append(Problem(str(path), "refused: nested too deeply", "flatten the YAML"))
                continue
            problems += document_problems(str(path), doc, path.parent.relative_to(d).as_posix())
    return problems


#: Hydra's command-line flags that take a value (which is not an override).
_VALUED_FLAGS = (
    "--config-dir",
    "-cd",
    "--config-name",
    "-cn",
    "--config-path",
    "-cp",
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--info",
    "-i",
    "--experimental-rerun",
)


def override_syntax_problems(args: Sequence[str]) -> list[Problem]:
    """Overrides Hydra's grammar cannot parse, each naming its setting (Hydra's own message names none)."""
    problems: list[Problem] = []
    parser = OverridesParser.create()
    for i, arg in enumerate(args):
        if arg.startswith("-") or "=" not in arg or (i > 0 and args[i - 1] in _VALUED_FLAGS):
            continue
        try:
            parser.parse_override(arg)
        except (OverrideParseException, HydraException) as exc:
            key = arg.split("=", 1)[0].lstrip("+~")
            what = str(exc).splitlines()[0] if str(exc).strip() else "cannot be parsed"
            problems.append(
                Problem(
                    key,
                    f"the override '{arg}' does not parse: {what}",
                    "fix its syntax; see https://hydra.cc/docs/advanced/override_grammar/basic/",
                )
            )
    return problems
