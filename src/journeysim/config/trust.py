"""What files users receive may do: set values, never run code, never blow up in size.

A `--config-dir` or a sweep directory (its `multirun.yaml`, replayed by `journeysim resume`) is data shared between
colleagues. Hydra instantiates `_target_` nodes (callbacks, launchers, sweepers) and `logging.config` builds handlers
from `()` factories and `class` names, so such a file could import and call any code. journeysim's own shipped
configs stay trusted; in user files and replayed overrides these hooks are refused. YAML aliases can make a small file
expand to billions of nodes once OmegaConf copies them, so the expanded size of every user file is bounded too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from journeysim.config.validate import Problem

#: Most nodes (mappings, lists and scalars, aliases counted as copies) a user YAML file may expand to.
MAX_EXPANDED_NODES = 1_000_000
#: Largest user YAML file read, in bytes.
MAX_YAML_BYTES = 16 * 1024 * 1024

#: Keys that make Hydra or the logging module import and call code.
CODE_KEYS = ("_target_", "()")
#: Settings under `hydra` that install code (callbacks, logging handlers) or add unchecked config directories.
HOOK_SETTINGS = ("callbacks", "job_logging", "hydra_logging", "searchpath")
#: Hydra config groups a user directory may not provide (they hold code hooks).
HOOK_GROUPS = tuple(f"hydra/{name}" for name in HOOK_SETTINGS)

_FIX = "remove it: configuration files and sweep directories may set values only, never name code to run"


class TooLarge(ValueError):
    """A YAML document expands to more nodes than allowed (an alias bomb), or refers to itself."""


def expanded_size(doc: Any, limit: int = MAX_EXPANDED_NODES) -> int:
    """Nodes of `doc` with every shared (aliased) node counted once per use; raises `TooLarge` beyond `limit`."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise TooLarge("the YAML refers to itself (a recursive alias)")
        active.add(key)
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                raise TooLarge(f"the YAML expands to more than {limit:,} nodes (aliases counted as copies)")
        active.discard(key)
        sizes[key] = total
        return total

    return size(doc)


def load_user_yaml(path: Path) -> Any:
    """Parse a user YAML file safely and bounded; raises `TooLarge`, `yaml.YAMLError`, `OSError`, `UnicodeError`."""
    if path.stat().st_size > MAX_YAML_BYTES:
        raise TooLarge(f"the file is larger than {MAX_YAML_BYTES // 2**20} MiB")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    expanded_size(doc)
    return doc


def _walk(node: Any, prefix: str) -> Iterable[tuple[str, str, Any]]:
    """(dotted parent, key, value) for every mapping entry of a parsed document."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield prefix, str(key), value
            yield from _walk(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{prefix}[{i}]")


def document_problems(where: str, doc: Any, group: str = "") -> list[Problem]:
    """Code hooks in one parsed user config file (`group`: its directory in the config dir, e.g. `hydra/launcher`)."""
    if any(group == g or group.startswith(f"{g}/") for g in HOOK_GROUPS):
        return [Problem(where, f"a config directory may not provide Hydra's '{group}' configs (they run code)", _FIX)]
    problems: list[Problem] = []
    for parent, key, _ in _walk(doc, ""):
        setting = f"{parent}.{key}" if parent else key
        if key in CODE_KEYS:
            problems.append(Problem(f"{where}: {setting}", f"'{key}' names code to import and call", _FIX))
        elif key in HOOK_SETTINGS and (parent == "hydra" or (not parent and group == "hydra")):
            problems.append(Problem(f"{where}: {setting}", f"hydra.{key} installs code or more config", _FIX))
    return problems


_KEY_PART = re.compile(r"[./]")


def override_problems(overrides: Sequence[str], source: str) -> list[Problem]:
    """Code hooks in replayed overrides (e.g. the ones `resume` reads from a sweep's multirun.yaml)."""
    problems: list[Problem] = []
    for override in overrides:
        key, _, value = str(override).partition("=")
        parts = _KEY_PART.split(key.lstrip("+~").replace("@", "."))
        hook = parts[:1] == ["hydra"] and len(parts) > 1 and parts[1] in HOOK_SETTINGS
        if hook or any(p in CODE_KEYS for p in parts) or any(k in value for k in CODE_KEYS if k != "()"):
            problems.append(Problem(source, f"the override '{override}' would run code or add config", _FIX))
    return problems
