"""The budget optimiser against a box search at equal simulation budget, judged on fresh random numbers.

Problem: split the current total of the four channels the Optuna preset searches (social, search, email,
retargeting; conf/hydra/sweeper/budget_search.yaml) for the best incremental profit, default b2c population
scaled, one year, `strategy=balanced` as the current plan.

- `optimiser`: `journeysim.study.optimize.optimise` with its default budget (3 x channels + 6 simulated plans,
  the counterfactual included) and the same box as bounds; it stops early once its solution stops moving.
- `box search`: the preset's box (social, search, retargeting 0..60,000; email 0..20,000, in the config's money),
  each sample rescaled to the fixed total (a box search cannot hold a total otherwise), the best by mean simulated
  profit on the same common random numbers. Optuna is not importable here (the extra pins optuna 2.10), so
  its samples are uniform: what TPE's 10 random start-up trials are; TPE's later trials would do better than
  uniform ones. Run at the same number of simulated plans and at 4 x as many.
- Every answer is then simulated again on `--check-replications` fresh replications (another seed), paired with
  the others, so the comparison is not flattered by the noise each search selected on.

    python benchmarks/bench_optimize.py            # ~3-5 min on 2 cores
    python benchmarks/bench_optimize.py --quick    # a smaller population and fewer replications (~1 min)
    python benchmarks/bench_optimize.py --against optuna   # against Optuna's TPE (bench_optimize_optuna.py)
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from journeysim.config.compose import compose, load_scenario
from journeysim.config.scaling import budget_scale
from journeysim.config.validate import resolved_container
from journeysim.study.optimize import Bound, OptimizeSpec, optimise
from journeysim.study.optimize.evaluate import Evaluator
from journeysim.study.optimize.search import objective_samples
from journeysim.study.optimize.solve import project

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ("social", "search", "email", "retargeting")
BOX = np.array([60_000.0, 60_000.0, 20_000.0, 60_000.0])  # the preset's ranges, config money
DEFAULT_CSV = ROOT / "benchmarks" / "results" / "optimize.csv"


def box_search(base: object, total: float, box: np.ndarray, plans: int, seed: int) -> tuple[np.ndarray, float]:
    """The best of `plans` uniform samples of the box, rescaled to `total`, by mean simulated profit (CRN)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    ev = Evaluator(base, CHANNELS)  # type: ignore[arg-type]
    samples = [rng.uniform(0.0, box) for _ in range(plans)]
    points = [project(s * total / s.sum(), np.zeros(len(CHANNELS)), box, total) for s in samples]
    ev(points)
    means = [float(objective_samples(inc, "profit").mean()) for inc in ev.increments]
    best = int(np.argmax(means))
    return ev.budgets[best], means[best]


def judge(overrides: list[str], plans: dict[str, np.ndarray], reps: int) -> pd.DataFrame:
    """Every plan on fresh seeds, paired: mean incremental profit, its CI, and the paired difference to the
    optimiser's plan."""
    fresh = load_scenario([*overrides, "sim.seed=2027", f"sim.replications={reps}"])
    ev = Evaluator(fresh, CHANNELS)
    incs = ev(list(plans.values()))
    profit = {k: objective_samples(inc, "profit") for k, inc in zip(plans, incs, strict=True)}
    ref = profit["optimiser"]
    rows = []
    for k, p in profit.items():
        d = ref - p
        half = 1.96 * d.std(ddof=1) / math.sqrt(d.size) if d.size > 1 else math.nan
        rows.append({"plan": k, "profit": p.mean(), "profit_se": p.std(ddof=1) / math.sqrt(p.size),
                     "optimiser_minus_this": d.mean(), "diff_ci_half": half})  # fmt: skip
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--check-replications", type=int, default=16)
    p.add_argument("--csv", default=None, help="default: results/optimize.csv (optimize_optuna.csv for optuna)")
    p.add_argument("--against", choices=("box", "optuna"), default="box", help="the uniform box search or Optuna TPE")
    p.add_argument("--repeats", type=int, default=5, help="optuna: independent scenario and sampler seeds")
    p.add_argument("--factors", default="1,2,4,8", help="optuna: trials as multiples of the optimiser's simulations")
    p.add_argument("--spaces", default="simplex,box", help="optuna: the search spaces (simplex, box)")
    p.add_argument("--multivariate", action="store_true", help="optuna: TPE with multivariate=True")
    p.add_argument("--rejudge", default=None, help="optuna: judge an earlier run's answers (its CSV) again")
    args = p.parse_args()
    if args.quick:
        args.scale, args.replications, args.check_replications, args.repeats = 0.02, 3, 8, 1
    overrides = ["strategy=balanced", f"population.scale={args.scale}", f"sim.replications={args.replications}"]
    if args.against == "optuna":
        import bench_optimize_optuna

        args.csv = args.csv or str(bench_optimize_optuna.CSV)
        bench_optimize_optuna.run(args, overrides, CHANNELS, BOX)
        return
    args.csv = args.csv or str(DEFAULT_CSV)
    base = load_scenario(overrides)
    scale = budget_scale(resolved_container(compose(overrides)))
    current = np.array([next(pl.budget for pl in base.strategy.plans if pl.channel == c) for c in CHANNELS])
    total = float(current.sum())
    t0 = time.perf_counter()
    bounds = {c: Bound(0.0, float(b * scale)) for c, b in zip(CHANNELS, BOX, strict=True)}  # the same box
    result = optimise(base, OptimizeSpec(CHANNELS, total=total, bounds=bounds))
    t_opt = time.perf_counter() - t0
    n = int(result.summary["simulations"])
    found = {"optimiser": (result.chosen, n, t_opt)}
    for factor in (1, 4):
        t1 = time.perf_counter()
        x, _ = box_search(base, total, BOX * scale, n * factor, seed=factor)
        found[f"box search x{factor}"] = (x, n * factor, time.perf_counter() - t1)
    found["current plan"] = (current, 0, 0.0)
    table = judge(overrides, {k: v[0] for k, v in found.items()}, args.check_replications)
    table["simulated_plans"] = [found[k][1] for k in table["plan"]]
    table["seconds"] = [round(found[k][2], 1) for k in table["plan"]]
    for i, c in enumerate(CHANNELS):
        table[c] = [round(found[k][0][i] / scale) for k in table["plan"]]
    for col in ("profit", "profit_se", "optimiser_minus_this", "diff_ci_half"):
        table[col] = table[col] / scale  # the whole market's money
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.csv, index=False)
    print(
        f"total {total / scale:,.0f} over {', '.join(CHANNELS)}; population.scale={args.scale}, "
        f"{args.replications} replications per plan; judged on {args.check_replications} fresh replications"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))


if __name__ == "__main__":
    main()
