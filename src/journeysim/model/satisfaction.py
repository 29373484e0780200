"""Satisfaction after the purchase: experience minus expectation, per customer, shifting post-purchase rates.

Each customer's satisfaction s = (experience + service) - (expectation + promise) + sd z, z ~ N(0, 1) drawn once
per customer from its own random stream (when it is admitted, with the per-customer effects of
`model.heterogeneity`). `promise` (the strategy's pre-purchase messaging) raises expectations and, by
`persuasion`, every hazard from a pre-purchase stage into a conversion stage by exp(persuasion x promise);
`service` (onboarding, customer care) raises the experience. Each named post-purchase transition's hazard is
multiplied by exp(beta s) for that customer. A survey asks current customers how likely they are to recommend
(0-10): score = clip(round(7 + 2 s), 0, 10), so expectations met exactly score 7 (passive).

    journey:
      satisfaction:
        enabled: true
        sd: 1.0
        persuasion: 0.5
        transitions: {retention: {churned: -0.8, satisfaction: 0.4}, loyalty: {advocacy: 0.6}}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from journeysim.errors import ConfigError, check_keys, number
from journeysim.model.heterogeneity import Effect, EffectLaw

__all__ = ["SATISFACTION", "Satisfaction", "survey_score"]

FloatArray = NDArray[np.float64]
SETTING = "journey.satisfaction"
#: the customer-table column (`effect_satisfaction`) that holds each customer's satisfaction s
SATISFACTION = "satisfaction"
KEYS = ("enabled", "experience", "expectation", "sd", "persuasion", "transitions")
#: the survey's 0-10 likelihood to recommend: centre (s = 0) and points per unit of satisfaction
SCORE_CENTRE, SCORE_SLOPE = 7.0, 2.0


def survey_score(s: FloatArray) -> FloatArray:
    """Likelihood to recommend, 0-10: clip(round(7 + 2 s), 0, 10) (9-10 promoters, 7-8 passives, 0-6 detractors)."""
    return np.asarray(np.clip(np.round(SCORE_CENTRE + SCORE_SLOPE * s), 0.0, 10.0), dtype=float)


def _shifted(score: Callable[[FloatArray], FloatArray], beta: float) -> Callable[[FloatArray], FloatArray]:
    """The multiplier exp(beta s) at the uniforms that give satisfaction s."""

    def f(u: FloatArray) -> FloatArray:
        return np.asarray(np.exp(beta * score(u)), dtype=float)

    return f


@dataclass(frozen=True)
class Satisfaction:
    """The hand-off from the buyer's journey to the customer journey (off unless `enabled`)."""

    enabled: bool = False
    experience: float = 0.0
    expectation: float = 0.0
    sd: float = 1.0
    persuasion: float = 0.0
    transitions: Mapping[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Satisfaction:
        d = dict(data or {})
        if not d:  # no block (or an empty one): off
            return cls()
        check_keys(SETTING, d, KEYS)
        sd = number(f"{SETTING}.sd", d.get("sd", 1.0), low=-math.inf, fix="give the spread of experience, sd > 0")
        if sd <= 0:
            raise ConfigError(f"{SETTING}.sd", f"sd {sd!r} is not positive", "give the spread of experience, sd > 0")
        betas: dict[tuple[str, str], float] = {}
        for src, row in dict(d.get("transitions") or {}).items():
            if not isinstance(row, Mapping):
                raise ConfigError(
                    f"{SETTING}.transitions.{src}", f"{row!r} is not a mapping", "give {to_stage: beta, ...}"
                )
            for dst, beta in row.items():
                key = f"{SETTING}.transitions.{src}.{dst}"
                betas[(str(src), str(dst))] = number(key, beta, low=-math.inf, fix="give beta as a number")

        def real(name: str) -> float:
            return number(f"{SETTING}.{name}", d.get(name, 0.0), low=-math.inf, fix=f"give {name} as a number")

        return cls(
            enabled=bool(d.get("enabled", True)),
            experience=real("experience"),
            expectation=real("expectation"),
            sd=sd,
            persuasion=real("persuasion"),
            transitions=betas,
        )

    def check(self, stages: tuple[str, ...], positions: Mapping[str, str], rates: Mapping[str, Any]) -> None:
        """Every shifted transition exists and leaves a post-purchase stage (satisfaction follows a purchase)."""
        for src, dst in self.transitions:
            p = f"{SETTING}.transitions.{src}"
            if src not in stages:
                raise ConfigError(p, f"unknown stage '{src}'", f"use one of {', '.join(stages)}")
            if positions.get(src) != "post_purchase":
                post = [s for s in stages if positions.get(s) == "post_purchase"]
                raise ConfigError(
                    p,
                    f"'{src}' is not a post-purchase stage (position {positions.get(src)!r})",
                    f"shift only transitions out of post-purchase stages: {', '.join(post) or '(none)'}",
                )
            if float(dict(rates.get(src) or {}).get(dst, 0.0)) <= 0:
                out = ", ".join(dict(rates.get(src) or {})) or "none"
                raise ConfigError(
                    f"{p}.{dst}",
                    f"the journey has no transition {src} -> {dst}",
                    f"name a transition with a positive rate (out of {src}: {out})",
                )

    def mean(self, promise: float = 0.0, service: float = 0.0) -> float:
        """Mean satisfaction: experience + service - expectation - promise."""
        return self.experience + service - self.expectation - promise

    def effects(self, purchase_edges: tuple[tuple[str, str], ...], promise: float, service: float) -> list[Effect]:
        """The per-customer effects that carry it: `satisfaction` (s itself, shifts nothing), one multiplier
        exp(beta s) per distinct beta on its transitions (all driven by the same normal score, rho = 1), and a
        constant `promise` multiplier on `purchase_edges` when the promise persuades."""
        if not self.enabled:
            return []
        mu, sd = self.mean(promise, service), self.sd

        def law(f: Callable[[FloatArray], FloatArray], mean: float) -> EffectLaw:
            def nodes(n: int) -> tuple[FloatArray, FloatArray]:
                u, w = np.polynomial.legendre.leggauss(n)
                return f((u + 1) / 2), w / 2

            return EffectLaw(SATISFACTION, {"mean": mu, "sd": sd}, f, nodes, mean, False)

        def score(u: FloatArray) -> FloatArray:
            return np.asarray(mu + sd * special.ndtri(u), dtype=float)

        out = [Effect(SATISFACTION, law(score, mu))]
        for i, beta in enumerate(dict.fromkeys(self.transitions.values())):
            edges = tuple(e for e, b in self.transitions.items() if b == beta)
            mean = math.exp(beta * mu + 0.5 * (beta * sd) ** 2)
            shift = law(_shifted(score, beta), mean)
            out.append(
                Effect(f"{SATISFACTION}_shift{i + 1}", shift, edges=edges, correlated_with=SATISFACTION, rho=1.0)
            )
        lift = math.exp(self.persuasion * promise)
        if lift != 1.0 and purchase_edges:
            const = law(lambda u: np.full(np.shape(u), lift), lift)
            out.append(Effect("promise", const, edges=purchase_edges))
        return out
