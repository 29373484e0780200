"""Every engine benchmark in one go: one table on stdout, one CSV.

- scaling (`bench_engine.py`): the journey-only model (everyone at awareness on day 0, or Poisson arrivals) from
  10^4 to 10^7 customers, each size in a fresh process (best of several runs, peak memory of one), and the fast
  vs the reference engine at 20,000 customers;
- full (`bench_full.py`): the full model (6 channels with flights, referrals) and the journey-only model on the
  same 1M-customer population, interleaved in one process (best of `--repeat`), the ratio between them, peak
  memory from a fresh process each, and both engines on both models at 20,000 customers.

    python benchmarks/run.py                 # everything (~2 min, needs ~1 GiB of free memory)
    python benchmarks/run.py --quick         # without 10^7 customers (~1 min)
    options: --csv PATH (default benchmarks/results/benchmarks.csv), --markdown, --repeat R, --reference-size N
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_engine
import bench_full
from common import HORIZON, RESULTS, machine, markdown, show, write_csv

DEFAULT_CSV = RESULTS / "benchmarks.csv"
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
TARGETS = (
    "journey-only 1M customers <= 1 s, 10M <= 10 s and <= 1 GiB peak RSS; fast >= 100x reference; "
    "full model 1M customers <= 1.5 s and <= 3x journey-only"
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="skip 10^7 customers in the scaling benchmark")
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV, help=f"where to write the table (default {DEFAULT_CSV})")
    p.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    p.add_argument("--repeat", type=int, default=5, help="interleaved repeats of the full benchmark (default 5)")
    p.add_argument("--reference-size", type=int, default=20_000, help="customers for fast vs reference")
    args = p.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"load average at start (1, 5, 15 min): {os.getloadavg()}")
    print(f"targets: {TARGETS}")
    scaling = bench_engine.measure(args.quick, args.reference_size)
    for row in scaling:
        row["model"] = f"journey-only, {row['variant']}"
    full = bench_full.measure(bench_full.CUSTOMERS, args.repeat, args.reference_size)
    for row in full:
        row["model"] = {"journey_only": "journey-only, mixed", "full": "full"}[row["model"]]
    rows: list[dict[str, Any]] = scaling + full
    show(rows, COLUMNS, f"journeysim engine benchmarks (customer_journey, {HORIZON} days)")
    if args.markdown:
        print(markdown(rows, COLUMNS, skip=("days", "baseline_rss_mib")))
    print(f"load average at end (1, 5, 15 min): {os.getloadavg()}")
    write_csv(args.csv, rows, COLUMNS)
    print(f"written: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
