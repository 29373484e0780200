"""Carry-over between periods for the optimiser: the matrix that turns cells' money into each period's effective
dose (its own money plus the adstock tails of the channel's earlier periods, `analytic.carryover.carry_matrix`).

The response curves of a period are fitted and solved on that dose, so a cell's marginal return includes what its
money still does in later periods (the chain rule through the matrix), and money carried in saturates a period's
curve together with the period's own. Without adstock on any optimised channel there is no matrix (None) and the
optimiser is what it was without carry-over, to the bit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.analytic.carryover import carry_matrix
from journeysim.model.scenario import Scenario
from journeysim.study.optimize.periods import Cells


def unit_days(cells: Cells, horizon: int) -> NDArray[np.float64]:
    """(cells, horizon) money per day of each cell for one unit of its money (its days, at the plan's pacing)."""
    out = np.zeros((len(cells.pairs), horizon))
    for c in cells.channels:
        w, at = cells.weights[c], 0
        for f, k in cells.pieces[c]:
            out[k, f.start : f.end] += w[at : at + f.end - f.start]
            at += f.end - f.start
    mass = out.sum(axis=1, keepdims=True)
    return np.divide(out, mass, out=np.zeros_like(out), where=mass > 0)


def dose_matrix(scenario: Scenario, cells: Cells) -> NDArray[np.float64] | None:
    """The cells' carry matrix M (effective doses x @ M), or None when no optimised channel carries over."""
    decay = [float(scenario.channels[cells.channels[c]].adstock) for c, _ in cells.pairs]
    if not any(d > 0 for d in decay):
        return None
    spans = [(cells.periods[p].start, cells.periods[p].end) for _, p in cells.pairs]
    daily = unit_days(cells, scenario.settings.horizon_days)
    return carry_matrix(daily, decay, spans, [c for c, _ in cells.pairs])
