"""Validation of a composed config before anything runs, and its conversion to the engine's plain `Scenario`.

Hydra already rejects wrong types and unknown keys in plain overrides. This adds what it lets through:
keys force-added with `+` (`+sim.horizn=5`), every missing `???` value at once with the override that fixes
it, values that slipped past OmegaConf's type checks inside nested mappings, and the model's own checks
(`ConfigError` from `Scenario.from_dict`: unknown stages, bad rates, unreachable conversion...).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from journeysim.config.baseline import baseline_choice, choice_problems
from journeysim.config.continuation import continued
from journeysim.config.objective import objective_problems
from journeysim.config.paths import shipped_config_dir
from journeysim.config.problems import InvalidConfig, Problem
from journeysim.config.scaling import scaled_config
from journeysim.config.schema import GROUPS, JourneysimSchema
from journeysim.config.snapshot import with_snapshot
from journeysim.config.touches import touch_problems
from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.scenario import Scenario
from journeysim.study.uncertainty import scenario_with_ensemble

#: Keys Hydra itself puts at the top of a composed config; never user settings.
HYDRA_KEYS = ("hydra",)
#: Optional settings left out of the resolved config while unset (null), so config.yaml is as before they existed.
OPTIONAL_UNSET = (
    ("sim", "start_date"),
    ("sim", "parameter_uncertainty"),
    ("population", "snapshot"),
    ("population", "from_run"),
)


# ---------------------------------------------------------------------------------------------- unknown keys
def _dataclass_of(tp: Any) -> type | None:
    return tp if isinstance(tp, type) and dataclasses.is_dataclass(tp) else None


def _override_for(key: str, overrides: Sequence[str]) -> str | None:
    for ov in overrides:
        name = ov.split("=", 1)[0].lstrip("+~")
        if name == key:
            return ov
    return None


def _children(node: Any) -> Iterable[tuple[str, Any]]:
    """(key, child) pairs of a DictConfig or a plain mapping, without resolving interpolations."""
    if OmegaConf.is_config(node):
        return [(str(k), node._get_node(k)) for k in node]
    return [(str(k), v) for k, v in node.items()]


def _is_mapping(node: Any) -> bool:
    if OmegaConf.is_config(node):
        return bool(OmegaConf.is_dict(node)) and not node._is_missing() and not node._is_none()
    return isinstance(node, Mapping)


def unknown_keys(cfg: Mapping[str, Any] | DictConfig, overrides: Sequence[str] = ()) -> list[Problem]:
    """Keys that are not in the schema (they can only get there with `+key=value` or a hand-written config)."""
    problems: list[Problem] = []

    def walk(node: Any, schema: type, prefix: str) -> None:
        hints = typing.get_type_hints(schema)
        fields = [f.name for f in dataclasses.fields(schema)]  # type: ignore[arg-type]
        for key, child in _children(node):
            full = f"{prefix}{key}"
            if not prefix and key in HYDRA_KEYS:
                continue
            if key not in fields:
                source = _override_for(full, overrides)
                hint = did_you_mean(key, fields)
                fix = f"remove the override '{source}'" if source else f"remove '{key}' from the config"
                if hint:
                    fix += f", or set {prefix}{hint.split(chr(39))[1]}=<value>"
                else:
                    fix += f"; the settings here are: {', '.join(fields)}"
                problems.append(Problem(full, f"unknown setting '{key}'{hint}", fix))
                continue
            tp = hints[key]
            sub = _dataclass_of(tp)
            if sub is not None and _is_mapping(child):
                walk(child, sub, f"{full}.")
                continue
            args = typing.get_args(tp)
            item_type = _dataclass_of(args[1]) if typing.get_origin(tp) is dict and len(args) == 2 else None
            if item_type is not None and _is_mapping(child):
                for name, item in _children(child):
                    if _is_mapping(item):
                        walk(item, item_type, f"{full}.{name}.")

    walk(cfg, JourneysimSchema, "")
    return problems


# ---------------------------------------------------------------------------------------------- missing values
def _missing_keys(cfg: DictConfig) -> set[str]:
    """Dotted keys of every `???` outside Hydra's node (whose run-time interpolations cannot resolve yet)."""
    keys: set[str] = set()
    for key in cfg:
        if key in HYDRA_KEYS:
            continue
        node = cfg._get_node(key)
        if node is not None and node._is_missing():
            keys.add(str(key))
        elif OmegaConf.is_config(node):
            keys |= {str(k) for k in OmegaConf.missing_keys(node)}
    return keys


