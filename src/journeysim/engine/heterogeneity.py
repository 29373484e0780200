"""Per-customer random effects in both engines: drawn once per customer, applied by per-customer thinning.

A customer's effect k is the effect law's quantile at the first uniform of the child stream (customer key, k)
under a salt of the run's journey key, so it depends only on the customer and survives batching and reruns.
Only the values are kept per customer (8 bytes an effect); what they do to a row is computed when needed.
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
    """The plan's per-customer effects: which rows they touch, and what a customer's values do to a row's exits."""

    def __init__(self, plan: Plan) -> None:
        sc = plan.scenario
        j = sc.journey
        self.plan = plan
        #: each segment's effects as applied (its own, then satisfaction's: `Scenario.heterogeneity_of`)
        self.hets = [sc.heterogeneity_of(g) for g in range(len(sc.population.segments))]
        self.active = any(bool(het) for het in self.hets)
        s1 = j.n_stages + 1
        touched = sorted({j.index(st) for het in self.hets for e in het.effects for st in e.touched})
        self.stages = np.array(touched, dtype=np.intp)
        n_rows = plan.table.total.shape[0]
        #: per plan row: its affected-stage index, -1 where no effect of the row's segment touches it
        self.of_row = np.full(n_rows, -1, dtype=np.intp)
        for g, het in enumerate(self.hets):
            for st in {j.index(x) for e in het.effects for x in e.touched}:
                self.of_row[g * s1 + st] = touched.index(st)
        self.n_affected = len(touched)
        self.k_slots = plan.table.dest.shape[1]
        self.names = list(dict.fromkeys(e.name for het in self.hets for e in het.effects))
        self.salt = finalise(np.array([plan.journey_key ^ EFFECT_SALT_MIX], dtype=np.uint64))[0]
        self._compile()
        # the exits a candidate can take (invalid slots have zero width): one acceptance column each, per customer
        used = self.valid.any(axis=0)
        self.accept_col = np.zeros((self.n_affected, self.k_slots), dtype=np.intp)
        self.accept_col[used] = np.arange(int(used.sum()))
        self.accept_pairs = np.argwhere(used)

    def _compile(self) -> None:
        """Per (segment, affected stage, slot, effect) how the effect enters the exit's multiplier: 1 as v, 2 as
        1 - v (the other exits of a drop-out), 0 not; `const` the drop-out's R / q factors; `valid` the real exits."""
        g_n, a_n, k_n, e_n = len(self.hets), self.n_affected, self.k_slots, len(self.names)
        self.code = np.zeros((g_n, a_n, k_n, e_n), dtype=np.int8)
        self.const = np.ones((g_n, a_n, k_n))
        self.valid = np.zeros((g_n, a_n, k_n), dtype=bool)
        self.has = np.zeros((g_n, e_n), dtype=bool)  # the segment has the effect
        j, plan = self.plan.scenario.journey, self.plan
        s1, n_st = j.n_stages + 1, j.n_stages
        for g, het in enumerate(self.hets):
            self.valid[g] = plan.table.valid[g * s1 + self.stages]
            for e in het.effects:
                col = self.names.index(e.name)
                self.has[g, col] = True
                for src, dst in e.edges:
                    a, slots = self._slots(g, src)
                    self.code[g, a, slots == j.index(dst), col] = 1
                for st in e.stages:
                    a, slots = self._slots(g, st)
                    self.code[g, a, (slots >= 0) & (slots < n_st), col] = 1
                if e.at is not None and e.to is not None:
                    a, slots = self._slots(g, e.at)
                    q = plan.base_rates[g * s1 + j.index(e.at), :n_st]
                    total, leave = float(q.sum()), float(q[j.index(e.to)])
                    route = slots == j.index(e.to)
                    other = (slots >= 0) & (slots < n_st) & ~route
                    self.code[g, a, route, col], self.const[g, a, route] = 1, total / leave
                    self.code[g, a, other, col] = 2
                    self.const[g, a, other] *= total / (total - leave)

    def draw(self, ckey: NDArray[np.uint64], segment: NDArray[np.integer]) -> NDArray[np.float64]:
        """Each customer's effect values (n, len(names)); 1 (neutral, unused) for effects its segment lacks."""
        out = np.ones((ckey.shape[0], len(self.names)))
        for g, het in enumerate(self.hets):
            m = segment == g
            if not het or not m.any():
                continue
            cols = np.array([self.names.index(e.name) for e in het.effects], dtype=np.intp)
            out[np.ix_(np.flatnonzero(m), cols)] = het.draw(self._uniforms(ckey[m], len(het.effects)))
        return out

    def table(self, values: NDArray[np.float64], segment: NDArray[np.integer]) -> dict[str, NDArray[np.float64]]:
        """The customer table's effect columns, by effect name (NaN for customers of segments without it)."""
        has = self.has[segment.astype(np.intp)]
        return {name: np.where(has[:, i], values[:, i], np.nan) for i, name in enumerate(self.names)}

    def _uniforms(self, ckey: NDArray[np.uint64], n_effects: int) -> NDArray[np.float64]:
        """One uniform per customer and effect: the first draw of the child stream (customer, k)."""
        u = np.empty((ckey.shape[0], n_effects))
        for k in range(n_effects):
            child = child_keys(ckey, np.full(ckey.shape[0], k, dtype=np.uint64), self.salt)
            u[:, k], _ = uniform_pair(draw_bits(child, 0))
        return u

    def factors(self, values: NDArray[np.float64], segment: NDArray[np.integer]) -> NDArray[np.float64]:
        """Each customer's candidate-rate factor F per affected stage (n, A): its largest exit multiplier there."""
        out = np.ones((values.shape[0], self.n_affected))
        for g in range(len(self.hets)):
            mask = segment == g
            if not self.has[g].any() or not mask.any():
                continue
            who = slice(None) if mask.all() else np.flatnonzero(mask)  # one segment: no gathers
            v = values[who]
            n = v.shape[0]
            for a in range(self.n_affected):
                best = np.zeros(n)
                for k in np.flatnonzero(self.valid[g, a]):
                    codes = np.flatnonzero(self.code[g, a, k])
                    if codes.size == 0:  # an exit no effect touches: its multiplier is its constant
                        np.maximum(best, self.const[g, a, k], out=best)
                        continue
                    mult = np.ones(n)
                    for e in codes:
                        mult *= v[:, e] if self.code[g, a, k, e] == 1 else 1.0 - v[:, e]
                    mult *= self.const[g, a, k]  # after the product, in the order the tables were checked in
                    np.maximum(best, mult, out=best)
                out[who, a] = np.where(best > 0, best, 1.0)
        return out

    def acceptance(
        self,
        values: NDArray[np.float64],
        segment: NDArray[np.integer],
        affected: NDArray[np.intp],
        slot: NDArray[np.intp],
        factor: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """The acceptance m / F of one exit `slot` per customer (the same numbers as `exits`, for one slot)."""
        g = segment.astype(np.intp)
        code = self.code[g, affected, slot]  # (h, E)
        term = np.where(code == 1, values, np.where(code == 2, 1.0 - values, 1.0))
        mult = self.const[g, affected, slot] * term.prod(axis=1)
        return np.asarray(mult / factor, dtype=float)

    def accepts(
        self, values: NDArray[np.float64], segment: NDArray[np.integer], factor: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Each customer's acceptance per exit (affected stage, slot) of `accept_pairs` (n, P): what `acceptance`
        gives, for every exit at once, kept per customer so the fast engine reads one number per candidate."""
        n = values.shape[0]
        out = np.empty((n, len(self.accept_pairs)))
        for g in range(len(self.hets)):
            mask = segment == g
            if not mask.any():
                continue
            who = slice(None) if mask.all() else np.flatnonzero(mask)
            v, f = values[who], factor[who]
            for col, (a, k) in enumerate(self.accept_pairs):
                mult = np.ones(v.shape[0])
                for e in np.flatnonzero(self.code[g, a, k]):  # the product in effect order, as `acceptance`
                    mult *= v[:, e] if self.code[g, a, k, e] == 1 else 1.0 - v[:, e]
                out[who, col] = self.const[g, a, k] * mult / f[:, a]
        return out

    def _slots(self, g: int, stage: str) -> tuple[int, NDArray[np.int16]]:
        """The affected-stage index of `stage` and the destination per slot of segment g's row (invalid: -1)."""
        j = self.plan.scenario.journey
        row = g * (j.n_stages + 1) + j.index(stage)
        table = self.plan.table
        return int(self.of_row[row]), np.where(table.valid[row], table.dest[row], -1)
