"""Errors raised for bad user input: each names the setting, the problem and the fix."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class ConfigError(ValueError):
    """A setting is invalid. The CLI turns this into a one-paragraph message and exit code 2."""

    def __init__(self, setting: str, problem: str, fix: str) -> None:
        self.setting = setting
        self.problem = problem
        self.fix = fix
        super().__init__(f"{setting}: {problem}. Fix: {fix}")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' hint for a misspelt name, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_keys(prefix: str, data: Mapping[str, Any], known: Sequence[str]) -> None:
    """Refuse keys outside `known` under `prefix`, suggesting the closest known one."""
    for k in data:
        if k not in known:
            raise ConfigError(
                f"{prefix}.{k}",
                f"unknown setting '{k}'{did_you_mean(str(k), known)}",
                f"remove it or use one of {', '.join(sorted(known))}",
            )


def number(setting: str, value: Any, *, fix: str, low: float = 0.0, high: float = math.inf) -> float:
    """`value` as a finite float in [low, high], or a ConfigError naming the setting and the fix."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(setting, f"{value!r} is not a number", fix) from None
    if not math.isfinite(v) or v < low or v > high:
        bounds = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ConfigError(setting, f"{value!r} is not a finite number {bounds}", fix)
    return v


def name_list(value: Any) -> tuple[str, ...]:
    """A list of stage, position or segment names; one name written alone (`terminal: lost`) is a list of one.

    `tuple("lost")` would split the name into letters, which then fail (or, with one-letter names, pass) the checks.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)
