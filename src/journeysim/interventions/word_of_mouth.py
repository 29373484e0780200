"""Word of mouth: advocates' referrals (unbounded market), Bass contagion in a finite market, and detractors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from journeysim.errors import ConfigError, check_keys, name_list, number


@dataclass(frozen=True)
class Referrals:
    """Advocates bring new prospects: each customer in `stages` (default: the journey's promoter stages) refers
    at `rate` per day, unbounded market; the referred prospect joins the advocate's segment at the entry stage."""

    stages: tuple[str, ...] | None
    rate: float


@dataclass(frozen=True)
class Contagion:
    """Bass diffusion in a finite market of `market_size` people not yet aware (segment `segment`).

    Each unaware person becomes aware (arrives at the entry stage) at hazard p + q * A / M, with A the adopters:
    `source: aware` counts everyone who has entered (classic Bass, simulated exactly); a list of stages counts
    customers currently in them (e.g. advocates), updated at each day boundary.
    """

    segment: str
    market_size: int
    p: float
    q: float
    source: tuple[str, ...] | None = None  # None = aware (classic Bass)


@dataclass(frozen=True)
class Detractors:
    """Dissatisfied customers lower others' rates: each effect's rate is multiplied by exp(-strength * D / B).

    D = buyers who have entered one of the detractor `stages`, B = customers who have ever bought, both counted
    up to the start of the day (rates change at day boundaries).
    """

    stages: tuple[str, ...]
    strength: float
    effects: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class WordOfMouth:
    referrals: Referrals | None = None
    contagion: Contagion | None = None
    detractors: Detractors | None = None

    @property
    def active(self) -> bool:
        return any(x is not None for x in (self.referrals, self.contagion, self.detractors))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> WordOfMouth:
        data = dict(data or {})
        check_keys("word_of_mouth", data, ("referrals", "contagion", "detractors", "name", "description"))
        ref = con = det = None
        if data.get("referrals"):
            r = dict(data["referrals"])
            check_keys("word_of_mouth.referrals", r, ("stages", "rate"))
            ref = Referrals(
                None if r.get("stages") is None else name_list(r["stages"]),
                number(
                    "word_of_mouth.referrals.rate", r.get("rate", 0.0), fix="give referrals per advocate per day (>= 0)"
                ),
            )
        if data.get("contagion"):
            c = dict(data["contagion"])
            check_keys("word_of_mouth.contagion", c, ("segment", "market_size", "p", "q", "source"))
            size = c.get("market_size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                raise ConfigError(
                    "word_of_mouth.contagion.market_size",
                    f"{size!r} is not a whole number >= 1",
                    "give the number of people in the market not yet aware, e.g. 100000",
                )
            src = c.get("source", "aware")
            con = Contagion(
                segment=str(c.get("segment", "")),
                market_size=size,
                p=number("word_of_mouth.contagion.p", c.get("p", 0.0), fix="give the innovation hazard per day >= 0"),
                q=number("word_of_mouth.contagion.q", c.get("q", 0.0), fix="give the imitation hazard per day >= 0"),
                source=None if src in (None, "aware") else name_list(src),
            )
        if data.get("detractors"):
            d = dict(data["detractors"])
            check_keys("word_of_mouth.detractors", d, ("stages", "strength", "effects"))
            effects = []
            for i, e in enumerate(d.get("effects") or []):
                e = dict(e)
                check_keys(f"word_of_mouth.detractors.effects[{i}]", e, ("from", "to"))
                effects.append((str(e.get("from")), str(e.get("to"))))
            det = Detractors(
                name_list(d.get("stages")),
                number("word_of_mouth.detractors.strength", d.get("strength", 0.0), fix="give the strength >= 0"),
                tuple(effects),
            )
        return cls(ref, con, det)
