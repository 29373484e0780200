"""Effects: which hazards a channel lifts for the customers it reaches, by `kind:` name.

An effect names its hazards by meaning, so one channel catalogue fits every journey: `advance` (moves to a later
non-terminal stage), `regress` (moves back), `purchase` (moves into a conversion stage), `churn` (moves into a
terminal stage), `arrivals` (new prospects from the market), `referrals` (advocates' referrals), or one explicit
transition `{from: a, to: b}` (kind `transition`). At full response a rate is multiplied by `1 + lift`; a
negative lift (down to -1) reduces it. A new kind is one mask function and one `EFFECT_KINDS.add` line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from journeysim.registry import Registry

if TYPE_CHECKING:  # masks read a journey's stages; `model.scenario` imports this package, so no runtime import
    from journeysim.model.journey import Journey

ARRIVALS = "arrivals"
REFERRALS = "referrals"
TRANSITION = "transition"
#: What an effect acts on: journey transitions (a mask), the segments' arrivals or the advocates' referrals.
TARGETS = ("transitions", ARRIVALS, REFERRALS)
SETTING = "channels.effects.kind"


@dataclass(frozen=True)
class Effect:
    """Multiply the hazards of kind `on` (or the one transition `source -> target`) by `1 + lift * response`.

    (YAML spells the kind `kind:`; `on` would be read as a boolean by YAML 1.1 loaders.)
    """

    on: str
    lift: float
    source: str | None = None
    target: str | None = None

    @property
    def kind(self) -> EffectKind:
        """This effect's kind from the registry (a ConfigError naming the choices for an unknown kind)."""
        return EFFECT_KINDS.get(self.on, SETTING)


MaskFn = Callable[["Journey", Effect], NDArray[np.bool_]]


@dataclass(frozen=True)
class EffectKind:
    """One kind of effect: `mask(journey, effect)` gives the (S, S) transitions it lifts (before the audience and
    the journey's own edges are applied) when it acts on `transitions`; `explicit` kinds are written with
    from/to rather than `kind:`."""

    target: str = "transitions"
    mask: MaskFn | None = None
    explicit: bool = False


def _flags(journey: Journey, indices: tuple[int, ...]) -> NDArray[np.bool_]:
    out = np.zeros(journey.n_stages, bool)
    out[list(indices)] = True
    return out


def _later(journey: Journey, effect: Effect) -> NDArray[np.bool_]:
    order = np.arange(journey.n_stages)
    return (order[None, :] > order[:, None]) & ~_flags(journey, journey.terminal_indices)[None, :]


def _earlier(journey: Journey, effect: Effect) -> NDArray[np.bool_]:
    order = np.arange(journey.n_stages)
    return (order[None, :] < order[:, None]) & ~_flags(journey, journey.terminal_indices)[None, :]


def _into(indices: Callable[[Journey], tuple[int, ...]]) -> MaskFn:
    """Every move into the stages `indices(journey)` (conversion or terminal stages), from any stage."""

    def mask(journey: Journey, effect: Effect) -> NDArray[np.bool_]:
        s = journey.n_stages
        return np.broadcast_to(_flags(journey, indices(journey))[None, :], (s, s)).copy()

    return mask


def _one(journey: Journey, effect: Effect) -> NDArray[np.bool_]:
    m = np.zeros((journey.n_stages, journey.n_stages), bool)
    m[journey.index(str(effect.source)), journey.index(str(effect.target))] = True
    return m


#: Effect kinds by the short `kind:` name used in YAML.
EFFECT_KINDS: Registry[EffectKind] = Registry("effect kind")
EFFECT_KINDS.add("advance", EffectKind(mask=_later))
EFFECT_KINDS.add("regress", EffectKind(mask=_earlier))
EFFECT_KINDS.add("purchase", EffectKind(mask=_into(lambda j: j.conversion_indices)))
EFFECT_KINDS.add("churn", EffectKind(mask=_into(lambda j: j.terminal_indices)))
EFFECT_KINDS.add(ARRIVALS, EffectKind(target=ARRIVALS))
EFFECT_KINDS.add(REFERRALS, EffectKind(target=REFERRALS))
EFFECT_KINDS.add(TRANSITION, EffectKind(mask=_one, explicit=True))


def kind_names() -> tuple[str, ...]:
    """The kinds a config may name with `kind:` (explicit ones are written with from/to)."""
    return tuple(n for n in EFFECT_KINDS if not EFFECT_KINDS.get(n).explicit)


def effect_mask(journey: Journey, effect: Effect, audience: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """(S, S) journey transitions an effect lifts, leaving the `audience` stages (a boolean per stage); none for
    effects on arrivals or referrals."""
    kind = effect.kind
    if kind.mask is None:
        return np.zeros((journey.n_stages, journey.n_stages), bool)
    return kind.mask(journey, effect) & (journey.rate_matrix() > 0) & audience[:, None]
