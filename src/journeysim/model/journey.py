"""The journey: named stages and per-day hazard rates between them (a continuous-time Markov chain).

Back-transitions, skipped stages, re-evaluation loops and repeat purchases are all ordinary edges.
Every entry into a conversion stage is a purchase. Terminal stages are absorbing (churned / lost).
Optional non-exponential dwell times make a stage semi-Markov while keeping its mean holding time
(1 / total outgoing rate) and its destination probabilities, so absorption probabilities, expected
visits and expected times from the analytic module stay exact for semi-Markov journeys too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError, did_you_mean, name_list
from journeysim.model.dwell import Dwell

__all__ = ["FUNNEL_POSITIONS", "MAX_STAGES", "Dwell", "Journey", "stage_list"]

FUNNEL_POSITIONS = ("top", "middle", "bottom", "post_purchase", "exit")
MAX_STAGES = 63  # each customer's visited stages are one 64-bit set


@dataclass(frozen=True)
class Journey:
    """Stages and per-day hazard rates `rates[from][to]`; validated on construction."""

    stages: tuple[str, ...]
    entry: str
    conversion: tuple[str, ...]
    rates: Mapping[str, Mapping[str, float]]
    terminal: tuple[str, ...] = ()
    positions: Mapping[str, str] = field(default_factory=dict)
    dwell: Mapping[str, Dwell] = field(default_factory=dict)
    promoters: tuple[str, ...] | None = None
    detractors: tuple[str, ...] | None = None
    name: str = "journey"

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "conversion", tuple(self.conversion))
        object.__setattr__(self, "terminal", tuple(self.terminal))
        self._validate_stages()
        rates = {
            src: MappingProxyType({dst: float(r) for dst, r in (row or {}).items()}) for src, row in self.rates.items()
        }
        object.__setattr__(self, "rates", MappingProxyType(rates))
        self._validate_rates()
        object.__setattr__(self, "positions", MappingProxyType(self._resolve_positions()))
        object.__setattr__(self, "dwell", MappingProxyType(self._resolve_dwell()))
        promoters = self.promoters
        if promoters is None:
            promoters = tuple(s for s in self.stages if s == "advocacy")
        detractors = self.detractors
        if detractors is None:
            detractors = self.terminal
        object.__setattr__(self, "promoters", tuple(promoters))
        object.__setattr__(self, "detractors", tuple(detractors))
        for key, names in (("journey.promoters", self.promoters), ("journey.detractors", self.detractors)):
            for s in names or ():
                self._check_stage(key, s)
        self._validate_reachability()

    # ------------------------------------------------------------------ validation
    def _check_stage(self, setting: str, name: str) -> None:
        if name not in self.stages:
            raise ConfigError(
                setting,
                f"unknown stage '{name}'{did_you_mean(str(name), self.stages)}",
                f"use one of the journey's stages: {', '.join(self.stages)}",
            )

    def _validate_stages(self) -> None:
        if not self.stages:
            raise ConfigError("journey.stages", "the journey has no stages", "list at least two stages")
        if len(self.stages) > MAX_STAGES:
            raise ConfigError(
                "journey.stages",
                f"{len(self.stages)} stages are more than the {MAX_STAGES} the engine tracks",
                "merge stages",
            )
        seen: set[str] = set()
        for s in self.stages:
            if not isinstance(s, str) or not s:
                raise ConfigError("journey.stages", f"stage name {s!r} is not a non-empty string", "name every stage")
            if s in seen:
                raise ConfigError("journey.stages", f"stage '{s}' is listed twice", "give every stage a unique name")
            seen.add(s)
        self._check_stage("journey.entry", self.entry)
        if not self.conversion:
            raise ConfigError(
                "journey.conversion", "no conversion stage is given", "name the purchase stage(s), e.g. [purchase]"
            )
        for s in self.conversion:
            self._check_stage("journey.conversion", s)
        for s in self.terminal:
            self._check_stage("journey.terminal", s)
        if self.entry in self.terminal:
            raise ConfigError(
                "journey.entry", f"the entry stage '{self.entry}' is terminal", "choose a non-terminal entry stage"
            )

    def _validate_rates(self) -> None:
        for src, row in self.rates.items():
            self._check_stage(f"journey.rates.{src}", src)
            if src in self.terminal and any(r > 0 for r in row.values()):
                raise ConfigError(
                    f"journey.rates.{src}",
                    f"terminal stage '{src}' has outgoing rates",
                    f"remove the rates out of '{src}' or drop it from journey.terminal",
                )
            for dst, r in row.items():
                self._check_stage(f"journey.rates.{src}.{dst}", dst)
                if not math.isfinite(r) or r < 0:
                    raise ConfigError(
                        f"journey.rates.{src}.{dst}",
                        f"rate {r!r} is not a finite non-negative per-day hazard",
                        "give a rate >= 0 per day (e.g. 0.05 means about once every 20 days)",
                    )
                if dst == src and r > 0:
                    raise ConfigError(
                        f"journey.rates.{src}.{dst}",
                        "a stage cannot transition to itself",
                        "remove the self-transition (staying is implied by the other rates)",
                    )

    def _resolve_positions(self) -> dict[str, str]:
        out: dict[str, str] = {}
        given = dict(self.positions)
        for s, p in given.items():
            self._check_stage(f"journey.positions.{s}", s)
            if p not in FUNNEL_POSITIONS:
                raise ConfigError(
                    f"journey.positions.{s}",
                    f"unknown funnel position '{p}'{did_you_mean(str(p), FUNNEL_POSITIONS)}",
                    f"use one of {', '.join(FUNNEL_POSITIONS)}",
                )
        first_conv = min(self.stages.index(c) for c in self.conversion)
        pre = [s for s in self.stages[:first_conv] if s not in self.terminal]
        for i, s in enumerate(self.stages):
            if s in given:
                out[s] = given[s]
            elif s in self.terminal:
                out[s] = "exit"
            elif s in self.conversion:
                out[s] = "bottom"
            elif i > first_conv:
                out[s] = "post_purchase"
            else:
                # split pre-purchase stages into thirds: top, middle, bottom
                j = pre.index(s)
                out[s] = ("top", "middle", "bottom")[min(2, (3 * j) // max(1, len(pre)))]
        return out

    def _resolve_dwell(self) -> dict[str, Dwell]:
        out = {}
        for s, d in self.dwell.items():
            self._check_stage(f"journey.dwell.{s}", s)
            out[s] = d if isinstance(d, Dwell) else Dwell(**d)  # type: ignore[arg-type]
        return out

    def _validate_reachability(self) -> None:
        reach = self.reachable_from(self.entry)
        if not any(c in reach for c in self.conversion):
            raise ConfigError(
                "journey.conversion",
                f"no conversion stage ({', '.join(self.conversion)}) can be reached from the entry stage "
                f"'{self.entry}'",
                "add rates that lead from the entry stage to a conversion stage",
            )

    # ------------------------------------------------------------------ views
    def reachable_from(self, start: str) -> set[str]:
        """Stages reachable from `start` through positive rates (including `start`)."""
        seen = {start}
        todo = [start]
        while todo:
            s = todo.pop()
            for d, r in self.rates.get(s, {}).items():
                if r > 0 and d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    @property
    def n_stages(self) -> int:
        return len(self.stages)

    def index(self, stage: str) -> int:
        return self.stages.index(stage)

    @property
    def entry_index(self) -> int:
        return self.stages.index(self.entry)

    @property
    def conversion_indices(self) -> tuple[int, ...]:
        return tuple(self.stages.index(s) for s in self.conversion)

    @property
    def terminal_indices(self) -> tuple[int, ...]:
        return tuple(self.stages.index(s) for s in self.terminal)

    @property
    def pre_purchase_indices(self) -> tuple[int, ...]:
        """Stages whose funnel position is top, middle or bottom and which are not conversion stages."""
        conv = set(self.conversion)
        return tuple(
            i for i, s in enumerate(self.stages) if self.positions[s] in ("top", "middle", "bottom") and s not in conv
        )

    def rate_matrix(self) -> NDArray[np.float64]:
        """S x S matrix of per-day hazards (zero diagonal)."""
        m = np.zeros((self.n_stages, self.n_stages))
        for src, row in self.rates.items():
            for dst, r in row.items():
                m[self.index(src), self.index(dst)] = r
        return m

    def generator(self) -> NDArray[np.float64]:
        """CTMC generator Q (rows sum to zero)."""
        m = self.rate_matrix()
        return m - np.diag(m.sum(axis=1))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Journey:
        """Build from the YAML shape (stages, entry, conversion, terminal, rates, ...)."""
        known = {
            "stages",
            "entry",
            "conversion",
            "terminal",
            "rates",
            "positions",
            "dwell",
            "promoters",
            "detractors",
            "name",
            "satisfaction",  # the post-purchase hand-off: read by `Scenario` (model.satisfaction), not the journey
        }
        for k in data:
            if k not in known:
                raise ConfigError(
                    f"journey.{k}",
                    f"unknown setting '{k}'{did_you_mean(str(k), known)}",
                    f"remove it or use one of {', '.join(sorted(known))}",
                )
        for k in ("stages", "entry", "conversion", "rates"):
            if data.get(k) in (None, "???"):
                raise ConfigError(f"journey.{k}", "is missing", f"set journey.{k}")
        dwell = {s: Dwell(**dict(d)) for s, d in (data.get("dwell") or {}).items()}
        return cls(
            stages=tuple(data["stages"]),
            entry=data["entry"],
            conversion=name_list(data["conversion"]),
            terminal=name_list(data.get("terminal")),
            rates={s: dict(row or {}) for s, row in dict(data["rates"]).items()},
            positions=dict(data.get("positions") or {}),
            dwell=dwell,
            promoters=name_list(data["promoters"]) if data.get("promoters") is not None else None,
            detractors=name_list(data["detractors"]) if data.get("detractors") is not None else None,
            name=str(data.get("name") or "journey"),
        )


def stage_list(journey: Journey, names: Sequence[str]) -> NDArray[np.intp]:
    """Indices of the named stages."""
    return np.array([journey.index(s) for s in names], dtype=np.intp)
