"""Engine benchmark: the fast engine's throughput and peak memory by population size, and its speed-up over the
per-customer SimPy reference engine on the same model and seed.

Every measurement runs in a fresh subprocess, so the peak RSS it reports is that process's own high-water mark
(Python, numpy, scipy, pandas and simpy imports included; the baseline after imports is reported alongside).

    python benchmarks/bench_engine.py            # 1e4 .. 1e7 customers (needs ~1 GiB free memory)
    python benchmarks/bench_engine.py --quick    # 1e4 .. 1e6
    options: --csv PATH (default benchmarks/results/engine.csv), --markdown, --reference-size N (default 20000)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    HORIZON,
    JOURNEY,
    RESULTS,
    SEED,
    machine,
    markdown,
    note,
    rss_mib,
    show,
    write_csv,
)

DEFAULT_CSV = RESULTS / "engine.csv"
SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
REFERENCE_SIZE = 20_000
VARIANTS = ("initial", "arrivals")
TARGETS = "1M customers <= 1 s; 10M <= 10 s and <= 1 GiB peak RSS; fast >= 100x reference"
COLUMNS = {  # CSV column -> table header
    "bench": "bench",
    "engine": "engine",
    "variant": "variant",
    "customers": "customers",
    "days": "days",
    "transitions": "transitions",
    "compile_s": "plan s",
    "run_s": "run s",
    "transitions_per_s": "trans/s",
    "ns_per_transition": "ns/trans",
    "peak_rss_mib": "peak RSS MiB",
    "baseline_rss_mib": "base RSS MiB",
    "speedup_vs_reference": "fast/ref",
    "same_as_reference": "same paths",
}


def scenario(variant: str, customers: int) -> Any:
    """The journey-only model: everyone at awareness on day 0, or the same expected number arriving over the year."""
    import yaml

    from journeysim.model.scenario import Scenario

    journey = yaml.safe_load(JOURNEY.read_text())
    if variant == "initial":
        segment: dict[str, Any] = {"initial": {"awareness": customers}}
    else:
        segment = {"arrivals_per_day": customers / HORIZON}
    return Scenario.from_dict(
        {"journey": journey, "population": {"segments": {"everyone": segment}}, "sim": {"horizon_days": HORIZON}}
    )


def worker(engine: str, variant: str, customers: int, repeat: int) -> dict[str, Any]:
    """One measurement inside a fresh process: compile the plan, run the engine `repeat` times, keep the best."""
    from journeysim.engine.fast import simulate_fast
    from journeysim.engine.plan import Plan
    from journeysim.engine.reference import simulate_reference

    simulate = simulate_fast if engine == "fast" else simulate_reference
    sc = scenario(variant, customers)
    baseline = rss_mib()
    compile_s, run_s = np.inf, np.inf
    n_customers = transitions = 0
    digest = ""
    for _ in range(repeat):  # nothing from one repeat stays alive into the next, so the peak is one run's
        t0 = time.perf_counter()
        plan = Plan.compile(sc, np.random.SeedSequence(SEED))
        t1 = time.perf_counter()
        rec = simulate(plan)
        t2 = time.perf_counter()
        compile_s, run_s = min(compile_s, t1 - t0), min(run_s, t2 - t1)
        n_customers, transitions = len(rec.customers), int(rec.flows.sum())
        digest = hashlib.sha1(np.ascontiguousarray(rec.flows).tobytes()).hexdigest()
        del plan, rec
    return {
        "engine": engine,
        "variant": variant,
        "customers": n_customers,
        "days": HORIZON,
        "transitions": transitions,
        "compile_s": compile_s,
        "run_s": run_s,
        "peak_rss_mib": rss_mib(),
        "baseline_rss_mib": baseline,
        "flows_digest": digest,
    }


def measure_one(engine: str, variant: str, customers: int, repeat: int) -> dict[str, Any]:
    """Run `worker` in a fresh interpreter and read its JSON line."""
    cmd = [sys.executable, __file__, "--worker", engine, variant, str(customers), str(repeat)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    row["transitions_per_s"] = row["transitions"] / row["run_s"]
    row["ns_per_transition"] = 1e9 * row["run_s"] / row["transitions"]
    row["speedup_vs_reference"] = row["same_as_reference"] = ""
    return row


def measure(quick: bool = False, reference_size: int = REFERENCE_SIZE) -> list[dict[str, Any]]:
    """All rows: the fast engine by population size for both variants, and fast vs reference at one size."""
    sizes = SIZES[:-1] if quick else SIZES
    rows: list[dict[str, Any]] = []
    for variant in VARIANTS:
        for n in sizes:
            rows.append(measure_one("fast", variant, n, repeat=10 if n <= 100_000 else 3 if n <= 1_000_000 else 2))
            note(f"  scaling: fast {variant} {n:,}: {rows[-1]['run_s']:.3f} s")
        ref = measure_one("reference", variant, reference_size, repeat=3)
        same = measure_one("fast", variant, reference_size, repeat=20)
        identical = ref["flows_digest"] == same["flows_digest"]
        if not identical:
            print(f"WARNING: the engines disagree on the {variant} model with one seed", file=sys.stderr)
        same["speedup_vs_reference"] = ref["run_s"] / same["run_s"]
        ref["same_as_reference"] = same["same_as_reference"] = "yes" if identical else "NO"
        rows += [ref, same]
        note(f"  scaling: reference {variant} {reference_size:,}: {ref['run_s']:.3f} s")
    for row in rows:
        row["bench"] = "scaling"
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="skip 1e7 customers")
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV, help=f"where to write the table (default {DEFAULT_CSV})")
    p.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    p.add_argument("--reference-size", type=int, default=REFERENCE_SIZE, help="customers for the speed-up runs")
    p.add_argument("--worker", nargs=4, metavar=("ENGINE", "VARIANT", "N", "REPEAT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        engine, variant, n, repeat = args.worker
        print(json.dumps(worker(engine, variant, int(n), int(repeat))))
        return 0

    print(f"machine: {machine()}")
    print(f"load average at start (1, 5, 15 min): {os.getloadavg()}")
    print(f"targets: {TARGETS}")
    rows = measure(args.quick, args.reference_size)
    show(rows, COLUMNS, f"journeysim engine benchmark (customer_journey, {HORIZON} days)")
    if args.markdown:
        print(markdown(rows, COLUMNS, skip=("bench", "days", "baseline_rss_mib")))
    print(f"load average at end (1, 5, 15 min): {os.getloadavg()}")
    write_csv(args.csv, rows, COLUMNS)
    print(f"written: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