def missing_values(cfg: DictConfig, group_options: Mapping[str, Sequence[str]] | None = None) -> list[Problem]:
    """Every `???` value in the config, with the override that fixes it; a group with nothing chosen is one entry."""
    keys = sorted(_missing_keys(cfg))
    problems: list[Problem] = []
    done: set[str] = set()
    for group in GROUPS:
        required = [f"{group}.{f.name}" for f in dataclasses.fields(GROUPS[group]) if _is_missing_default(f)]
        if required and all(k in keys for k in required):
            options = list((group_options or {}).get(group, ()))
            choice = f"{group}={options[0]}" if options else f"{group}=<option>"
            listed = f" (options: {', '.join(options)})" if options else ""
            problems.append(Problem(group, f"no {group} is chosen", f"add {choice}{listed}"))
            done.update(required)
    for key in keys:
        if key in done:
            continue
        problems.append(Problem(key, "is missing (???)", f"set it, e.g. {key}=<value>"))
    return problems


def _is_missing_default(f: dataclasses.Field[Any]) -> bool:
    return f.default == "???"


# ---------------------------------------------------------------------------------------------- types and model
def resolved_container(cfg: DictConfig) -> dict[str, Any]:
    """The user part of the config (no `hydra` node, whose sweep-time interpolations cannot resolve during a run) as
    plain resolved Python containers. Node by node, so the config is never copied."""
    out: dict[str, Any] = {}
    for key in cfg:
        if key in HYDRA_KEYS:
            continue
        value = cfg[key]  # resolves an interpolation; raises on a top-level `???`
        if OmegaConf.is_config(value):
            value = OmegaConf.to_container(value, resolve=True, throw_on_missing=True)
        out[str(key)] = value
    _drop_unset(out)
    return out


def _drop_unset(out: dict[str, Any]) -> None:
    """Leave settings that are unset or off out of config.yaml, which so stays as it was before each setting."""
    for section, key in OPTIONAL_UNSET:
        node = out.get(section)
        if isinstance(node, dict) and key in node and node[key] is None:
            del node[key]
    outputs = out.get("outputs")
    if isinstance(outputs, dict) and not outputs.get("touches"):  # no touch log: not in config.yaml
        outputs.pop("touches", None)
        if outputs.get("touch_sample") == 1.0:
            del outputs["touch_sample"]
    for seg in ((out.get("population") or {}).get("segments") or {}).values():  # unset: not in config.yaml
        if isinstance(seg, dict) and "heterogeneity" in seg and not seg["heterogeneity"]:
            del seg["heterogeneity"]
    journey = out.get("journey")
    if isinstance(journey, dict) and "satisfaction" in journey:  # off (null or enabled: false): not in config.yaml
        sat = journey["satisfaction"]
        if not sat or (isinstance(sat, dict) and sat.get("enabled", True) is False):
            del journey["satisfaction"]


