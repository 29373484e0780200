"""Cost of the touch log (`outputs.touches`): one replication of the full benchmark model (6 channels, word of
mouth, one year) at 1M customers, without the log, with the full log and with a 10% sample (`touch_sample=0.1`:
the engine records only the sampled customers' moves), interleaved in one process (best of `--repeat`). Times
are the process's CPU time (user + system, `time.process_time`): on a shared machine wall-clock time mostly
measures the other jobs (shown too). Each timed
run is what a replication does: the simulation (with the event log the touch log reads) and, when on, the touch
log and its customer paths. Targets: full <= 2x, sampled <= 1.2x of the run without the log. With the fast extra
(numba) installed the log is measured with its compiled loops and with the numpy code alone (the same touches either
way; the first compiled run of a changed `engine/compiled.py` also compiles it, so the best of >= 2 runs counts).

    python benchmarks/bench_touches.py [--customers N] [--repeat R] [--csv PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HORIZON, RESULTS, SEED, machine, model, show, write_csv

DEFAULT_CSV = RESULTS / "touches.csv"
COLUMNS = {
    "log": "touch log",
    "customers": "customers",
    "touches": "touches",
    "cpu_s": "CPU s",
    "wall_s": "wall s",
    "ratio": "vs no log",
}
#: (name, share logged, compiled loops): the compiled variants only with the fast extra (numba) installed
VARIANTS = (
    ("off", None, False),
    ("full", 1.0, True),
    ("sampled 10%", 0.1, True),
    ("full, numpy only", 1.0, False),
    ("sampled 10%, numpy only", 0.1, False),
)


def measure(customers: int, repeat: int) -> list[dict[str, Any]]:
    from journeysim.engine import compiled
    from journeysim.study.attribution.log import replication_touches
    from journeysim.study.run import simulate

    available = compiled.ENABLED
    variants = [v for v in VARIANTS if available or not v[2] or v[1] is None]
    if not available:  # no numba: the numpy code under the plain names
        variants = [(name.replace(", numpy only", ""), share, False) for name, share, _ in VARIANTS[:1] + VARIANTS[3:]]
    scenario = model("full", customers)
    best = dict.fromkeys([v[0] for v in variants], np.inf)
    wall = dict.fromkeys(best, np.inf)
    counts = dict.fromkeys(best, 0)
    for _ in range(repeat):  # interleaved, so load changes hit every variant alike
        for name, share, fast in variants:
            compiled.ENABLED = fast
            seq = np.random.SeedSequence(SEED)
            t0, c0 = time.perf_counter(), time.process_time()
            rec = simulate(scenario, seq, event_log=False, touches=share)
            if share is not None:
                touches, _ = replication_touches(scenario, rec, seq, share, 0)
                counts[name] = len(touches)
            best[name] = min(best[name], time.process_time() - c0)
            wall[name] = min(wall[name], time.perf_counter() - t0)
            del rec
    compiled.ENABLED = available
    return [
        {
            "log": name,
            "customers": customers,
            "touches": counts[name],
            "cpu_s": best[name],
            "wall_s": wall[name],
            "ratio": f"{best[name] / best['off']:.2f}x",
        }
        for name, _, _ in variants
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = p.parse_args(argv)
    print(f"machine: {machine()}")
    rows = measure(args.customers, args.repeat)
    show(rows, COLUMNS, f"cost of the touch log, fast engine ({HORIZON} days; targets full <= 2x, sampled <= 1.2x)")
    write_csv(args.csv, rows, COLUMNS)
    print(f"written: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
