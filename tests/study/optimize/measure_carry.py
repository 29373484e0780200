"""Objective lost against the exact optimum with carry-over, with and without carry-aware curves (docs/optimize.md).

The seasonal model of conftest.py (one channel, two 30-day periods, the second converting half as often) with
geometric adstock; the exact optimum and every split's expected new buyers come from the closed form
(`conftest.seasonal_expected`), so the loss has no simulation noise. Run: `python tests/study/optimize/measure_carry.py`
(one optimisation per decay and setting, seed 3, 8 replications per plan, the default budget of simulations).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from conftest import build_seasonal, purchase_by_day, seasonal_carry_optimum, seasonal_expected
from journeysim.study.optimize import OptimizeSpec, optimise

TOTAL = 6_000.0


def main() -> None:
    p = purchase_by_day()
    print("| adstock | exact optimum (new buyers) | carry-aware: split, lost | per-cell curves: split, lost |")
    print("|---|---|---|---|")
    for decay in (0.5, 0.8, 0.9):
        best = seasonal_carry_optimum(TOTAL, decay)
        top = seasonal_expected(best, decay, p)
        cols = [f"{best[0]:,.0f} / {best[1]:,.0f} ({top:,.1f})"]
        for carry in (True, False):
            t0 = time.perf_counter()
            spec = OptimizeSpec(("c0",), total=TOTAL, objective="new_buyers", periods="2", carry_over=carry)
            res = optimise(build_seasonal(adstock=decay), spec)
            lost = top - seasonal_expected(res.chosen, decay, p)
            cols.append(
                f"{res.chosen[0]:,.0f} / {res.chosen[1]:,.0f}, {lost:,.2f} ({lost / top:.3%}; "
                f"{res.summary['simulations']} plans, {time.perf_counter() - t0:.0f} s)"
            )
            assert float(np.sum(res.chosen)) == TOTAL
        print(f"| {decay} | " + " | ".join(cols) + " |", flush=True)


if __name__ == "__main__":
    main()
