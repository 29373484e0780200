"""A scenario: journey + population + simulation settings, cross-validated; the engines' only input."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError, did_you_mean
from journeysim.interventions import ARRIVALS, EFFECT_KINDS, POSITIONS, REFERRALS, Channel, Strategy, WordOfMouth
from journeysim.interventions.effects import TRANSITION
from journeysim.model.heterogeneity import Heterogeneity
from journeysim.model.journey import Journey
from journeysim.model.population import Population
from journeysim.model.satisfaction import Satisfaction
from journeysim.model.start import StartState, parse_start_date
from journeysim.model.uncertainty import ParameterUncertainty

ENGINES = ("fast", "reference")


@dataclass(frozen=True)
class Settings:
    """How to run: horizon in days, replications, root seed, engine, event log, CLV discounting, and the calendar:
    `start_date` dates day 0 (None: no calendar, day 0 a Monday); `day_offset` counts the days an undated run
    continues after (set by `population.from_run`, so weekly and seasonal patterns carry on where they were)."""

    horizon_days: int = 365
    replications: int = 1
    seed: int = 0
    engine: str = "fast"
    event_log: bool = False
    discount_rate_annual: float = 0.10
    start_date: datetime.date | None = None
    day_offset: int = 0
    parameter_uncertainty: ParameterUncertainty | None = None  # each replication's parameters drawn from it

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_date", parse_start_date(self.start_date))
        if not isinstance(self.horizon_days, (int, np.integer)) or self.horizon_days < 1:
            raise ConfigError(
                "sim.horizon_days",
                f"{self.horizon_days!r} is not a whole number >= 1",
                "give the projection horizon in days, e.g. sim.horizon_days=365",
            )
        if not isinstance(self.replications, (int, np.integer)) or self.replications < 1:
            raise ConfigError(
                "sim.replications",
                f"{self.replications!r} is not a whole number >= 1",
                "give the number of independent replications, e.g. sim.replications=10",
            )
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(
                "sim.seed", f"{self.seed!r} is not a whole number >= 0", "give a seed >= 0, e.g. sim.seed=42"
            )
        if self.engine not in ENGINES:
            raise ConfigError(
                "sim.engine",
                f"unknown engine '{self.engine}'{did_you_mean(self.engine, ENGINES)}",
                "use sim.engine=fast (vectorised) or sim.engine=reference (one SimPy process per customer)",
            )
        r = float(self.discount_rate_annual)
        if not math.isfinite(r) or r <= -1:
            raise ConfigError(
                "sim.discount_rate_annual",
                f"{self.discount_rate_annual!r} is not a rate > -1",
                "give the annual discount rate for CLV as a fraction, e.g. 0.10",
            )
        pu = self.parameter_uncertainty
        if pu is not None and not isinstance(pu, ParameterUncertainty):
            raise ConfigError(
                "sim.parameter_uncertainty",
                f"{pu!r} is not a loaded ensemble",
                "compose through journeysim's config (or load it with journeysim.study.uncertainty.load_ensemble)",
            )

    def calendar_origin(self) -> tuple[int, int]:
        """(weekday of day 0, Monday = 0; its season day): the start date's weekday and day of the year (1 = Jan 1)
        when dated, else `day_offset` days after an undated day 0 (a Monday, season day 0)."""
        if self.start_date is None:
            return self.day_offset % 7, self.day_offset
        return self.start_date.weekday(), self.start_date.timetuple().tm_yday

    def date_of(self, day: int) -> datetime.date | None:
        """The calendar date of day `day` of the horizon, or None without `start_date`."""
        return None if self.start_date is None else self.start_date + datetime.timedelta(days=day)

    @property
    def discount_per_day(self) -> float:
        """Continuous per-day discount rate delta with exp(-365 delta) = 1 / (1 + annual rate)."""
        return math.log1p(float(self.discount_rate_annual)) / 365.0


@dataclass(frozen=True)
class Scenario:
    """Everything an engine needs; cross-checks population against journey on construction."""

    journey: Journey
    population: Population
    settings: Settings = field(default_factory=Settings)
    name: str = "scenario"
    channels: Mapping[str, Channel] = field(default_factory=dict)
    strategy: Strategy = field(default_factory=Strategy)
    word_of_mouth: WordOfMouth = field(default_factory=WordOfMouth)
    start_state: StartState | None = None  # an earlier run's end state to continue from (`population.from_run`)
    satisfaction: Satisfaction = field(default_factory=Satisfaction)  # `journey.satisfaction`: off unless enabled

    def __post_init__(self) -> None:
        self._check_population()
        self._check_strategy()
        self._check_word_of_mouth()
        j = self.journey
        self.satisfaction.check(j.stages, j.positions, j.rates)
        for g in range(len(self.population.segments) if self.satisfaction.enabled else 0):
            self.heterogeneity_of(g).check(j)

    def heterogeneity_of(self, g: int) -> Heterogeneity:
        """Segment g's per-customer effects as the engines apply them: its own, then satisfaction's (with the
        strategy's promise and service), appended so the segment's own effects keep their draws."""
        het = self.population.segments[g].heterogeneity
        if not self.satisfaction.enabled:
            return het
        j = self.journey
        pre, conv = j.pre_purchase_indices, j.conversion_indices
        edges = tuple(
            (j.stages[a], j.stages[b]) for a in pre for b in conv if j.rates.get(j.stages[a], {}).get(j.stages[b], 0)
        )
        extra = self.satisfaction.effects(edges, self.strategy.promise, self.strategy.service)
        return Heterogeneity(effects=(*het.effects, *extra), setting=het.setting)

    def _stage(self, setting: str, name: str) -> int:
        j = self.journey
        if name not in j.stages:
            raise ConfigError(
                setting,
                f"unknown stage '{name}'{did_you_mean(name, j.stages)}",
                f"use one of the journey's stages: {', '.join(j.stages)}",
            )
        return j.index(name)

    def _segment(self, setting: str, name: str) -> None:
        names = self.population.names
        if name not in names:
            raise ConfigError(
                setting,
                f"unknown segment '{name}'{did_you_mean(name, names)}",
                f"use one of the population's segments: {', '.join(names)}",
            )

    def _exponential(self, setting: str, stage: str) -> None:
        d = self.journey.dwell.get(stage)
        if d is not None and not d.is_exponential:
            raise ConfigError(
                setting,
                f"stage '{stage}' has a {d.kind} dwell; interventions change only exponential (memoryless) stages",
                f"remove the effect or drop journey.dwell.{stage}",
            )

    def _check_strategy(self) -> None:
        j = self.journey
        for plan in self.strategy.plans:
            if plan.channel not in self.channels:
                raise ConfigError(
                    f"strategy.budgets.{plan.channel}",
                    f"unknown channel '{plan.channel}'{did_you_mean(plan.channel, self.channels)}",
                    f"use a channel from the catalogue: {', '.join(sorted(self.channels)) or '(none)'}",
                )
            ch = self.channels[plan.channel]
            p = f"channels.{ch.name}"
            for s in ch.stages:
                self._stage(f"{p}.stages", s)
            for s in ch.segments or ():
                self._segment(f"{p}.segments", s)
            audience = set(ch.stages) | {s for s in j.stages if j.positions[s] in ch.positions}
            for s in plan.stages or ():
                if s in POSITIONS:  # a funnel position: the channel's audience stages at that position
                    reached = sorted({j.positions[a] for a in audience})
                    if s not in reached:
                        raise ConfigError(
                            f"strategy.messaging.{plan.channel}",
                            f"funnel position '{s}' is outside the channel's audience (it reaches "
                            f"{', '.join(reached) or 'no journey stage'}): the money would reach nobody",
                            "target positions or stages the channel reaches",
                        )
                    continue
                self._stage(f"strategy.messaging.{plan.channel}", s)
                if s not in audience:
                    raise ConfigError(
                        f"strategy.messaging.{plan.channel}",
                        f"stage '{s}' is outside the channel's audience ({', '.join(sorted(audience))})",
                        "target stages the channel reaches",
                    )
            for k, e in enumerate(ch.effects):
                q = f"{p}.effects[{k}]"
                target = EFFECT_KINDS.get(e.on, f"{q}.kind").target
                if e.on == TRANSITION:
                    src = self._stage(f"{q}.from", str(e.source))
                    dst = self._stage(f"{q}.to", str(e.target))
                    if j.rate_matrix()[src, dst] <= 0:
                        raise ConfigError(
                            q,
                            f"the journey has no transition {e.source} -> {e.target} to lift",
                            "lift a transition listed under journey.rates",
                        )
                    if e.source not in audience:
                        raise ConfigError(
                            q,
                            f"the channel does not reach '{e.source}'",
                            f"add '{e.source}' to {p}.stages or lift a transition out of its audience",
                        )
                if target == REFERRALS and self.word_of_mouth.referrals is None:
                    raise ConfigError(
                        q,
                        "the channel lifts referrals but word_of_mouth.referrals is off",
                        "configure word_of_mouth.referrals or remove the effect",
                    )
                if target not in (ARRIVALS, REFERRALS):
                    for s in audience:
                        self._exponential(q, s)
            if not audience and ch.market_audience <= 0:
                raise ConfigError(
                    f"{p}.stages",
                    "the channel reaches nobody",
                    "give audience stages or positions, or a market_audience > 0",
                )
        for i, rm in enumerate(self.strategy.rate_multipliers):
            q = f"strategy.rate_multipliers[{i}]"
            src = self._stage(f"{q}.from", rm.source)
            dst = self._stage(f"{q}.to", rm.target)
            if j.rate_matrix()[src, dst] <= 0:
                raise ConfigError(
                    q,
                    f"the journey has no transition {rm.source} -> {rm.target}",
                    "multiply a transition listed under journey.rates",
                )
            self._exponential(q, rm.source)
            for s in rm.segments or ():
                self._segment(f"{q}.segments", s)

    def _check_word_of_mouth(self) -> None:
        w = self.word_of_mouth
        if w.referrals is not None:
            for s in self.referral_stages:
                self._stage("word_of_mouth.referrals.stages", s)
                self._exponential("word_of_mouth.referrals.stages", s)
        if w.contagion is not None:
            self._segment("word_of_mouth.contagion.segment", w.contagion.segment)
            for s in w.contagion.source or ():
                self._stage("word_of_mouth.contagion.source", s)
        if w.detractors is not None:
            for s in w.detractors.stages:
                self._stage("word_of_mouth.detractors.stages", s)
            for src, dst in w.detractors.effects:
                a = self._stage("word_of_mouth.detractors.effects.from", src)
                b = self._stage("word_of_mouth.detractors.effects.to", dst)
                if self.journey.rate_matrix()[a, b] <= 0:
                    raise ConfigError(
                        "word_of_mouth.detractors.effects",
                        f"the journey has no transition {src} -> {dst}",
                        "name a transition listed under journey.rates",
                    )
                self._exponential("word_of_mouth.detractors.effects", src)

    def _check_population(self) -> None:
        j = self.journey
        if len(self.population.segments) * (j.n_stages + 1) > 32767:
            raise ConfigError(
                "population.segments",
                "too many segments x stages for the engine's tables",
                "use fewer segments (segments x (stages + 1) must stay below 32768)",
            )
        for seg in self.population.segments:
            p = f"population.segments.{seg.name}"
            for s in seg.initial:
                if s not in j.stages:
                    raise ConfigError(
                        f"{p}.initial.{s}",
                        f"unknown stage '{s}'{did_you_mean(s, j.stages)}",
                        f"use one of the journey's stages: {', '.join(j.stages)}",
                    )
            seg.heterogeneity.check(j)
            for src, row in seg.transition_multipliers.items():
                for dst in row:
                    if j.rates.get(src, {}).get(dst, 0.0) <= 0:
                        raise ConfigError(
                            f"{p}.transition_multipliers.{src}.{dst}",
                            f"the journey has no transition {src} -> {dst}",
                            "multiply only transitions listed under journey.rates",
                        )

    @property
    def referral_stages(self) -> tuple[str, ...]:
        """Stages whose customers refer: as configured, else the journey's promoter stages."""
        ref = self.word_of_mouth.referrals
        if ref is None:
            return ()
        return ref.stages if ref.stages is not None else tuple(self.journey.promoters or ())

    def referral_rates(self) -> NDArray[np.float64]:
        """G x S per-day referral hazard of each stage (advocates refer new prospects of their own segment)."""
        out = np.zeros((len(self.population.segments), self.journey.n_stages))
        ref = self.word_of_mouth.referrals
        if ref is not None:
            for s in self.referral_stages:
                out[:, self.journey.index(s)] = ref.rate
        return out

    def rate_tensor(self) -> NDArray[np.float64]:
        """G x S x S per-day hazards after each segment's multipliers."""
        base = self.journey.rate_matrix()
        out = np.empty((len(self.population.segments), *base.shape))
        for g, seg in enumerate(self.population.segments):
            m = base * seg.rate_multiplier
            for src, row in seg.transition_multipliers.items():
                for dst, f in row.items():
                    m[self.journey.index(src), self.journey.index(dst)] *= f
            out[g] = m
        return out

    def arrival_intensity(self, segment: int, n_days: int) -> NDArray[np.float64]:
        """Expected arrivals of segment `segment` on days 0..n_days-1, on the scenario's calendar."""
        return self.population.segments[segment].intensity(n_days, *self.settings.calendar_origin())

    def initial_counts(self, replication: int = 0) -> NDArray[np.int64]:
        """G x S customers present at day 0 (a continued run: those carried over into `replication`)."""
        if self.start_state is not None:
            return self.start_state.of(replication).counts.copy()
        out = np.zeros((len(self.population.segments), self.journey.n_stages), dtype=np.int64)
        for g, seg in enumerate(self.population.segments):
            for s, n in seg.initial.items():
                out[g, self.journey.index(s)] = n
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from a plain mapping with `journey`, `population` and optional `sim` sections."""
        for k in ("journey", "population"):
            if not data.get(k):
                raise ConfigError(k, "is missing", f"provide a {k} section (e.g. {k}=<preset>)")
        sim = dict(data.get("sim") or {})
        known = (
            "horizon_days",
            "replications",
            "seed",
            "engine",
            "event_log",
            "discount_rate_annual",
            "start_date",
            "parameter_uncertainty",
        )
        for k in sim:
            if k not in known:
                raise ConfigError(
                    f"sim.{k}",
                    f"unknown setting '{k}'{did_you_mean(str(k), known)}",
                    f"remove it or use one of {', '.join(known)}",
                )
        settings = Settings(**sim)
        catalogue = dict(data.get("channels") or {})
        strategy = data.get("strategy")
        journey = {k: v for k, v in dict(data["journey"]).items() if k != "satisfaction"}
        return cls(
            journey=Journey.from_dict(journey),
            population=Population.from_dict(data["population"]),
            settings=settings,
            name=str(data.get("name") or "scenario"),
            channels={n: Channel.from_dict(n, c or {}) for n, c in catalogue.items()},
            strategy=Strategy.from_dict(strategy, settings.horizon_days) if strategy else Strategy(),
            word_of_mouth=WordOfMouth.from_dict(data.get("word_of_mouth")),
            satisfaction=Satisfaction.from_dict(dict(data["journey"]).get("satisfaction")),
        )
