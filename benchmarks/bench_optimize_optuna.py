"""The budget optimiser against Optuna's TPE sampler at equal simulation budget, judged on fresh paired seeds.

Same problem as `bench_optimize.py` (the balanced plan's total over social, search, email and retargeting, the
preset `hydra/sweeper=budget_search`'s box as bounds, incremental profit). Per repeat (its own scenario seed,
derived with `SeedSequence.spawn`, and its own sampler seed):

- `optimiser`: `journeysim.study.optimize.optimise`, default budget; n = the simulations it used (counterfactual
  included).
- `tpe simplex xF`: `optuna_search(space="simplex")`: a weight per channel, normalised to the total and moved into
  the box, so every trial honours the total; the best of the first F x n trials (one study, 8 x n trials: TPE is
  sequential, so its first F x n trials are what a study of F x n trials would run).
- `tpe box xF`: `optuna_search(space="box")`: the preset's search, each channel in its range on its own, the total
  free: its answer need not spend the total.
`--multivariate` runs TPE with optuna's `multivariate=True` (methods `tpe-mv ...`); `--spaces` picks the spaces.
Every trial is one simulated plan on the optimiser's scenario, seed and replications (common random numbers), two
trials asked and simulated at a time (the preset's n_jobs = 2). Optuna gets all n as trials: its ranking needs no
counterfactual (its one counterfactual run is not counted), so the comparison leans its way.

All answers of all repeats are then simulated on `--check-replications` replications of a seed neither method saw,
together (paired); reported: each answer's profit, optimiser minus it per repeat (paired se on the fresh
replications) and over repeats (mean, se over repeats).

    python benchmarks/bench_optimize.py --against optuna --check-replications 256   # 5 repeats, ~30 min, 2 cores
    python benchmarks/bench_optimize.py --against optuna --quick       # 1 repeat, small population (~1-2 min)
    python benchmarks/bench_optimize.py --against optuna --rejudge OLD.csv --check-replications 256  # judge again
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from journeysim.config.compose import compose, load_scenario
from journeysim.config.scaling import budget_scale
from journeysim.config.validate import resolved_container
from journeysim.study.optimize import Bound, OptimizeSpec, optimise
from journeysim.study.optimize.baselines import optuna_search
from journeysim.study.optimize.evaluate import Evaluator
from journeysim.study.optimize.search import objective_samples

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "benchmarks" / "results" / "optimize_optuna.csv"
ROOT_SEED = 20261204  # the repeats' seeds are spawned from it; the judging seed is its last child


def have_optuna() -> bool:
    """Whether the optional extra is installed."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        return False
    return True


def one_repeat(
    overrides: list[str], channels: tuple[str, ...], box: np.ndarray, seeds: tuple[int, int], args: Any
) -> list[dict[str, Any]]:
    """The optimiser and both TPE searches on one scenario seed; one row per answer (plan, sims, seconds)."""
    sim_seed, sampler_seed = seeds
    ov = [*overrides, f"sim.seed={sim_seed}"]
    base = load_scenario(ov)
    scale = budget_scale(resolved_container(compose(ov)))
    current = np.array([next(p.budget for p in base.strategy.plans if p.channel == c) for c in channels])
    total, hi = float(current.sum()), box * scale
    t0 = time.perf_counter()
    bounds = {c: Bound(0.0, float(b)) for c, b in zip(channels, hi, strict=True)}
    result = optimise(base, OptimizeSpec(channels, total=total, bounds=bounds))
    n = int(result.summary["simulations"])
    rows = [{"method": "optimiser", "x": result.chosen, "sims": n, "seconds": time.perf_counter() - t0}]
    factors, label = [int(f) for f in args.factors.split(",")], "tpe-mv" if args.multivariate else "tpe"
    for space in args.spaces.split(","):
        t1 = time.perf_counter()
        found = optuna_search(
            base, channels, np.zeros(len(channels)), hi, total=total, trials=max(factors) * n, seed=sampler_seed,
            space=space, multivariate=args.multivariate,
        )  # fmt: skip
        per_trial = (time.perf_counter() - t1) / len(found.values)
        for f in factors:
            x, _ = found.best_of(f * n)
            rows.append({"method": f"{label} {space} x{f}", "x": x, "sims": f * n, "seconds": per_trial * f * n})
    rows.append({"method": "current plan", "x": current, "sims": 0, "seconds": 0.0})
    for r in rows:
        r.update(sim_seed=sim_seed, sampler_seed=sampler_seed, scale=scale, total_target=total)
    return rows


