"""The population: segments (personas) with their own starting mix, arrivals, rate multipliers and order values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError, check_keys, number
from journeysim.model.heterogeneity import Heterogeneity
from journeysim.model.order_value import OrderValue

#: The name reports use for the total over segments (`metrics.timeseries.ALL_SEGMENTS`); no segment may take it.
RESERVED_SEGMENT = "all"

__all__ = ["RESERVED_SEGMENT", "OrderValue", "Population", "Segment"]


@dataclass(frozen=True)
class Segment:
    """One persona: customers present at day 0 by stage, Poisson arrivals per day, rate multipliers, order values.

    The arrival intensity on day d is `arrivals_per_day * weekly[(w0 + d) % 7] * (1 + seasonal_amplitude *
    cos(2 pi (s0 + d - seasonal_peak_day) / 365))`, with `weekly` normalised to mean 1 (Monday first); it is
    constant within a day. The calendar origin (w0, s0) is (0, 0) (day 0 a Monday, the peak day counted from day 0)
    unless `sim.start_date` dates day 0 (`Settings.calendar_origin`: its weekday and day of the year).
    `rate_multiplier` scales every rate; `transition_multipliers[from][to]` scales single rates on top.
    """

    name: str
    initial: Mapping[str, int] = field(default_factory=dict)
    arrivals_per_day: float = 0.0
    weekly: tuple[float, ...] | None = None
    seasonal_amplitude: float = 0.0
    seasonal_peak_day: float = 0.0
    rate_multiplier: float = 1.0
    transition_multipliers: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    order_value: OrderValue = field(default_factory=OrderValue)
    heterogeneity: Heterogeneity = field(default_factory=Heterogeneity)  # per-customer effects (none: identical)

    def __post_init__(self) -> None:
        p = f"population.segments.{self.name}"
        if not self.name:
            raise ConfigError("population.segments", "a segment has no name", "give every segment a name")
        if self.name == RESERVED_SEGMENT:
            raise ConfigError(
                p, f"segment name '{RESERVED_SEGMENT}' is reserved for the total over segments", "rename the segment"
            )
        for s, n in self.initial.items():
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
                raise ConfigError(f"{p}.initial.{s}", f"{n!r} is not a whole number >= 0", "give a customer count >= 0")
        object.__setattr__(self, "initial", MappingProxyType({s: int(n) for s, n in self.initial.items()}))
        number(f"{p}.arrivals_per_day", self.arrivals_per_day, fix="give expected new prospects per day >= 0")
        if self.weekly is not None:
            w = tuple(float(x) for x in self.weekly)
            if len(w) != 7 or any(not math.isfinite(x) or x < 0 for x in w) or sum(w) <= 0:
                raise ConfigError(
                    f"{p}.weekly",
                    f"weekly profile {list(self.weekly)} is not 7 non-negative numbers with a positive sum",
                    "give seven relative weights, Monday first, e.g. [1,1,1,1,1,0.5,0.5]",
                )
            object.__setattr__(self, "weekly", w)
        if not (0.0 <= self.seasonal_amplitude <= 1.0):
            raise ConfigError(
                f"{p}.seasonal_amplitude",
                f"{self.seasonal_amplitude!r} is outside [0, 1]",
                "give a relative amplitude between 0 (flat) and 1",
            )
        number(f"{p}.rate_multiplier", self.rate_multiplier, fix="give a multiplier >= 0 (1 = unchanged)")
        tm = {}
        for src, row in self.transition_multipliers.items():
            tm[src] = MappingProxyType(
                {
                    dst: number(
                        f"{p}.transition_multipliers.{src}.{dst}", m, fix="give a multiplier >= 0 (1 = unchanged)"
                    )
                    for dst, m in (row or {}).items()
                }
            )
        object.__setattr__(self, "transition_multipliers", MappingProxyType(tm))

    def intensity(self, horizon_days: int, weekday0: int = 0, season0: int = 0) -> NDArray[np.float64]:
        """Expected arrivals on each day 0..horizon-1 (the day's constant Poisson intensity); day 0 is weekday
        `weekday0` (0 = Monday) and season day `season0` (see the class docstring)."""
        days = np.arange(horizon_days)
        lam = np.full(horizon_days, self.arrivals_per_day, dtype=float)
        if self.weekly is not None:
            w = np.asarray(self.weekly) / np.mean(self.weekly)
            lam *= w[(days + weekday0) % 7] if weekday0 else w[days % 7]
        if self.seasonal_amplitude:
            season = days + season0 if season0 else days
            lam *= 1.0 + self.seasonal_amplitude * np.cos(2 * np.pi * (season - self.seasonal_peak_day) / 365.0)
        return lam

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Segment:
        known = (
            "initial",
            "arrivals_per_day",
            "weekly",
            "seasonal_amplitude",
            "seasonal_peak_day",
            "rate_multiplier",
            "transition_multipliers",
            "order_value",
            "heterogeneity",
            "name",
        )
        check_keys(f"population.segments.{name}", data, known)
        ov = data.get("order_value") or {}
        check_keys(f"population.segments.{name}.order_value", ov, ("kind", "mean", "cv", "margin"))
        return cls(
            name=name,
            initial=dict(data.get("initial") or {}),
            arrivals_per_day=float(data.get("arrivals_per_day", 0.0)),
            weekly=tuple(data["weekly"]) if data.get("weekly") is not None else None,
            seasonal_amplitude=float(data.get("seasonal_amplitude", 0.0)),
            seasonal_peak_day=float(data.get("seasonal_peak_day", 0.0)),
            rate_multiplier=float(data.get("rate_multiplier", 1.0)),
            transition_multipliers={s: dict(r or {}) for s, r in (data.get("transition_multipliers") or {}).items()},
            order_value=OrderValue(**dict(ov)),
            heterogeneity=Heterogeneity.from_dict(
                f"population.segments.{name}.heterogeneity", data.get("heterogeneity")
            ),
        )


@dataclass(frozen=True)
class Population:
    """The segments of a scenario, in a fixed order (segment index = position)."""

    segments: tuple[Segment, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        if not self.segments:
            raise ConfigError("population.segments", "the population has no segments", "define at least one segment")
        names = [s.name for s in self.segments]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ConfigError(
                "population.segments", f"segment name(s) {sorted(dup)} repeat", "give every segment a unique name"
            )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Population:
        """Build from `{segments: {name: {...}}}`."""
        check_keys("population", data, ("segments", "name"))
        segs = data.get("segments")
        if not segs:
            raise ConfigError("population.segments", "the population has no segments", "define at least one segment")
        return cls(segments=tuple(Segment.from_dict(n, d or {}) for n, d in dict(segs).items()))
