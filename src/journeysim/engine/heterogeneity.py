"""Per-customer random effects in both engines: drawn once per customer, applied by per-customer thinning.

A customer's effect k is the effect law's quantile at the first uniform of the child stream (customer key, k)
under a salt of the run's journey key, so it depends only on the customer and survives batching and reruns.
Effects become, per affected stage a and destination slot k, a multiplier m[a, k] on the hazard of that exit
(a drop-out with probability p at stage c is m = p R / q_to on its route and (1 - p) R / (R - q_to) on the other
exits, R the total rate out of c). Exactness: in stage a a customer draws candidates at F[a] = max_k m[a, k]
times the row's candidate rate (its holding time divided by F), and a candidate landing on slot k is a jump with
probability m[a, k] / F[a], decided by the candidate's uniform rescaled within its slot (independent of the
slot). The hazard of each exit is then exactly m[a, k] times the row's, at every time, thinning included.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.plan import Plan
from journeysim.engine.streams import child_keys, draw_bits, finalise, uniform_pair

__all__ = ["CustomerEffects"]

#: Mixed into the journey key to salt the effect streams (apart from the referral children).
EFFECT_SALT_MIX = np.uint64(0x48E7E809E7E1C0DE)


class CustomerEffects:
    """The plan's per-customer effects: which rows they touch, and each customer's factors and acceptances."""

    def __init__(self, plan: Plan) -> None:
        sc = plan.scenario
        j = sc.journey
        self.plan = plan
        self.segments = sc.population.segments
        self.active = any(bool(seg.heterogeneity) for seg in self.segments)
        s1 = j.n_stages + 1
        touched = sorted({j.index(st) for seg in self.segments for e in seg.heterogeneity.effects for st in e.touched})
        self.stages = np.array(touched, dtype=np.intp)
        n_rows = plan.table.total.shape[0]
        #: per plan row: its affected-stage index, -1 where no effect of the row's segment touches it
        self.of_row = np.full(n_rows, -1, dtype=np.intp)
        for g, seg in enumerate(self.segments):
            for st in {j.index(x) for e in seg.heterogeneity.effects for x in e.touched}:
                self.of_row[g * s1 + st] = touched.index(st)
        self.n_affected = len(touched)
        self.k_slots = plan.table.dest.shape[1]
        self.names = list(dict.fromkeys(e.name for seg in self.segments for e in seg.heterogeneity.effects))
        self.salt = finalise(np.array([plan.journey_key ^ EFFECT_SALT_MIX], dtype=np.uint64))[0]

    def draw(self, ckey: NDArray[np.uint64], segment: NDArray[np.integer]) -> NDArray[np.float64]:
        """Each customer's effect values (n, len(names)); NaN for effects its segment does not have."""
        out = np.full((ckey.shape[0], len(self.names)), np.nan)
        for g, seg in enumerate(self.segments):
            het = seg.heterogeneity
            m = segment == g
            if not het or not m.any():
                continue
            cols = np.array([self.names.index(e.name) for e in het.effects], dtype=np.intp)
            out[np.ix_(np.flatnonzero(m), cols)] = het.draw(self._uniforms(ckey[m], len(het.effects)))
        return out

    def table(self, values: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """The customer table's effect columns, by effect name."""
        return {name: values[:, i].copy() for i, name in enumerate(self.names)}

    def _uniforms(self, ckey: NDArray[np.uint64], n_effects: int) -> NDArray[np.float64]:
        """One uniform per customer and effect: the first draw of the child stream (customer, k)."""
        u = np.empty((ckey.shape[0], n_effects))
        for k in range(n_effects):
            child = child_keys(ckey, np.full(ckey.shape[0], k, dtype=np.uint64), self.salt)
            u[:, k], _ = uniform_pair(draw_bits(child, 0))
        return u

    def factors(
        self, values: NDArray[np.float64], segment: NDArray[np.integer]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per customer and affected stage the candidate-rate factor F (n, A) and per slot the acceptance m / F
        (n, A, K), from the customers' effect values; ones for customers and stages without effects."""
        n, a, k = values.shape[0], self.n_affected, self.k_slots
        factor, accept = np.ones((n, a)), np.ones((n, a, k))
        s1 = self.plan.scenario.journey.n_stages + 1
        for g, seg in enumerate(self.segments):
            m = segment == g
            if not seg.heterogeneity or not m.any():
                continue
            (who,) = np.nonzero(m)
            cols = np.array([self.names.index(e.name) for e in seg.heterogeneity.effects], dtype=np.intp)
            mult = self._segment_multipliers(g, values[np.ix_(who, cols)])
            valid = self.plan.table.valid[g * s1 + self.stages]  # (A, K), the same for the whole segment
            big = np.where(valid, mult, 0.0).max(axis=2)
            big[big <= 0] = 1.0
            mult /= big[:, :, None]
            mult[:, ~valid] = 1.0
            factor[who], accept[who] = big, mult
        return factor, accept

    def _rows_of_segments(self, segment: NDArray[np.integer]) -> NDArray[np.intp]:
        s1 = self.plan.scenario.journey.n_stages + 1
        return segment.astype(np.intp)[:, None] * s1 + self.stages[None, :]

    def _segment_multipliers(self, g: int, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """(n, A, K) exit multipliers of segment g's customers with effect values `values` (n, E)."""
        plan, j = self.plan, self.plan.scenario.journey
        s1 = j.n_stages + 1
        mult = np.ones((values.shape[0], self.n_affected, self.k_slots))
        for k, e in enumerate(self.segments[g].heterogeneity.effects):
            v = values[:, k]
            for src, dst in e.edges:
                a, slots = self._slots(g, src)
                mult[:, a, slots == j.index(dst)] *= v[:, None]
            for st in e.stages:
                a, slots = self._slots(g, st)
                mult[:, a, slots < j.n_stages] *= v[:, None]
            if e.at is not None and e.to is not None:
                a, slots = self._slots(g, e.at)
                q = plan.base_rates[g * s1 + j.index(e.at), : j.n_stages]
                total, leave = float(q.sum()), float(q[j.index(e.to)])
                route = slots == j.index(e.to)
                other = (slots < j.n_stages) & ~route
                mult[:, a, route] *= (v * total / leave)[:, None]
                mult[:, a, other] *= ((1.0 - v) * total / (total - leave))[:, None]
        return mult

    def _slots(self, g: int, stage: str) -> tuple[int, NDArray[np.int16]]:
        """The affected-stage index of `stage` and the destination per slot of segment g's row (invalid: -1)."""
        j = self.plan.scenario.journey
        row = g * (j.n_stages + 1) + j.index(stage)
        table = self.plan.table
        return int(self.of_row[row]), np.where(table.valid[row], table.dest[row], -1)