def judge(overrides: list[str], channels: tuple[str, ...], rows: list[dict[str, Any]], seed: int, reps: int) -> None:
    """Every answer on `reps` fresh replications (each distinct plan once, all together); adds profit, its se, and
    the paired optimiser minus this (mean, se) within each repeat, in place."""
    fresh = load_scenario([*overrides, f"sim.seed={seed}", f"sim.replications={reps}"])
    plans = {tuple(r["x"]): np.asarray(r["x"], float) for r in rows}
    incs = Evaluator(fresh, channels)(list(plans.values()))
    by_plan = {k: objective_samples(inc, "profit") for k, inc in zip(plans, incs, strict=True)}
    profit = [by_plan[tuple(r["x"])] for r in rows]
    ref = {r["sim_seed"]: p for r, p in zip(rows, profit, strict=True) if r["method"] == "optimiser"}
    for r, p in zip(rows, profit, strict=True):
        d = ref[r["sim_seed"]] - p
        r.update(profit=p.mean(), profit_se=p.std(ddof=1) / math.sqrt(p.size), diff=d.mean(),
                 diff_se=d.std(ddof=1) / math.sqrt(d.size), diff_samples=d)  # fmt: skip


def rejudge_rows(csv: str, channels: tuple[str, ...]) -> list[dict[str, Any]]:
    """The answers of an earlier run (its CSV), to judge again on more replications without searching again."""
    keep = ["method", "sims", "seconds", "sim_seed", "sampler_seed", "scale", "total_target"]
    table = pd.read_csv(csv)
    rows = table[keep].to_dict("records")
    for r, x in zip(rows, table[list(channels)].to_numpy(float) * table[["scale"]].to_numpy(), strict=True):
        r["x"] = x
    return rows


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per method over repeats: simulations, profit, optimiser minus it (mean; se over repeats; se of the
    repeat-averaged paired difference on the fresh replications), how often the optimiser's answer was better."""
    rows = []
    for method, g in table.groupby("method", sort=False):
        d = np.vstack(g["diff_samples"].to_list()).mean(axis=0)  # fresh replication x (mean over repeats)
        k = len(g)
        rows.append({
            "method": method, "sims": g["sims"].mean(), "total": g["total"].mean(), "profit": g["profit"].mean(),
            "optimiser_minus_this": g["diff"].mean(),
            "se_over_repeats": g["diff"].std(ddof=1) / math.sqrt(k) if k > 1 else math.nan,
            "se_fresh_reps": d.std(ddof=1) / math.sqrt(d.size), "optimiser_better": f"{int((g['diff'] > 0).sum())}/{k}",
            "seconds": g["seconds"].mean(),
        })  # fmt: skip
    return pd.DataFrame(rows)


def run(args: Any, overrides: list[str], channels: tuple[str, ...], box: np.ndarray) -> None:
    """The comparison; prints the per-repeat and summary tables and writes the per-repeat CSV."""
    if not have_optuna():
        print('skipped: optuna is not installed (pip install "journeysim[optuna]"; it pins optuna 2.10)')
        return
    children = np.random.SeedSequence(ROOT_SEED).spawn(args.repeats + 1)
    rows: list[dict[str, Any]] = rejudge_rows(args.rejudge, channels) if args.rejudge else []
    for child in [] if args.rejudge else children[:-1]:
        a, b = (int(v) for v in child.generate_state(2))
        rows += one_repeat(overrides, channels, box, (a, b), args)
        print(f"repeat {len({r['sim_seed'] for r in rows})} of {args.repeats} searched", file=sys.stderr, flush=True)
    judge(overrides, channels, rows, int(children[-1].generate_state(1)[0]), args.check_replications)
    table = pd.DataFrame(rows)
    for i, c in enumerate(channels):
        table[c] = [x[i] for x in table["x"]]
    table["total"] = table["x"].map(lambda x: float(np.sum(x)))
    money = ["profit", "profit_se", "diff", "diff_se", "total", *channels]
    table[money] = table[money].div(table["scale"], axis=0)  # the whole market's money
    table["diff_samples"] = table["diff_samples"] / table["scale"]
    table["honours_total"] = np.isclose(table["total"], table["total_target"] / table["scale"], rtol=1e-9)
    summary = summarise(table)
    out = table.drop(columns=["x", "diff_samples"])
    Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.csv, index=False)
    print(
        f"total {out['total_target'].iloc[0] / out['scale'].iloc[0]:,.0f} over {', '.join(channels)}; "
        f"population.scale={args.scale}, {args.replications} replications per plan, {args.repeats} repeats; "
        f"judged on {args.check_replications} fresh replications"
    )
    cols = ["method", "sim_seed", "sims", "total", "profit", "diff", "diff_se", "seconds", *channels]
    print(out[cols].to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    print(summary.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