def type_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Check plain values against the schema's types; OmegaConf skips values assigned inside nested mappings.

    Numbers are accepted where floats are expected, numeric strings too (the model converts them).
    """
    problems: list[Problem] = []

    def expect(key: str, what: str, value: Any) -> None:
        problems.append(Problem(key, f"{value!r} is not {what}", f"give {key} {what}"))

    def check(value: Any, tp: Any, key: str) -> None:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if tp is Any or value == "???":
            return
        if origin is typing.Union:
            if value is None:
                return
            tp = next(a for a in args if a is not type(None))
            origin, args = typing.get_origin(tp), typing.get_args(tp)
        sub = _dataclass_of(tp)
        if sub is not None:
            if not isinstance(value, Mapping):
                expect(key, "a mapping", value)
                return
            hints = typing.get_type_hints(sub)
            for name, item in value.items():
                if name in hints:
                    check(item, hints[name], f"{key}.{name}" if key else str(name))
        elif origin is dict:
            if not isinstance(value, Mapping):
                expect(key, "a mapping", value)
                return
            for name, item in value.items():
                check(item, args[1], f"{key}.{name}")
        elif origin is list:
            if not isinstance(value, (list, tuple)):
                expect(key, "a list", value)
                return
            for i, item in enumerate(value):
                check(item, args[0], f"{key}[{i}]")
        elif tp is float:
            if isinstance(value, bool) or not (isinstance(value, (int, float)) or _is_number(value)):
                expect(key, "a number", value)
        elif tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                expect(key, "a whole number", value)
        elif tp is bool and not isinstance(value, bool):
            expect(key, "true or false", value)

    check(dict(data), JourneysimSchema, "")
    return problems


def _is_number(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def scenario_from_container(data: Mapping[str, Any]) -> Scenario:
    """Build the engine's `Scenario` from the resolved config (raises `ConfigError` naming setting and fix, or
    `InvalidConfig` listing every problem of a snapshot file); applies `population.snapshot` and `.from_run`, and
    reads a `sim.parameter_uncertainty` file (its keys checked against the scenario)."""
    data = with_snapshot(data)
    from_run = (data.get("population") or {}).get("from_run")
    scenario = scenario_with_ensemble(scaled_config(data), search=(shipped_config_dir(),))
    if from_run is None:
        return scenario
    dated = (data.get("sim") or {}).get("start_date") is not None
    return continued(scenario, from_run, scenario_from_container, dated)


def validate(
    cfg: DictConfig,
    *,
    overrides: Sequence[str] = (),
    group_options: Mapping[str, Sequence[str]] | None = None,
) -> Scenario:
    """Run every check and return the scenario; raise `InvalidConfig` listing all problems found."""
    return validated(cfg, overrides=overrides, group_options=group_options)[0]


def validated(
    cfg: DictConfig,
    *,
    overrides: Sequence[str] = (),
    group_options: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Scenario, dict[str, Any]]:
    """`validate`, also returning the resolved config it checked (`resolved_container`: what config.yaml records)."""
    problems = unknown_keys(cfg, overrides) + missing_values(cfg, group_options)
    if problems:
        raise InvalidConfig(problems)
    try:
        data = resolved_container(cfg)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "config"
        raise InvalidConfig([Problem(str(key), str(exc).splitlines()[0], "fix the value or interpolation")]) from None
    return validated_data(data, group_options), data


def validated_data(data: dict[str, Any], group_options: Mapping[str, Sequence[str]] | None = None) -> Scenario:
    """The checks of `validated` on a resolved config (`resolved_container`), and its scenario; raises
    `InvalidConfig`. A sweep job that differs from a validated one only in plain values needs only these."""
    problems = type_problems(data)
    if problems:
        raise InvalidConfig(problems)
    strategies = (group_options or {}).get("strategy")
    problems = choice_problems(baseline_choice(data), None if strategies is None else list(strategies))
    if problems:
        raise InvalidConfig(problems)
    try:
        scenario = scenario_from_container(data)
    except InvalidConfig:
        raise
    except ConfigError as exc:  # an ensemble's problems come all at once (`EnsembleProblems.errors`)
        errors = getattr(exc, "errors", None) or [exc]
        raise InvalidConfig([Problem(e.setting, e.problem, e.fix) for e in errors]) from None
    except (TypeError, ValueError) as exc:
        raise InvalidConfig([Problem("config", str(exc), "check the values of the settings named above")]) from None
    problems = objective_problems(data.get("objective"), scenario, baseline_off=baseline_choice(data).name is None)
    problems += touch_problems(data)
    if problems:
        raise InvalidConfig(problems)
    return scenario


def composition_problem(exc: BaseException, overrides: Sequence[str] = ()) -> Problem:
    """A Hydra composition error (bad override, unknown option, wrong type) as a `Problem`."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    cause = exc.__cause__
    if cause is not None and str(cause).strip():
        lines += [line for line in str(cause).splitlines() if line.strip() and line.strip() not in lines]
    setting = "overrides" if overrides else "config"
    text = "\n    ".join(lines) if lines else type(exc).__name__
    return Problem(setting, text, "correct the override or config named above")


def interpolation_problem(exc: OmegaConfBaseException) -> Problem:
    """An OmegaConf error met while resolving the config (`${oc.env:...}`, unknown resolver, a value that
    refers to itself) as a `Problem` naming the setting."""
    key = getattr(exc, "full_key", None) or "config"
    text = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(str(key), text, f"give {key} a plain value, or fix its interpolation")


def problems_text(problems: Iterable[Problem]) -> str:
    """Problems as an indented bullet list, one setting per bullet."""
    return "\n".join(f"  - {p}" for p in problems)
