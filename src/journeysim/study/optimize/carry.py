"""Carry-over between periods for the optimiser: each cell's effective dose on every day of its period, its own
money's adstock plus the adstock tails of the channel's earlier periods (`analytic.carryover.carried_doses`).

A period's response curve is evaluated day by day on that dose (`curves.Carry`), so a cell's marginal return
includes what its money still does in later periods (the chain rule through the doses), and money carried in
saturates a period's curve together with the period's own. Without adstock on any optimised channel there is no
carry (None) and the optimiser is what it was without carry-over, to the bit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.analytic.carryover import carried_doses
from journeysim.model.scenario import Scenario
from journeysim.study.optimize.curves import Carry
from journeysim.study.optimize.periods import Cells

#: days whose doses differ by less than this share of the largest share one column (a relative error of the
#: same order in the fitted curves, far below the simulation's noise)
SAME = 1e-9


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


def doses(scenario: Scenario, cells: Cells) -> Carry | None:
    """The cells' daily effective doses per unit of money, or None when no optimised channel carries over."""
    decay = [float(scenario.channels[cells.channels[c]].adstock) for c, _ in cells.pairs]
    if not any(d > 0 for d in decay):
        return None
    spans = [(cells.periods[p].start, cells.periods[p].end) for _, p in cells.pairs]
    daily = carried_doses(unit_days(cells, scenario.settings.horizon_days), decay, spans, [c for c, _ in cells.pairs])
    return merged(daily, [e - s for s, e in spans])


def merged(daily: NDArray[np.float64], lengths: list[int]) -> Carry:
    """`Carry` of the daily doses (cells, days of the periods end to end), a run of days whose doses agree to
    `SAME` of the largest in one column (the steady state of even pacing once the adstock has settled), weighted by
    its days / the period's days."""
    cols: list[NDArray[np.float64]] = []
    weights: list[float] = []
    start: list[int] = []
    at = 0
    for n in lengths:
        block = daily[:, at : at + n]
        tol = SAME * max(float(np.abs(block).max()), 1e-300)
        start.append(len(cols))
        for j in range(n):
            if j and float(np.abs(block[:, j] - cols[-1]).max()) <= tol:
                weights[-1] += 1.0 / n
                continue
            cols.append(block[:, j])
            weights.append(1.0 / n)
        at += n
    return Carry(np.column_stack(cols), np.array(start, dtype=np.intp), np.array(weights))
