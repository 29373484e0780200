"""Spend patterns a media-mix model can learn from: flights (on/off weeks), pulsing (high/low weeks) and random
week-to-week budgets.

Even pacing gives every day the same money, so a regression of outcomes on spend cannot tell a channel's effect
from the baseline. These profiles vary the money week by week; each returns unnormalised daily weights over a
flight of `days` days (weeks counted from the flight's first day), which `media.pacing_profile` normalises, so
the channel's budget is spent exactly whatever the pattern. `resolve` turns a strategy's `pacing:` mapping into
one channel's weights; random weights come from a stream spawned for that channel from the strategy's seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError, check_keys, number


def _weeks(days: int, offset_weeks: int) -> NDArray[np.int64]:
    """The week number (from the flight's first day, shifted by `offset_weeks`) of each day of the flight."""
    return np.arange(days, dtype=np.int64) // 7 + int(offset_weeks)


def flighted(days: int, on_weeks: int = 2, off_weeks: int = 2, offset_weeks: int = 0) -> NDArray[np.float64]:
    """1 on the days of `on_weeks` weeks, 0 on the following `off_weeks` weeks, repeated (a burst-and-dark plan)."""
    return (_weeks(days, offset_weeks) % (on_weeks + off_weeks) < on_weeks).astype(float)


def pulsing(
    days: int, high_weeks: int = 2, low_weeks: int = 2, low: float = 0.25, offset_weeks: int = 0
) -> NDArray[np.float64]:
    """1 in `high_weeks` weeks, `low` (a share of the high level) in the following `low_weeks` weeks, repeated."""
    high = _weeks(days, offset_weeks) % (high_weeks + low_weeks) < high_weeks
    return np.where(high, 1.0, float(low))


def random_weeks(days: int, cv: float = 0.5, stream: np.random.SeedSequence | None = None) -> NDArray[np.float64]:
    """One weight per week, constant within the week, gamma-distributed with mean 1 and coefficient of variation
    `cv` (shape 1/cv^2), drawn from `stream` (default: `SeedSequence(0)`)."""
    rng = np.random.default_rng(stream if stream is not None else np.random.SeedSequence(0))
    n_weeks = (days + 6) // 7
    if cv <= 0:
        w = np.ones(n_weeks)
    else:
        shape = 1.0 / (cv * cv)
        w = rng.gamma(shape, 1.0 / shape, size=n_weeks)
    return np.repeat(w, 7)[:days].astype(float)


#: Options of each parameterised pacing (`strategy.pacing: {kind: ..., <option>: ...}`); `stagger_weeks` shifts
#: the pattern of the i-th channel of the strategy by i x stagger_weeks weeks, so channels do not move together.
OPTIONS: dict[str, tuple[str, ...]] = {
    "flighted": ("on_weeks", "off_weeks", "offset_weeks", "stagger_weeks"),
    "pulsing": ("high_weeks", "low_weeks", "low", "offset_weeks", "stagger_weeks"),
    "random": ("cv", "seed"),
}
_WHOLE = ("on_weeks", "off_weeks", "high_weeks", "low_weeks", "offset_weeks", "stagger_weeks", "seed")


def check_options(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a `strategy.pacing` mapping, checked: known names, whole weeks, shares and seeds in range."""
    if options and kind not in OPTIONS:
        raise ConfigError(
            f"strategy.pacing.{next(iter(options))}",
            f"pacing '{kind}' takes no options",
            f"give only the kind, or one of {', '.join(OPTIONS)} with its options",
        )
    check_keys("strategy.pacing", options, OPTIONS.get(kind, ()))
    out: dict[str, Any] = {}
    for key, value in options.items():
        setting = f"strategy.pacing.{key}"
        if key in _WHOLE:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(setting, f"{value!r} is not a whole number >= 0", f"give e.g. {key}: 2")
            out[key] = int(value)
        else:
            high = 1.0 if key == "low" else math.inf
            out[key] = number(setting, value, high=high, fix=f"give {key} as a number >= 0 (low: a share in [0, 1])")
    for a, b in (("on_weeks", "off_weeks"), ("high_weeks", "low_weeks")):
        if a in OPTIONS.get(kind, ()) and out.get(a, 2) + out.get(b, 2) == 0:
            raise ConfigError(f"strategy.pacing.{a}", "the pattern has no weeks", f"give {a} >= 1")
    if kind == "flighted" and out.get("on_weeks", 2) == 0:
        raise ConfigError("strategy.pacing.on_weeks", "a flighted plan with no on weeks spends nothing", "give >= 1")
    return out


def resolve(
    kind: str, options: Mapping[str, Any], days: int, index: int, stream: np.random.SeedSequence
) -> NDArray[np.float64]:
    """Daily weights of the `index`-th channel of a strategy for a parameterised pacing over `days` flight days;
    `stream` is that channel's own stream (used by `random` only)."""
    opts = dict(options)
    if kind == "random":
        return random_weeks(days, float(opts.get("cv", 0.5)), stream)
    stagger = int(opts.pop("stagger_weeks", 0))
    opts["offset_weeks"] = int(opts.get("offset_weeks", 0)) + stagger * index
    weights = flighted(days, **opts) if kind == "flighted" else pulsing(days, **opts)
    if days > 0 and weights.sum() <= 0:
        raise ConfigError(
            "strategy.pacing.offset_weeks",
            f"channel {index + 1} of the strategy has only off weeks within its {days}-day flight",
            "shorten the off weeks or the offsets, or lengthen the flight",
        )
    return weights
