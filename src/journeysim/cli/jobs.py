"""Sweep job configs without composing every job: compose one job with Hydra, derive the others from it.

Hydra composes each job of a sweep from scratch (defaults list, every config file, the schema), ~0.2 s a job, in
the driver, once to validate it and once to launch it. Jobs that differ from an already composed one only in
plain scalar value overrides at the same positions (`strategy.budget=1000` vs `=2000`; same group choices) get
a copy of that config with Hydra's own override step applied to the differing values
(`ConfigLoaderImpl._apply_overrides_to_config`, the step that sets values in a composition) and the job's
records (`hydra.overrides.task`, `hydra.job.override_dirname`) rewritten as composing would. Anything else (a
group choice, `+`/`~`, a list or mapping value, a Hydra setting, a value the copy refuses) is composed as usual.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import re
from collections.abc import Sequence
from typing import Any, cast

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf, open_dict, read_write


def _plain(override: Override) -> bool:
    """A scalar value set on an existing key: what a copy of another job's config can take."""
    if override.is_add() or override.is_delete() or override.is_force_add() or override.is_hydra_override():
        return False
    if override.package is not None or override.is_sweep_override():
        return False
    value = override.value()
    return not isinstance(value, (dict, list)) and "/" not in override.key_or_group


#: a `${...}` reference's inside
_REFERENCE = re.compile(r"\$\{([^}]*)\}")


