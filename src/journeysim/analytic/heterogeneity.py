"""Closed-form answers averaged over per-customer random effects (heterogeneity) by Gauss quadrature.

A customer with effect values v walks the journey with its edges multiplied (rate effects) and, for a drop-out
at conversion stage c with probability p, leaves c for the drop-out stage with probability p and otherwise by
c's other exits in proportion to their rates (the total rate out of c unchanged). Any cohort answer of
`analytic.cohort` is then an integral over the effect laws, computed on a tensor product of Gauss rules
(Gauss-Legendre in probability space for gamma and lognormal, Gauss-Jacobi for beta, the classes themselves for
a mixture). Correlated effects are refused: their joint law is not a product, and the answer needs the
simulation (or a copula rule this module does not have).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from journeysim.errors import ConfigError
from journeysim.model.heterogeneity import Heterogeneity
from journeysim.model.journey import Journey

__all__ = ["journey_for", "mixed", "mixture_nodes"]


def journey_for(journey: Journey, heterogeneity: Heterogeneity, values: Sequence[float]) -> Journey:
    """The journey of one customer whose effects take `values` (one per effect, in order)."""
    rates = {s: dict(row) for s, row in journey.rates.items()}
    for effect, v in zip(heterogeneity.effects, values, strict=True):
        for src, dst in effect.edges:
            rates[src][dst] *= v
        for stage in effect.stages:
            rates[stage] = {d: r * v for d, r in rates.get(stage, {}).items()}
        if effect.at is not None and effect.to is not None:
            row = rates.get(effect.at, {})
            total, leave = sum(row.values()), row.get(effect.to, 0.0)
            split = {d: r * (1.0 - v) * total / (total - leave) for d, r in row.items() if d != effect.to}
            split[effect.to] = v * total
            rates[effect.at] = split
    return Journey(
        stages=journey.stages,
        entry=journey.entry,
        conversion=journey.conversion,
        rates=rates,
        terminal=journey.terminal,
        positions=dict(journey.positions),
        dwell=dict(journey.dwell),
        promoters=journey.promoters,
        detractors=journey.detractors,
        name=journey.name,
    )


def mixture_nodes(heterogeneity: Heterogeneity, n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Effect values (nodes x effects) and weights of the product Gauss rule; refuses correlated effects."""
    correlated = [e.name for e in heterogeneity.effects if e.correlated_with is not None]
    if correlated:
        raise ConfigError(
            f"{heterogeneity.setting}.{correlated[0]}.correlation",
            "correlated effects have no product quadrature in the analytic module",
            "simulate (journeysim run) for correlated effects, or drop the correlation for closed-form answers",
        )
    rules = [e.law.nodes(n) for e in heterogeneity.effects]
    values = np.array(list(itertools.product(*(r[0] for r in rules))), dtype=float).reshape(-1, len(rules))
    weights = np.array([np.prod(w) for w in itertools.product(*(r[1] for r in rules))], dtype=float)
    return values, weights


def mixed(answer: Callable[[Journey], float], journey: Journey, heterogeneity: Heterogeneity, n: int = 32) -> float:
    """E[answer(customer's journey)] over the effect laws, e.g. `mixed(lambda j: expected_purchases(j, "active",
    horizon=90), journey, het)`."""
    if not heterogeneity:
        return answer(journey)
    values, weights = mixture_nodes(heterogeneity, n)
    return float(sum(w * answer(journey_for(journey, heterogeneity, v)) for v, w in zip(values, weights, strict=True)))
