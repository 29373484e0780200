"""Parameter uncertainty: an ensemble of parameter sets (one row per draw, one column per dotted scenario key) that
a run draws each replication's parameters from (`sim.parameter_uncertainty`). Pure data, checked on construction;
reading and sampling ensembles is `journeysim.study.uncertainty`'s job."""

from __future__ import annotations

import math
from dataclasses import dataclass

from journeysim.errors import ConfigError

SETTING = "sim.parameter_uncertainty"
#: Key parts that name a rate or a multiplier: their values must be > 0 (they are hazards or factors on hazards).
POSITIVE_PARTS = ("rates", "arrivals_per_day", "rate_multiplier", "transition_multipliers", "factor")


def must_be_positive(key: str) -> bool:
    """True when the dotted `key` names a rate (or a factor on one), whose values must be > 0."""
    return any(part in POSITIVE_PARTS for part in key.split("."))


@dataclass(frozen=True)
class ParameterUncertainty:
    """`values[d][k]`: draw d's value of `keys[k]` (natural scale); each replication uses one draw, and
    `per_draw` consecutive replications share a draw, so simulation noise can be told from parameter uncertainty.
    `source`: where the ensemble came from (a file name), for messages."""

    keys: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    per_draw: int = 2
    source: str = ""

    def __post_init__(self) -> None:
        where = f" ({self.source})" if self.source else ""
        if not self.keys:
            raise ConfigError(SETTING, f"the ensemble{where} names no parameter", "give one column per dotted key")
        if len(set(self.keys)) != len(self.keys):
            twice = sorted({k for k in self.keys if self.keys.count(k) > 1})
            raise ConfigError(SETTING, f"the ensemble{where} repeats {', '.join(twice)}", "give each key once")
        if not self.values:
            raise ConfigError(SETTING, f"the ensemble{where} has no draws", "give one row per parameter set")
        if not isinstance(self.per_draw, int) or isinstance(self.per_draw, bool) or self.per_draw < 1:
            raise ConfigError(
                f"{SETTING}.per_draw", f"{self.per_draw!r} is not a whole number >= 1", "give e.g. per_draw=2"
            )
        for d, row in enumerate(self.values):
            if len(row) != len(self.keys):
                raise ConfigError(SETTING, f"draw {d}{where} has {len(row)} values for {len(self.keys)} keys", "")
            for key, v in zip(self.keys, row, strict=True):
                if not math.isfinite(v):
                    raise ConfigError(key, f"draw {d}{where} is {v!r}", "give finite numbers in every draw")
                if must_be_positive(key) and v <= 0:
                    raise ConfigError(
                        key,
                        f"draw {d}{where} is {v:g}, not a positive rate",
                        "give rates > 0 in every draw (sample positive rates on the log scale)",
                    )

    @property
    def draws(self) -> int:
        """How many parameter sets the ensemble holds."""
        return len(self.values)

    def slots(self, replications: int) -> int:
        """How many distinct draws `replications` replications use (`per_draw` replications per draw)."""
        return -(-int(replications) // self.per_draw)
