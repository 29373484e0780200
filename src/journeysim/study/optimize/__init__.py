"""The budget optimiser on the simulated journey: split a fixed total over channels for the best incremental
objective (or find the least total reaching a target), on common random numbers, with the answer's uncertainty.

    from journeysim.study.optimize import OptimizeSpec, optimise
    result = optimise(scenario, OptimizeSpec(("social", "search", "email"), total=15_000))
"""

from __future__ import annotations

from journeysim.study.optimize.optimise import Infeasible, OptimizeResult, optimise
from journeysim.study.optimize.spec import OBJECTIVES, Bound, OptimizeInputError, OptimizeSpec, Target

__all__ = [
    "OBJECTIVES",
    "Bound",
    "Infeasible",
    "OptimizeInputError",
    "OptimizeResult",
    "OptimizeSpec",
    "Target",
    "optimise",
]
