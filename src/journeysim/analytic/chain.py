"""The chain the analytic answers are computed on: one journey's (or one scenario segment's) per-day hazards.

Also the shared input checks (start stage, horizon) and the warnings raised when an answer rests on an assumption
the model breaks: a finite-horizon answer for a semi-Markov journey (only infinite-horizon answers stay exact),
or a scenario whose strategy or word of mouth changes rates over time (ignored here: baseline rates only).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from journeysim.analytic.generator import generator
from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario


class SemiMarkovWarning(UserWarning):
    """A finite-horizon answer was computed for a journey with non-exponential dwell times (it is approximate)."""


class InterventionsIgnoredWarning(UserWarning):
    """The scenario has a strategy or word of mouth; the analytic answers use its baseline rates only."""


def ignored_interventions(scenario: Scenario) -> list[str]:
    """What the analytic answers leave out of a scenario: its strategy and / or its word of mouth."""
    parts = []
    if scenario.strategy.plans or scenario.strategy.rate_multipliers:
        parts.append("strategy")
    if scenario.word_of_mouth.active:
        parts.append("word of mouth")
    return parts


def _warn_if_interventions(scenario: Scenario) -> None:
    """Warn when a scenario changes rates over time (channels, rate multipliers, word of mouth)."""
    parts = ignored_interventions(scenario)
    if parts:
        warnings.warn(
            f"the analytic answers use the scenario's baseline rates and ignore its {' and '.join(parts)}; "
            "simulate to see their effect",
            InterventionsIgnoredWarning,
            stacklevel=4,
        )


@dataclass(frozen=True)
class Chain:
    """Per-day hazards `rates[from, to]` with the stage names, the entry stage and the conversion stages."""

    stages: tuple[str, ...]
    rates: NDArray[np.float64]
    entry: int
    conversion: tuple[int, ...]
    non_exponential: tuple[str, ...] = ()

    @property
    def n_stages(self) -> int:
        return len(self.stages)

    @property
    def total(self) -> NDArray[np.float64]:
        """Total outgoing hazard per stage (1 / mean holding time); zero for stages with no way out."""
        return np.asarray(self.rates.sum(axis=1), dtype=np.float64)

    @property
    def generator(self) -> NDArray[np.float64]:
        """CTMC generator Q = rates - diag(total)."""
        return generator(self.rates)

    @property
    def jump_matrix(self) -> NDArray[np.float64]:
        """Embedded jump chain P = rates / total; rows of stages with no way out are zero."""
        q = self.total
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(q[:, None] > 0, self.rates / q[:, None], 0.0)
        return np.asarray(p, dtype=np.float64)

    @property
    def conversion_rate(self) -> NDArray[np.float64]:
        """Per stage, the hazard of a jump into any conversion stage (the purchase rate while there)."""
        return np.asarray(self.rates[:, list(self.conversion)].sum(axis=1), dtype=np.float64)

    def stage_index(self, setting: str, name: str) -> int:
        """Index of a named stage, or a ConfigError naming the setting."""
        if name not in self.stages:
            raise ConfigError(
                setting,
                f"unknown stage '{name}'{did_you_mean(str(name), self.stages)}",
                f"use one of the journey's stages: {', '.join(self.stages)}",
            )
        return self.stages.index(name)

    def start_index(self, start: str | None) -> int:
        """The start stage's index; the entry stage when `start` is None."""
        return self.entry if start is None else self.stage_index("start", start)

    def warn_if_semi_markov(self, what: str, stacklevel: int = 3) -> None:
        """Warn that a finite-horizon answer assumes exponential holding times."""
        if self.non_exponential:
            warnings.warn(
                f"{what} assumes exponential holding times; stage(s) {', '.join(self.non_exponential)} have "
                "non-exponential dwell, so this finite-horizon value is approximate (infinite-horizon "
                "probabilities, visits and expected times stay exact)",
                SemiMarkovWarning,
                stacklevel=stacklevel,
            )


def chain_of(model: Journey | Scenario, segment: str | int | None = None) -> Chain:
    """The chain of a journey, or of one segment of a scenario (its rate multipliers applied)."""
    if isinstance(model, Scenario):
        journey = model.journey
        names = model.population.names
        if segment is None:
            if len(names) != 1:
                raise ConfigError(
                    "segment",
                    f"the scenario has {len(names)} segments ({', '.join(names)}) and none was chosen",
                    f"pass segment='{names[0]}' (or its index)",
                )
            g = 0
        elif isinstance(segment, (int, np.integer)) and not isinstance(segment, bool):
            if not 0 <= int(segment) < len(names):
                raise ConfigError(
                    "segment", f"index {segment} is out of range", f"use 0..{len(names) - 1} or a segment name"
                )
            g = int(segment)
        else:
            if segment not in names:
                raise ConfigError(
                    "segment",
                    f"unknown segment '{segment}'{did_you_mean(str(segment), names)}",
                    f"use one of {', '.join(names)}",
                )
            g = names.index(str(segment))
        rates = np.asarray(model.rate_tensor()[g], dtype=np.float64)
        _warn_if_interventions(model)
    elif isinstance(model, Journey):
        if segment is not None:
            raise ConfigError(
                "segment", "a segment was given for a plain journey", "pass a Scenario to use segment rates"
            )
        journey = model
        rates = journey.rate_matrix()
    else:
        raise TypeError(f"expected a Journey or a Scenario, got {type(model).__name__}")
    return Chain(
        stages=journey.stages,
        rates=rates,
        entry=journey.entry_index,
        conversion=journey.conversion_indices,
        non_exponential=tuple(s for s, d in journey.dwell.items() if not d.is_exponential),
    )


def check_horizon(horizon: float | None, *, required: bool = False) -> float | None:
    """A finite horizon in days >= 0, or None for an infinite horizon (`math.inf` also means infinite)."""
    if horizon is None:
        if required:
            raise ConfigError("horizon", "is missing", "give the horizon in days, e.g. horizon=365")
        return None
    try:
        h = float(horizon)
    except (TypeError, ValueError):
        raise ConfigError("horizon", f"{horizon!r} is not a number of days", "give e.g. horizon=365") from None
    if math.isnan(h) or h < 0:
        raise ConfigError("horizon", f"{horizon!r} is not a number of days >= 0", "give e.g. horizon=365")
    if math.isinf(h):
        if required:
            raise ConfigError("horizon", "must be finite here", "give a finite horizon in days, e.g. horizon=365")
        return None
    return h


def check_rate(setting: str, value: float) -> float:
    """A finite, non-negative number (e.g. arrivals per day)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(setting, f"{value!r} is not a number", "give a finite number >= 0") from None
    if not math.isfinite(v) or v < 0:
        raise ConfigError(setting, f"{value!r} is not a finite number >= 0", "give a finite number >= 0")
    return v