class JobConfigs:
    """Job configs of one sweep (`config`: the sweep's master config), composed once per distinct shape."""

    def __init__(self, loader: Any, config: DictConfig) -> None:
        self.loader = loader
        # Hydra's compose step as it is now (the batch launcher later reroutes the loader's to `view`)
        self._load: Any = getattr(loader, "load_sweep_config", None)
        self.config = config
        self.parser = OverridesParser.create()
        self._templates: list[tuple[list[Override], DictConfig]] = []
        self._made: dict[tuple[str, ...], DictConfig] = {}
        self.checked: dict[tuple[str, ...], tuple[Any, dict[str, Any]]] = {}  # job -> (scenario, resolved config)
        self.composed = 0  # how many jobs Hydra composed (the rest were derived)
        self._pickled: dict[int, bytes | None] = {}  # template id -> its pickle (`_copy`)
        self._lines: dict[str, Override] = {}  # an override line -> its parse (each line parses on its own)
        self._template_job: dict[int, tuple[str, ...]] = {}  # template id -> the job it was composed for
        self._origin: dict[tuple[str, ...], tuple[DictConfig, list[Override]]] = {}  # derived job -> template, changes
        self._refs: dict[int, list[str] | None] = {}  # template id -> what its user part's `${...}` refer to
        self._scratch: dict[int, tuple[DictConfig, list[Override]]] = {}  # template id -> its view, whose overrides
        self._viewed: tuple[tuple[str, ...], DictConfig] | None = None  # the job a view is set for, and the view
        # The sweep's time stamp (`${now:...}`) resolved once, here, so every job's copy of the cache holds it
        # (nothing to share when there is no sweep dir to resolve).
        with contextlib.suppress(Exception):
            str(config.hydra.sweep.dir)

    def _compose(self, job: Sequence[str], parsed: list[Override]) -> DictConfig:
        cfg: DictConfig = self._load(self.config, list(job))
        self.composed += 1
        self._templates.append((parsed, cfg))
        return cfg

    def _copy(self, template: DictConfig) -> DictConfig:
        """A deep copy of a template: unpickled from its bytes, pickled once (~2.5x cheaper than `copy.deepcopy`,
        the same config: OmegaConf pickles every node with its metadata); `deepcopy` where it does not pickle."""
        key = id(template)
        if key not in self._pickled:
            try:
                self._pickled[key] = pickle.dumps(template, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                self._pickled[key] = None
        blob = self._pickled[key]
        return copy.deepcopy(template) if blob is None else cast(DictConfig, pickle.loads(blob))

    def _template_of(self, parsed: list[Override]) -> tuple[DictConfig, list[Override], list[Override]] | None:
        """A template whose overrides differ from the job's only in plain values: (template, its overrides, the
        job's differing ones); None when none fits."""
        keys = [p.key_or_group for p in parsed]
        for done, template in self._templates:
            if [p.key_or_group for p in done] != keys:
                continue
            changed = [p for p, q in zip(parsed, done, strict=True) if p.input_line != q.input_line]
            same = [p for p, q in zip(parsed, done, strict=True) if p.input_line == q.input_line]
            if not all(_plain(p) for p in changed) or any(p.is_hydra_override() for p in same):
                continue
            if not all(_plain(p) or not p.key_or_group for p in changed):
                continue
            return template, done, changed
        return None

    def _set_job(self, cfg: DictConfig, parsed: list[Override], changes: list[Override]) -> bool:
        """Apply `changes` to `cfg` with Hydra's own override step and record the job's overrides as composing
        would; False when the config refuses a value (composing then reports it as Hydra does)."""
        try:
            ConfigLoaderImpl._apply_overrides_to_config(changes, cfg)
        except Exception:
            return False
        with read_write(cfg.hydra), open_dict(cfg.hydra):  # a view Hydra's `run_job` ran with is read-only
            cfg.hydra.overrides.task = [p.input_line for p in parsed if not p.is_hydra_override()]
            conf = cfg.hydra.job.config.override_dirname
            cfg.hydra.job.override_dirname = get_overrides_dirname(
                overrides=[p for p in parsed if not p.is_hydra_override()],
                kv_sep=conf.kv_sep,
                item_sep=conf.item_sep,
                exclude_keys=conf.exclude_keys,
            )
        OmegaConf.copy_cache(from_config=self.config, to_config=cfg)
        return True

    def _derive(self, key: tuple[str, ...], parsed: list[Override]) -> DictConfig | None:
        """The job's config from a template whose overrides differ only in plain values; None when none fits."""
        found = self._template_of(parsed)
        if found is None:
            return None
        template, _, changed = found
        cfg = self._copy(template)
        if not self._set_job(cfg, parsed, changed):
            return None
        self._origin[key] = (template, changed)
        return cfg

    def view(self, job: Sequence[str]) -> DictConfig:
        """The job's config as `get` gives it, without a copy of its own where it derives from a template: one
        scratch copy per template is set to the job's values (valid until the next `view`; read it, keep
        nothing). What validating a sweep needs: 200 jobs cost one copy, not 200 (~8 ms each)."""
        key = tuple(job)
        if key in self._made:
            return self._made[key]
        if self._viewed is not None and self._viewed[0] == key:
            return self._viewed[1]
        parsed = self._parse(job)
        found = self._template_of(parsed)
        if found is None:
            return self.get(job)
        template, done, changed = found
        if id(template) not in self._scratch:
            self._scratch[id(template)] = (self._copy(template), list(done))
        scratch, current = self._scratch[id(template)]
        # where the scratch holds another job's value, this job's override (plain, or the template's own line)
        moved = [p for p, q in zip(parsed, current, strict=True) if p.input_line != q.input_line]
        self._viewed = None
        if not self._set_job(scratch, parsed, moved):
            self._scratch.pop(id(template))  # left half set: made afresh next time
            return self.get(job)
        self._scratch[id(template)] = (scratch, list(parsed))
        self._origin[key] = (template, changed)
        self._viewed = (key, scratch)
        return scratch

    def _parse(self, job: Sequence[str]) -> list[Override]:
        for line in job:
            if line not in self._lines:
                self._lines[line] = self.parser.parse_overrides([line])[0]
        return [self._lines[line] for line in job]

    def _independent(self, template: DictConfig, keys: Sequence[str]) -> bool:
        """No `${...}` in the user part refers to any of `keys` (or a node above or below one): setting them changes
        those values alone once resolved. A resolver call, a relative or nested reference counts as referring."""
        if id(template) not in self._refs:
            user = [v for k, v in OmegaConf.to_container(template, resolve=False).items() if k != "hydra"]  # type: ignore[union-attr]
            refs: list[str] | None = []
            for inner in _REFERENCE.findall(repr(user)):
                if refs is not None and (":" in inner or inner.startswith(".") or "$" in inner or "{" in inner):
                    refs = None
                elif refs is not None:
                    refs.append(inner.strip())
            self._refs[id(template)] = refs if repr(user).count("${") == len(refs or []) else None
        refs = self._refs[id(template)]
        if refs is None:
            return False
        return not any(r == k or r.startswith(f"{k}.") or k.startswith(f"{r}.") for r in refs for k in keys)

    def resolved(self, job: Sequence[str]) -> dict[str, Any] | None:
        """The resolved config (`config.validate.resolved_container`) of a job derived from a checked one whose user
        part has no interpolation: the checked one's with the changed values set (each read from the job's own
        config, so typed as resolving gives it). None where it must be resolved (and checked) in full: a value that
        is missing there, None, `???`, an interpolation, or not a scalar."""
        origin = self._origin.get(tuple(job))
        if origin is None:
            return None
        template, changed = origin
        base = self.checked.get(self._template_job.get(id(template), ()))
        if base is None or not self._independent(template, [o.key_or_group for o in changed]):
            return None
        cfg = self.view(job)  # its own config where it has one
        data = pickle.loads(pickle.dumps(base[1]))  # a deep copy of plain data
        for override in changed:
            *path, leaf = override.key_or_group.split(".")
            value = OmegaConf.select(cfg, override.key_or_group)
            node: Any = data
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict) or leaf not in node or isinstance(node[leaf], (dict, list)):
                return None
            if value is None or not isinstance(value, (str, int, float, bool)):
                return None
            if isinstance(value, str) and ("${" in value or value == "???"):
                return None
            node[leaf] = value
        return data

    def get(self, job: Sequence[str]) -> DictConfig:
        """The job's config, as `loader.load_sweep_config(config, job)` gives it; made once per job (validation
        and the launcher share it: each only sets the job's number)."""
        key = tuple(job)
        if key not in self._made:
            parsed = self._parse(job)
            derived = self._derive(key, parsed)
            if derived is None:
                composed = self._compose(job, parsed)
                self._template_job[id(composed)] = key
                derived = copy.deepcopy(composed)
            self._made[key] = derived
        OmegaConf.copy_cache(from_config=self.config, to_config=self._made[key])  # the sweep's `now`, as Hydra does
        return self._made[key]


def numbered(cfg: DictConfig, num: int) -> DictConfig:
    """`cfg` as sweep job `num`: its `hydra.job.num` and `id` set as Hydra's launchers set them."""
    with read_write(cfg.hydra), open_dict(cfg.hydra):
        cfg.hydra.job.id = num
        cfg.hydra.job.num = num
    return cfg
