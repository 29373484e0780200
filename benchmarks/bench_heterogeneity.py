"""Cost of per-customer heterogeneity in the fast engine: the same model with and without random effects.

Two models, 1M customers over one year, each run with and without its effects, interleaved in one process (best of
`--repeat`), and the ratio of run times (target <= 1.3x):
- journey: the default 9-stage customer journey (a tenth at awareness on day 0, the rest arriving over the year)
  with a gamma effect (shape 0.5) on the exits of consideration and intent and a lognormal effect (sigma 0.8) on
  loyalty -> purchase;
- bgnbd: the BG/NBD preset (1M active customers, gamma purchase rates, beta drop-out) against the same journey
  with everyone at the mean rates.
Effects change who buys, so the transitions differ a little; ns per transition is shown alongside.

    python benchmarks/bench_heterogeneity.py [--customers N] [--repeat R] [--csv PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HORIZON, JOURNEY, RESULTS, SEED, load, machine, population, show, write_csv

DEFAULT_CSV = RESULTS / "heterogeneity.csv"
COLUMNS = {
    "model": "model",
    "effects": "effects",
    "customers": "customers",
    "transitions": "transitions",
    "run_s": "run s",
    "ns_per_transition": "ns/trans",
    "ratio": "with / without",
}
JOURNEY_EFFECTS = {
    "deliberation": {"kind": "gamma", "shape": 0.5, "stages": ["consideration", "intent"]},
    "repeat_rate": {"kind": "lognormal", "sigma": 0.8, "transitions": {"loyalty": ["purchase"]}},
}


def scenarios(customers: int) -> dict[str, tuple[Any, Any]]:
    """(without, with) effects for each model."""
    from journeysim.config import load_scenario
    from journeysim.model.scenario import Scenario

    pop = population(customers)
    plain = Scenario.from_dict({"journey": load(JOURNEY), "population": pop, "sim": {"horizon_days": HORIZON}})
    pop["segments"]["everyone"]["heterogeneity"] = JOURNEY_EFFECTS
    mixed = Scenario.from_dict({"journey": load(JOURNEY), "population": pop, "sim": {"horizon_days": HORIZON}})
    scale = f"population.scale={customers / 10_000:g}"
    days = f"sim.horizon_days={HORIZON}"
    btyd = load_scenario(["journey=bgnbd", "population=bgnbd", scale, days])
    flat = load_scenario(
        ["journey=bgnbd", "population=bgnbd", scale, days, "population.segments.customers.heterogeneity=null"]
    )
    return {"journey": (plain, mixed), "bgnbd": (flat, btyd)}


def measure(customers: int, repeat: int) -> list[dict[str, Any]]:
    from journeysim.engine.fast import simulate_fast
    from journeysim.engine.plan import Plan

    rows: list[dict[str, Any]] = []
    for model, pair in scenarios(customers).items():
        best = [np.inf, np.inf]
        counts = [0, 0]
        for _ in range(repeat):  # interleaved, so load changes hit both alike
            for i, sc in enumerate(pair):
                plan = Plan.compile(sc, np.random.SeedSequence(SEED))
                t0 = time.perf_counter()
                rec = simulate_fast(plan)
                best[i] = min(best[i], time.perf_counter() - t0)
                counts[i] = int(rec.flows.sum())
                del plan, rec
        for i, label in enumerate(("no", "yes")):
            rows.append(
                {
                    "model": model,
                    "effects": label,
                    "customers": customers,
                    "transitions": counts[i],
                    "run_s": best[i],
                    "ns_per_transition": 1e9 * best[i] / counts[i],
                    "ratio": f"{best[1] / best[0]:.2f}x" if i else "",
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = p.parse_args(argv)
    print(f"machine: {machine()}")
    rows = measure(args.customers, args.repeat)
    show(rows, COLUMNS, f"cost of heterogeneity, fast engine ({HORIZON} days; target <= 1.3x)")
    write_csv(args.csv, rows, COLUMNS)
    print(f"written: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
