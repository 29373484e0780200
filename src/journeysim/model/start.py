"""Where a run starts: the calendar date of day 0 (`sim.start_date`) and the state carried over from an earlier run.

A continued run (`population.from_run`) starts each replication r from the end state of the earlier run's
replication r (modulo its number of replications): its customers by segment and stage, their per-customer random
effects, and each channel's adstock, so the continuation is, in law, the earlier run carried on.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError

__all__ = ["CarriedReplication", "StartState", "parse_start_date"]

CONTINUED_KEY = 0xC0_47_1D  # spawn-key word marking a continued run's streams
DATE_FIX = "give an ISO date (year-month-day), e.g. sim.start_date=2027-01-04, or null for no calendar"


def parse_start_date(value: Any) -> datetime.date | None:
    """`sim.start_date` as a date: None stays None, a date or an ISO 'YYYY-MM-DD' string is read; else ConfigError."""
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError("sim.start_date", f"{value!r} is not a date", DATE_FIX)


@dataclass(frozen=True)
class CarriedReplication:
    """One replication's end state: customers per (segment, stage), their effects in roster order, adstock."""

    counts: NDArray[np.int64]  # (G, S) customers by segment and stage (roster order: segment, then stage)
    effects: NDArray[np.float64] | None = None  # (n, E) per-customer effect values in roster order, or None
    adstock: Mapping[str, float] = field(default_factory=dict)  # channel -> adstock at the end of the earlier run
    age: NDArray[np.float64] | None = None  # (n,) days each customer has spent in its stage, in roster order

    def __post_init__(self) -> None:
        object.__setattr__(self, "adstock", MappingProxyType(dict(self.adstock)))


@dataclass(frozen=True)
class StartState:
    """The carried-over state of an earlier run, one entry per earlier replication."""

    source: str  # where it came from (the earlier run directory), for messages
    replications: tuple[CarriedReplication, ...]
    effect_names: tuple[str, ...] = ()  # names of the effect columns in `CarriedReplication.effects`
    generation: int = 1  # k-th continuation: salts the random streams, so no customer reuses an earlier one's

    def seed_for(self, seed: np.random.SeedSequence) -> np.random.SeedSequence:
        """The replication's seed moved to this generation's own streams (the earlier run used `seed` itself)."""
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, CONTINUED_KEY, self.generation))

    def __post_init__(self) -> None:
        if not self.replications:
            raise ConfigError("population.from_run", f"{self.source} holds no replication", "give a finished run")

    def of(self, replication: int) -> CarriedReplication:
        """The state replication `replication` starts from (earlier replications reused cyclically)."""
        return self.replications[replication % len(self.replications)]
