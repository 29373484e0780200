"""journeysim's own "did you mean" for overrides Hydra would refuse with advice that does not fit, checked before
Hydra composes anything: a misspelt setting without `+` (`sim.replication=3`, where Hydra advises adding `+`) and
a misspelt config option (`journey=marketng_funnel`, where Hydra prints its whole search path).

Settings are looked up in the structured-config schema (`JourneysimSchema`), options in the group directories
of the shipped configs and every `--config-dir`. What this cannot judge (free mappings such as `strategy.*`, a
primary config of your own picked with `--config-name`, sweep functions) is left to Hydra and the validation.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from journeysim.cli.preflight import config_dirs
from journeysim.config import shipped_config_dir
from journeysim.config.problems import Problem
from journeysim.config.schema import JourneysimSchema
from journeysim.errors import did_you_mean

#: Hydra's command-line flags that take a value (the value is not an override).
VALUED_FLAGS = ("--config-dir", "-cd", "--config-name", "-cn", "--config-path", "-cp", "--cfg", "-c", "--package",
                "-p", "--info", "-i", "--experimental-rerun")  # fmt: skip
#: Characters of Hydra's sweep and interpolation syntax: such values are not judged here.
SYNTAX = set("()[]{}$*\\'\" ")


def overrides(args: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(prefix, key, value) of each `key=value` override on the command line (prefix: '', '+', '++' or '~')."""
    for i, arg in enumerate(args):
        if arg.startswith("-") or "=" not in arg or (i > 0 and args[i - 1] in VALUED_FLAGS):
            continue
        key, value = arg.split("=", 1)
        prefix = key[: len(key) - len(key.lstrip("+~"))]
        yield prefix, key[len(prefix) :], value


def group_options(dirs: Sequence[Path]) -> dict[str, set[str]]:
    """Top-level config groups and their options (YAML file names) in these config directories."""
    out: dict[str, set[str]] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for group in d.iterdir():
            if group.is_dir() and group.name != "hydra":
                out.setdefault(group.name, set()).update(p.stem for p in group.glob("*.yaml"))
    return out


def _unwrap(tp: Any) -> Any:
    """X from Optional[X]."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if typing.get_origin(tp) is typing.Union and len(args) == 1 else tp


def setting_problem(key: str, value: str) -> Problem | None:
    """A problem when a dotted key names a setting the schema does not have; None when it does or cannot tell."""
    schema: Any = JourneysimSchema
    parts = key.split(".")
    i = 0
    while i < len(parts):
        fields = [f.name for f in dataclasses.fields(schema)]
        part = parts[i]
        prefix = ".".join(parts[:i])
        if part not in fields:
            hint = did_you_mean(part, fields)
            where = f"{prefix}." if prefix else ""
            fix = (
                f"set {where}{hint.split(chr(39))[1]}={value}"
                if hint
                else f"the settings here are: {', '.join(fields)}"
            )
            return Problem(key, f"unknown setting '{part}'{hint}", fix)
        tp = _unwrap(typing.get_type_hints(schema)[part])
        if dataclasses.is_dataclass(tp):
            schema, i = tp, i + 1
            continue
        args = typing.get_args(tp)
        item = _unwrap(args[1]) if typing.get_origin(tp) is dict and len(args) == 2 else None
        if item is not None and dataclasses.is_dataclass(item) and i + 2 < len(parts):
            schema, i = item, i + 2  # a named entry (e.g. a segment), then its settings
            continue
        return None  # a value, a free mapping or a list: the model checks what is inside
    return None


def option_problems(group: str, value: str, options: set[str]) -> list[Problem]:
    """One problem per option of a group choice (or sweep list `a,b`) that no config directory has."""
    if not options or SYNTAX & set(value) or value in ("null", ""):
        return []
    out = []
    for option in value.split(","):
        if option not in options:
            out.append(
                Problem(
                    group,
                    f"unknown {group} option '{option}'{did_you_mean(option, options)}",
                    f"use one of: {', '.join(sorted(options))} (or add {group}/{option}.yaml to a --config-dir)",
                )
            )
    return out


def override_problems(args: Sequence[str]) -> list[Problem]:
    """Misspelt settings (without `+`) and unknown options among the command line's overrides."""
    if any(a in ("--config-name", "-cn") or a.startswith("--config-name=") for a in args):
        return []  # another primary config: its settings are its own
    groups = group_options([shipped_config_dir(), *config_dirs(args)])
    problems: list[Problem] = []
    for prefix, key, value in overrides(args):
        if "/" in key or key.split(".")[0] == "hydra" or prefix == "~":
            continue
        if key in groups and prefix in ("", "+"):
            problems += option_problems(key, value, groups[key])
        elif not prefix:
            problem = setting_problem(key, value)
            if problem is not None:
                problems.append(problem)
    return problems
