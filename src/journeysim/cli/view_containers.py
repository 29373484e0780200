"""Plain containers of a batch's job views (`cli.jobs.JobConfigs.view`) at a fraction of converting each one.

A batch renders each job's `.hydra` records from the job's config as a plain container
(`OmegaConf.to_container(cfg, resolve=False, enum_to_str=True)`, ~4 ms for journeysim's config). Views of one
template differ only in the leaves their overrides set and in the few a launcher sets per job (its overrides'
record, its number, its run directory), so a view's container is the first one's, copied, with those leaves read
from the view. The second job of each view is also converted in full and compared: any difference turns the
shortcut off for that view.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from enum import Enum
from typing import Any, cast

from omegaconf import Container, DictConfig, OmegaConf

#: The leaves a launcher sets per job, besides the values its overrides set.
JOB_LEAVES: tuple[tuple[str, ...], ...] = (
    ("hydra", "overrides", "task"),
    ("hydra", "job", "override_dirname"),
    ("hydra", "job", "num"),
    ("hydra", "job", "id"),
    ("hydra", "runtime", "output_dir"),
)


def full_container(cfg: DictConfig) -> dict[str, Any]:
    """The job's config as a plain container, unresolved, enums as their names (what Hydra's records dump)."""
    return cast(dict[str, Any], OmegaConf.to_container(cfg, resolve=False, enum_to_str=True))


def _leaf(cfg: DictConfig, path: Sequence[str]) -> Any:
    node: Any = cfg
    for key in path:
        node = node._get_node(key)
        if node is None:
            raise KeyError(".".join(path))
    if isinstance(node, Container):
        return OmegaConf.to_container(node, resolve=False, enum_to_str=True)
    value = node._value()
    return value.name if isinstance(value, Enum) else value


def _paths(overrides: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The config paths an override list sets (a value or a group's node), then the launcher's leaves."""
    keys = [line.split("=", 1)[0] for line in overrides if "=" in line]
    own = [tuple(k.split(".")) for k in keys if k and k[0] not in "+~" and "@" not in k and "/" not in k]
    return (*(p for p in own if p[0] != "hydra"), *JOB_LEAVES)


class ViewContainers:
    """`full_container(view)` of job after job, from one full conversion per view (see the module doc)."""

    def __init__(self) -> None:
        self._base: dict[int, tuple[bytes, tuple[tuple[str, ...], ...], bool]] = {}  # view -> (pickle, paths, checked)
        self._off: set[int] = set()

    def of(self, cfg: DictConfig, overrides: Sequence[str]) -> dict[str, Any]:
        """The container of `cfg`, a view now set to the job with `overrides`."""
        key, paths = id(cfg), _paths(overrides)
        known = self._base.get(key)
        if key in self._off or known is None or known[1] != paths:
            full = full_container(cfg)
            if key not in self._off:
                self._base[key] = (pickle.dumps(full, protocol=pickle.HIGHEST_PROTOCOL), paths, False)
            return full
        blob, _, checked = known
        try:
            out = pickle.loads(blob)
            for path in paths:
                parent = out
                for part in path[:-1]:
                    parent = parent[part]
                if path[-1] not in parent:
                    raise KeyError(".".join(path))
                parent[path[-1]] = _leaf(cfg, path)
        except (KeyError, TypeError, AttributeError):
            self._off.add(key)
            return full_container(cfg)
        if not checked:
            full = full_container(cfg)
            if full != out or repr(full) != repr(out):  # types too (1000 vs 1000.0), and the keys' order
                self._off.add(key)
                return full
            self._base[key] = (blob, paths, True)
        return out
