"""The counterfactual baseline of a run (`baseline`, `baseline_channels`): which strategy the run is compared with.

`baseline: auto` (the default) compares a run whose strategy spends money with the same scenario without any
spend (`Strategy()`), on the same seeds; a run that spends nothing gets no baseline. `baseline: <strategy
preset>` (e.g. `none`, `balanced`) compares with that preset whatever the run spends. `baseline: null` turns it
off. `baseline_channels: true` adds each channel's removal effect and marginal ROAS (2 more simulations per
channel and replication). The preset itself is composed by the caller (Hydra); this module only decides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from journeysim.config.problems import Problem
from journeysim.errors import ConfigError, did_you_mean
from journeysim.interventions import Strategy
from journeysim.model.scenario import Scenario
from journeysim.study.baseline import NO_SPEND, Baseline, auto_baseline

__all__ = [
    "AUTO",
    "NO_SPEND",
    "Baseline",
    "BaselineChoice",
    "baseline_choice",
    "choice_problems",
    "resolve_baseline",
]

AUTO = "auto"


@dataclass(frozen=True)
class BaselineChoice:
    """What the config asks for: `name` is None (off), "auto" or a strategy preset; `channels` per channel too."""

    name: str | None = AUTO
    channels: bool = False

    @property
    def preset(self) -> str | None:
        """The strategy preset to compose, when one is named."""
        return None if self.name in (None, AUTO) else self.name


def baseline_choice(data: Mapping[str, Any]) -> BaselineChoice:
    """Read `baseline` and `baseline_channels` from a resolved config (defaults: auto, false)."""
    name = data.get("baseline", AUTO)
    return BaselineChoice(None if name is None else str(name), bool(data.get("baseline_channels", False)))


def choice_problems(choice: BaselineChoice, strategies: Sequence[str] | None) -> list[Problem]:
    """An unknown preset name (when the strategy options are known), with a "did you mean"."""
    if choice.preset is None or strategies is None or choice.preset in strategies:
        return []
    options = ", ".join([AUTO, "null", *strategies])
    return [
        Problem(
            "baseline",
            f"unknown baseline '{choice.preset}'{did_you_mean(choice.preset, list(strategies))}",
            f"use one of {options} (auto: no spend when the strategy spends; null: no baseline)",
        )
    ]


def resolve_baseline(
    scenario: Scenario, choice: BaselineChoice, preset: Mapping[str, Any] | None = None
) -> Baseline | None:
    """The baseline to run for `scenario`, or None. `preset` is the composed `strategy` node of the named preset.

    Raises `ConfigError` (setting `baseline`) when the preset does not fit the scenario (unknown channel...).
    """
    if choice.name is None:
        return None
    if choice.name == AUTO:
        return auto_baseline(scenario, choice.channels)
    if preset is None:
        raise ConfigError("baseline", f"strategy preset '{choice.name}' was not loaded", "name a strategy preset")
    try:
        strategy = Strategy.from_dict(dict(preset), scenario.settings.horizon_days)
        dataclasses.replace(scenario, strategy=strategy)  # the scenario's own checks, on the baseline strategy
    except ConfigError as exc:
        raise ConfigError(
            "baseline", f"strategy preset '{choice.name}' does not fit: {exc.setting}: {exc.problem}", exc.fix
        ) from None
    return Baseline(choice.name, strategy, choice.channels)
