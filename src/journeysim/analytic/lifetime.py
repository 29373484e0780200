"""Lifetime value in closed form: the expected discounted margin a customer still brings from its stage onwards.

Discounting at a per-day rate delta is the same as killing the chain at rate delta, so the present value of the
future margin from stage i solves (delta I - Q) v = r, r_i = m sum_{j conversion} q_ij (the margin rate while in
i): v = N r with N = (delta I - Q)^-1 the fundamental matrix of the killed, absorbing chain. Stages with no way
out are worth 0. A customer with random effects walks its own chain (`customer_rates`, the engines' law), so its
value is computed from its own rates. After the horizon the chain runs at the segment's baseline rates: media,
strategy multipliers and word of mouth stop at the horizon; non-exponential dwell is read at its mean rates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from journeysim.analytic.generator import generator
from journeysim.engine.records import Records
from journeysim.metrics.common import memo
from journeysim.metrics.lifetime import LifetimeView, acquired_mask
from journeysim.model.heterogeneity import Heterogeneity
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario

__all__ = ["customer_rates", "future_values", "lifetime_view", "margin_curve", "stage_values"]

FloatArray = NDArray[np.float64]
#: customers solved together (a (chunk, S, S) stack)
_CHUNK = 1 << 15
#: the payback curve's length in days (ten years) and how many acquired customers of a segment with random
#: effects stand for its mix
CURVE_DAYS, CURVE_SAMPLE = 3650, 64


def stage_values(rates: FloatArray, conversion: tuple[int, ...], margin: float, delta: float) -> FloatArray:
    """Expected discounted margin from each stage onwards (the purchase that brought the customer there not
    included), for one rate matrix (S, S) or a stack (n, S, S): v = (delta I - Q)^-1 r. Infinite where the sum
    does not converge (delta <= 0 and a way to stay forever, or delta < 0 faster than the chain ends)."""
    q = generator(rates)
    n = rates.shape[-1]
    reward = margin * rates[..., list(conversion)].sum(axis=-1)
    stuck = rates.sum(axis=-1) <= 0
    a = -q
    a[..., np.arange(n), np.arange(n)] += delta
    a[stuck] = 0.0
    a[..., np.arange(n), np.arange(n)] = np.where(stuck, 1.0, a[..., np.arange(n), np.arange(n)])
    if delta <= 0:  # converges only if every eigenvalue of the killed chain lies left of zero
        diverges = np.linalg.eigvals(-a).real.max(axis=-1) >= -1e-12
        if np.any(diverges):
            a = np.where(diverges[..., None, None], np.eye(n), a)
            out = np.linalg.solve(a, reward[..., None])[..., 0]
            return np.where(diverges[..., None] & (reward.sum(axis=-1) > 0)[..., None], math.inf, out)
    return np.asarray(np.linalg.solve(a, reward[..., None])[..., 0], dtype=float)


def customer_rates(base: FloatArray, journey: Journey, het: Heterogeneity, values: FloatArray) -> FloatArray:
    """Per customer (n, S, S): the segment's rates `base` with its effect `values` (n, effects, in the segment's
    order) applied as the engines apply them (multipliers on edges and stage exits; a drop-out with probability
    p sends p of the total rate out of its stage to `to` and the rest by the other exits in proportion)."""
    out = np.repeat(base[None], values.shape[0], axis=0)
    idx = journey.index
    for k, e in enumerate(het.effects):
        v = values[:, k]
        for src, dst in e.edges:
            out[:, idx(src), idx(dst)] *= v
        for st in e.stages:
            out[:, idx(st), :] *= v[:, None]
        if e.at is not None and e.to is not None:
            a, t = idx(e.at), idx(e.to)
            total, leave = base[a].sum(), base[a, t]
            out[:, a, :] *= ((1.0 - v) * total / (total - leave))[:, None]
            out[:, a, t] = v * total
    return out


def _effect_values(records: Records, het: Heterogeneity, who: NDArray[np.intp]) -> FloatArray:
    return np.column_stack([records.customers.effects[e.name][who] for e in het.effects])


def future_values(scenario: Scenario, records: Records) -> FloatArray:
    """Per customer: expected margin after the horizon discounted to the horizon day, from its final stage
    (read-only; remembered for the records' arrays and what of the scenario it depends on: a study asks twice,
    for the lifetime metrics and for the outcomes its baseline comparison pairs)."""
    c = records.customers
    sources: tuple[NDArray[Any], ...] = (c.segment, c.final_stage, *(c.effects[k] for k in sorted(c.effects)))
    return memo(_future_inputs(scenario), sources, lambda: _future_values(scenario, records))


def _future_inputs(scenario: Scenario) -> str:
    """What of the scenario the future values depend on, as text (the memo's key)."""
    segments = scenario.population.segments
    parts = [
        repr(scenario.settings.discount_per_day),
        scenario.rate_tensor().tobytes().hex(),
        repr(scenario.journey.conversion_indices),
        *(
            repr((seg.order_value.mean * seg.order_value.margin, scenario.heterogeneity_of(g)))
            for g, seg in enumerate(segments)
        ),
    ]
    return "future:" + "|".join(parts)


def _future_values(scenario: Scenario, records: Records) -> FloatArray:
    delta = scenario.settings.discount_per_day
    c = records.customers
    rates, j = scenario.rate_tensor(), scenario.journey
    out = np.zeros(len(c))
    for g, seg in enumerate(scenario.population.segments):
        m = seg.order_value.mean * seg.order_value.margin
        (who,) = np.nonzero((c.segment == g) & (rates[g].sum(axis=1)[c.final_stage] > 0))
        het = scenario.heterogeneity_of(g)
        if who.size == 0:
            continue
        if not het:
            out[who] = stage_values(rates[g], j.conversion_indices, m, delta)[c.final_stage[who]]
            continue
        for lo in range(0, who.size, _CHUNK):
            part = who[lo : lo + _CHUNK]
            own = customer_rates(rates[g], j, het, _effect_values(records, het, part))
            values = stage_values(own, j.conversion_indices, m, delta)
            out[part] = values[np.arange(part.size), c.final_stage[part]]
    return out


def margin_curve(scenario: Scenario, records: Records, days: int = CURVE_DAYS) -> FloatArray:
    """Expected cumulative undiscounted margin of an acquired customer 0..days days after its first purchase,
    averaged over the replication's new buyers (by segment; a segment with random effects by up to
    `CURVE_SAMPLE` of its new buyers, evenly spaced in the customer table). Empty without new buyers."""
    acquired = acquired_mask(records)
    if not acquired.any():
        return np.zeros(0)
    c, j, rates = records.customers, scenario.journey, scenario.rate_tensor()
    conv = list(j.conversion_indices)
    pre = list(j.pre_purchase_indices)
    total = np.zeros(days + 1)
    for g, seg in enumerate(scenario.population.segments):
        (who,) = np.nonzero(acquired & (c.segment == g))
        if who.size == 0:
            continue
        inflow = records.flows[:, g][:, pre][:, :, conv].sum(axis=(0, 1)) if pre else np.ones(len(conv))
        start = conv[int(np.argmax(inflow))]
        het = scenario.heterogeneity_of(g)
        if het:
            pick = who[np.unique(np.linspace(0, who.size - 1, min(CURVE_SAMPLE, who.size)).astype(np.intp))]
            own = customer_rates(rates[g], j, het, _effect_values(records, het, pick))
        else:
            own = rates[g][None]
        m = seg.order_value.mean * seg.order_value.margin
        total += who.size * _cumulative(own, start, conv, m, days).mean(axis=0)
    return total / int(acquired.sum())


#: `_cumulative` of single rate matrices (a segment without random effects), by its inputs: the variants of a batch
#: (budgets, flights) share the segment's baseline rates, so the 3,650-step curve is walked once, not per variant
_CURVES: dict[tuple[bytes, int, tuple[int, ...], float, int], FloatArray] = {}
_CURVES_KEPT = 64


def _cumulative(rates: FloatArray, start: int, conv: list[int], margin: float, days: int) -> FloatArray:
    """(n, days + 1) cumulative margin from a purchase into `start`, by the Van Loan block [[Q, r], [0, 0]]
    (read-only; one rate matrix's curve is remembered, the same numbers as walking it again)."""
    if rates.shape[0] != 1:
        return _walk(rates, start, conv, margin, days)
    key = (
        np.ascontiguousarray(rates, dtype=float).tobytes() + str(rates.shape).encode(),
        start,
        tuple(conv),
        margin,
        days,
    )
    if key not in _CURVES:
        if len(_CURVES) >= _CURVES_KEPT:
            _CURVES.pop(next(iter(_CURVES)))
        curve = _walk(rates, start, conv, margin, days)
        curve.flags.writeable = False
        _CURVES[key] = curve
    return _CURVES[key]


def _walk(rates: FloatArray, start: int, conv: list[int], margin: float, days: int) -> FloatArray:
    """`_cumulative` computed: the block's one-day step applied `days` times."""
    n, s = rates.shape[0], rates.shape[-1]
    block = np.zeros((n, s + 1, s + 1))
    block[:, :s, :s] = generator(rates)
    block[:, :s, s] = margin * rates[:, :, conv].sum(axis=-1)
    step = scipy.linalg.expm(block)
    x = np.zeros((n, s + 1))
    x[:, start], x[:, s] = 1.0, margin
    out = np.empty((n, days + 1))
    out[:, 0] = margin
    for d in range(1, days + 1):
        x = np.einsum("ni,nij->nj", x, step)
        out[:, d] = x[:, s]
    return out


def lifetime_view(scenario: Scenario, records: Records) -> LifetimeView:
    """What the lifetime metrics need of one replication of `scenario`: future values, discounts, margin curve."""
    delta = scenario.settings.discount_per_day
    discount = np.exp(-delta * (records.horizon_days - records.customers.entry_time))
    return LifetimeView(future_values(scenario, records), discount, margin_curve(scenario, records))
