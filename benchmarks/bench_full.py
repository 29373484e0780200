"""Full-model benchmark: 6 channels with flights and word of mouth against the journey-only model on the same
population, both with the fast engine; and both against the per-customer SimPy reference engine.

Timings come from ONE process, the two models interleaved (journey-only, full, journey-only, full, ...) and the
best of `--repeat` runs kept for each, so the ratio full / journey-only compares runs made side by side on this
(shared, noisy) machine. Peak memory comes from a fresh interpreter per model, running it once.

    python benchmarks/bench_full.py                  # 1,000,000 customers, 5 repeats, reference at 20,000
    options: --customers N, --repeat R, --reference-size N, --csv PATH, --markdown
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

from common import HORIZON, RESULTS, SEED, machine, markdown, model, note, rss_mib, show, write_csv

MODELS = ("journey_only", "full")
CUSTOMERS = 1_000_000
REFERENCE_SIZE = 20_000
DEFAULT_CSV = RESULTS / "full.csv"
TARGETS = "full model 1M customers x 365 days <= 1.5 s and <= 3x journey-only; fast >= 100x reference"
COLUMNS = {  # CSV column -> table header
    "bench": "bench",
    "engine": "engine",
    "model": "model",
    "customers": "customers",
    "days": "days",
    "transitions": "transitions",
    "compile_s": "plan s",
    "run_s": "run s",
    "transitions_per_s": "trans/s",
    "ns_per_transition": "ns/trans",
    "peak_rss_mib": "peak RSS MiB",
    "baseline_rss_mib": "base RSS MiB",
    "vs_journey_only": "vs journey-only",
    "speedup_vs_reference": "fast/ref",
    "same_as_reference": "same paths",
}


def digest(rec: Any) -> str:
    """SHA-1 of the daily flows: equal digests mean both engines walked every customer through the same path."""
    return hashlib.sha1(np.ascontiguousarray(rec.flows).tobytes()).hexdigest()


def interleaved(
    scenarios: dict[str, Any], engines: dict[str, Any], repeat: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """Compile and run every (engine, model) `repeat` times, interleaved; keep the best compile and run times."""
    from journeysim.engine.plan import Plan

    out: dict[tuple[str, str], dict[str, Any]] = {}
    for _ in range(repeat):
        for name, sc in scenarios.items():
            for engine, simulate in engines.items():
                t0 = time.perf_counter()
                plan = Plan.compile(sc, np.random.SeedSequence(SEED))
                t1 = time.perf_counter()
                rec = simulate(plan)
                t2 = time.perf_counter()
                row = out.setdefault(
                    (engine, name),
                    {
                        "engine": engine,
                        "model": name,
                        "customers": len(rec.customers),
                        "days": HORIZON,
                        "transitions": int(rec.flows.sum()),
                        "compile_s": np.inf,
                        "run_s": np.inf,
                        "flows_digest": digest(rec),
                    },
                )
                row["compile_s"] = min(row["compile_s"], t1 - t0)
                row["run_s"] = min(row["run_s"], t2 - t1)
                del plan, rec
    for row in out.values():
        row["transitions_per_s"] = row["transitions"] / row["run_s"]
        row["ns_per_transition"] = 1e9 * row["run_s"] / row["transitions"]
    return out


def worker(name: str, customers: int) -> dict[str, Any]:
    """Inside a fresh interpreter: build, compile and run one model once; report the peak resident memory."""
    from journeysim.engine.fast import simulate_fast
    from journeysim.engine.plan import Plan

    sc = model(name, customers)
    baseline = rss_mib()
    rec = simulate_fast(Plan.compile(sc, np.random.SeedSequence(SEED)))
    return {"peak_rss_mib": rss_mib(), "baseline_rss_mib": baseline, "transitions": int(rec.flows.sum())}


def peak_memory(name: str, customers: int) -> dict[str, Any]:
    """Run `worker` in a fresh interpreter and read its JSON line."""
    cmd = [sys.executable, __file__, "--worker", name, str(customers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def measure(customers: int, repeat: int, reference_size: int) -> list[dict[str, Any]]:
    """All rows: both models with the fast engine at `customers`; both engines on both models at
    `reference_size`."""
    from journeysim.engine.fast import simulate_fast
    from journeysim.engine.reference import simulate_reference

    note(f"bench_full: fast engine, {customers:,} customers, {repeat} interleaved repeats")
    big = interleaved({m: model(m, customers) for m in MODELS}, {"fast": simulate_fast}, repeat)
    rows = [big["fast", m] for m in MODELS]
    for m, row in zip(MODELS, rows, strict=True):
        note(f"bench_full: peak memory of {m} in a fresh process")
        mem = peak_memory(m, customers)
        row.update(peak_rss_mib=mem["peak_rss_mib"], baseline_rss_mib=mem["baseline_rss_mib"])
        row["vs_journey_only"] = row["run_s"] / big["fast", "journey_only"]["run_s"]
    note(f"bench_full: fast vs reference engine, {reference_size:,} customers")
    small = interleaved(
        {m: model(m, reference_size) for m in MODELS},
        {"reference": simulate_reference, "fast": simulate_fast},
        max(3, repeat // 2),
    )
    for m in MODELS:
        ref, fast = small["reference", m], small["fast", m]
        same = "yes" if ref["flows_digest"] == fast["flows_digest"] else "NO"
        if same != "yes":
            print(f"WARNING: the engines disagree on the {m} model with one seed", file=sys.stderr)
        fast["speedup_vs_reference"] = ref["run_s"] / fast["run_s"]
        ref["same_as_reference"] = fast["same_as_reference"] = same
        for engine in ("reference", "fast"):
            small[engine, m]["vs_journey_only"] = small[engine, m]["run_s"] / small[engine, "journey_only"]["run_s"]
        rows += [ref, fast]
    for row in rows:
        row["bench"] = "full"
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=CUSTOMERS, help=f"population size (default {CUSTOMERS:,})")
    p.add_argument("--repeat", type=int, default=5, help="interleaved repeats, best kept (default 5)")
    p.add_argument("--reference-size", type=int, default=REFERENCE_SIZE, help="customers for fast vs reference")
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV, help=f"where to write the table (default {DEFAULT_CSV})")
    p.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    p.add_argument("--worker", nargs=2, metavar=("MODEL", "N"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return 0
    print(f"machine: {machine()}")
    print(f"load average at start (1, 5, 15 min): {os.getloadavg()}")
    print(f"targets: {TARGETS}")
    rows = measure(args.customers, args.repeat, args.reference_size)
    show(rows, COLUMNS, f"journeysim full-model benchmark (customer_journey, {HORIZON} days)")
    if args.markdown:
        print(markdown(rows, COLUMNS, skip=("bench", "days", "baseline_rss_mib")))
    print(f"load average at end (1, 5, 15 min): {os.getloadavg()}")
    write_csv(args.csv, rows, COLUMNS)
    print(f"written: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
