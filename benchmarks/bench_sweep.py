"""Sweep throughput: many small `journeysim` jobs through Hydra's joblib launcher, and what each job costs.

Variants (each sweep in a fresh `journeysim -m` process, from an empty directory):
- `overhead`: the cost per job around a job that does nothing (journeysim's config, basic launcher), from the
  slope of wall time between a 1-job and an N-job sweep: Hydra alone (journeysim's callbacks removed), then with
  journeysim's callbacks (every job validated up front, the sweep table at the end);
- `full`: the shipped CLI, joblib with `--workers` processes: N jobs of `--customers` customers each (one
  replication, the default b2c population scaled, 365 days), every output written (report.html and
  bottlenecks.csv included);
- `lean`: the same jobs with `outputs.report=false outputs.bottlenecks=false`, i.e. simulate, metrics and the
  data files only.
- `budget-jobs` / `budget-batch` (issue 11): the planner's grid, N budgets of the `balanced` strategy
  (`strategy.budget=0,1000,...`) on the same population, 1 replication, sweep table written. `budget-jobs` is
  the one-job-per-variant path (joblib, lean outputs, each job with its own no-spend baseline); `budget-batch` is
  `js.run_many` in a fresh process (base composed once, stacked engine passes, one shared baseline, `--workers`
  processes), writing sweep.parquet/sweep.csv; `budget-launcher` is the same CLI sweep as `budget-jobs` with
  `hydra/launcher=batch` (every job's directory and the sweep table written, byte-identical data files). All in
  one run: compare their ratios, not absolute times.
  `sim share` is the share of core time (wall x workers) spent inside the engine's passes (the `simulate` timings);
  `CPU s` is the CPU time of the whole invocation (driver and workers, as reaped): on a shared machine the wall
  clock (and the wall-clock `simulate` timings) stretch with the other sessions' load, CPU time much less.
Per-job times come from each job's status.json (`timings`). `s/job` is wall time x workers / jobs: what one job
costs a worker, Hydra and joblib included.

    python benchmarks/bench_sweep.py                  # 200 jobs of 1e5 customers on 2 workers (~10 min)
    python benchmarks/bench_sweep.py --quick          # 20 jobs (~1 min)
    options: --jobs N --customers C --workers W --variants overhead,full,lean --csv PATH --markdown
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT / "benchmarks" / "results" / "sweep.csv"
TARGET_S = 120.0  # issue 6: 200 jobs of 1e5 customers in <= 2 minutes on 2 cores with joblib
VARIANTS = ("overhead", "full", "lean", "budget-jobs", "budget-batch", "budget-launcher")
BATCH_TARGET_S = 15.0  # issue 11: 200 budget variants of 1e5 customers in <= 15 s on 2 cores, >= 50% simulating

#: The job of the `overhead` variant: journeysim's Hydra app (config, callbacks) around a task that does nothing.
NOOP_APP = """
import sys
import hydra
from journeysim.config import register_schemas, shipped_config_dir

register_schemas()

@hydra.main(version_base="1.3", config_path=str(shipped_config_dir()), config_name="config")
def noop(cfg):
    return None

sys.argv = ["journeysim", *sys.argv[1:]]
noop()
"""

#: The `lean` variant: the shipped CLI with the optional outputs switched off (report.html and its charts,
#: bottlenecks.csv); the data files (metrics, samples, funnel, time series, config, status) are still written.
LEAN_OVERRIDES = ["outputs.report=false", "outputs.bottlenecks=false"]

#: CSV column -> table header.
COLUMNS = {
    "variant": "variant",
    "launcher": "launcher",
    "workers": "workers",
    "jobs": "jobs",
    "customers_per_job": "customers/job",
    "wall_s": "wall s",
    "jobs_per_s": "jobs/s",
    "s_per_job": "s/job",
    "job_total_s": "in job s",
    "simulate_s": "simulate s",
    "write_s": "write s",
    "bottlenecks_s": "bottlenecks s",
    "report_s": "report s",
    "hydra_s_per_job": "Hydra s/job",
    "projected_200_s": "200 jobs s",
    "sim_share": "sim share",
    "cpu_s": "CPU s",
}

#: The `budget-batch` variant: `js.run_many` in a fresh interpreter; prints wall and simulate seconds as JSON.
BATCH_APP = """
import json, sys, time
t0 = time.perf_counter()
import journeysim as js
from pathlib import Path
scale, jobs, workers, out = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
base = ["strategy=balanced", "sim.replications=1", f"population.scale={scale}"]
res = js.run_many(base, [{"strategy.budget": 1000 * i} for i in range(jobs)], workers=workers)
out.mkdir(parents=True, exist_ok=True)
res.table.to_parquet(out / "sweep.parquet")
res.table.to_csv(out / "sweep.csv", index=False)
print(json.dumps({"wall": time.perf_counter() - t0, **res.timings}))
"""


def budget_grid(variant: str, jobs: int, scale: float, customers: float, workers: int, work: Path) -> dict[str, Any]:
    """The budget grid through one Hydra job per budget (`budget-jobs`) or through `js.run_many` (`budget-batch`)."""
    row: dict[str, Any] = {"variant": variant, "workers": workers, "jobs": jobs, "customers_per_job": round(customers)}
    if variant == "budget-batch":
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", BATCH_APP, f"{scale:.6g}", str(jobs), str(workers), str(work / variant)],
            cwd=work,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        LAST_CPU[0] = _children_cpu() - cpu0
        if proc.returncode != 0:
            raise RuntimeError(f"budget-batch failed:\n{proc.stderr[-3000:]}")
        t = json.loads(proc.stdout.strip().splitlines()[-1])
        row.update(launcher=f"run_many x{workers}", simulate_s=t["simulate"] / jobs, job_total_s=t["work"] / jobs)
    else:
        launcher = "batch" if variant == "budget-launcher" else "parallel"
        args = [
            "-m",
            f"hydra/launcher={launcher}",
            f"hydra.launcher.n_jobs={workers}",
            f"population.scale={scale:.6g}",
            "strategy=balanced",
            "sim.replications=1",
            f"strategy.budget=range(0,{1000 * jobs},1000)",
            f"hydra.sweep.dir={variant}",
            *LEAN_OVERRIDES,
        ]
        wall = _run(None, args, work)
        t = _timings(work / variant)
        # a job alone simulates its run and its baseline; in a batch, `simulate` is its share of the stacked pass
        sim = t["simulate"] + (t["baseline"] if launcher == "parallel" else 0.0)
        row.update(launcher="joblib" if launcher == "parallel" else "batch", simulate_s=sim, job_total_s=t["total"])
    row.update(
        wall_s=wall,
        jobs_per_s=jobs / wall,
        s_per_job=wall * workers / jobs,
        projected_200_s=200 * wall / jobs,
        sim_share=row["simulate_s"] * jobs / (wall * workers),
        cpu_s=LAST_CPU[0],
    )
    return row


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children so far: a sweep's, with its workers."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: CPU seconds of the last `_run` (or budget-batch) invocation, workers included: steadier than wall time on a
#: shared machine, where other sessions' load stretches the wall clock but not the work
LAST_CPU: list[float] = [0.0]


def _run(code: str | None, args: Sequence[str], where: Path) -> float:
    """Wall time of one `journeysim` (or `code`) invocation in `where`; raises with its stderr if it fails."""
    argv = [sys.executable, "-m", "journeysim.cli.app"] if code is None else [sys.executable, "-c", code]
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*argv, *args], cwd=where, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wall = time.perf_counter() - t0
    LAST_CPU[0] = _children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()[-3000:]}")
    return wall


def scale_for(customers: float) -> float:
    """`population.scale` that gives about `customers` customers (initial + arrivals) in one year of the default b2c."""
    import journeysim as js

    result = js.run(["sim.replications=1", "baseline=null"])
    return customers / float(result.metrics["customers"].mean)


def _timings(sweep: Path) -> dict[str, float]:
    """Mean per-job timings (seconds) from the jobs' status.json; all jobs must be ok."""
    rows = []
    for status in sweep.glob("*/status.json"):
        data = json.loads(status.read_text())
        if data["status"] != "ok":
            raise RuntimeError(f"{status.parent} is {data['status']}: {data.get('error')}")
        rows.append(data.get("timings_s") or data.get("timings") or {})
    keys = ("total", "simulate", "baseline", "write", "bottlenecks", "report")
    return {k: statistics.fmean(r.get(k, 0.0) for r in rows) for k in keys} | {"jobs": float(len(rows))}


#: Hydra overrides that drop journeysim's callbacks (validating every job up front, the sweep table at the end).
NO_CALLBACKS = ["~hydra.callbacks.journeysim_validate", "~hydra.callbacks.journeysim_collect"]


def overhead(jobs: int, work: Path, callbacks: bool) -> dict[str, Any]:
    """Cost per job around a no-op job: (wall of N jobs - wall of 1 job) / (N - 1), basic launcher.

    Without callbacks: Hydra alone (composing each job's config twice: once to check the batch, once to launch
    it; the run directory, .hydra records, logging). With them: plus journeysim's validation of every job (one
    more composition each) and the sweep table.
    """
    extra = [] if callbacks else NO_CALLBACKS
    name = "callbacks" if callbacks else "hydra"
    one = _run(NOOP_APP, ["-m", *extra, "sim.seed=0", f"hydra.sweep.dir={name}-one"], work)
    many = _run(NOOP_APP, ["-m", *extra, f"sim.seed=range(0,{jobs})", f"hydra.sweep.dir={name}-many"], work)
    per_job = (many - one) / (jobs - 1)
    return {
        "variant": "overhead: Hydra + journeysim callbacks" if callbacks else "overhead: Hydra alone",
        "launcher": "basic",
        "workers": 1,
        "jobs": jobs,
        "wall_s": many,
        "jobs_per_s": jobs / many,
        "s_per_job": per_job,
        "hydra_s_per_job": per_job,
    }


def sweep(variant: str, jobs: int, scale: float, customers: float, workers: int, work: Path) -> dict[str, Any]:
    """One joblib sweep of `jobs` jobs (seeds 0..jobs-1, one replication each) and its per-job costs."""
    args = [
        "-m",
        "hydra/launcher=parallel",
        f"hydra.launcher.n_jobs={workers}",
        f"population.scale={scale:.6g}",
        "sim.replications=1",
        "baseline=null",
        f"sim.seed=range(0,{jobs})",
        f"hydra.sweep.dir={variant}",
        *(LEAN_OVERRIDES if variant == "lean" else []),
    ]
    wall = _run(None, args, work)
    t = _timings(work / variant)
    if int(t["jobs"]) != jobs:
        raise RuntimeError(f"{variant}: {int(t['jobs'])} jobs finished, {jobs} expected")
    s_per_job = wall * workers / jobs
    return {
        "variant": variant,
        "launcher": "joblib",
        "workers": workers,
        "jobs": jobs,
        "customers_per_job": round(customers),
        "wall_s": wall,
        "jobs_per_s": jobs / wall,
        "s_per_job": s_per_job,
        "job_total_s": t["total"],
        "simulate_s": t["simulate"],
        "write_s": t["write"],
        "bottlenecks_s": t["bottlenecks"],
        "report_s": t["report"],
        "hydra_s_per_job": s_per_job - t["total"],
        "projected_200_s": 200 * s_per_job / workers,
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def table(rows: Sequence[dict[str, Any]], markdown: bool) -> str:
    """The rows as an aligned text table, or a Markdown table."""
    head = list(COLUMNS.values())
    body = [[_cell(r.get(k)) for k in COLUMNS] for r in rows]
    if markdown:
        lines = [
            "| " + " | ".join(head) + " |",
            "|" + "|".join("---" if i < 3 else "---:" for i in range(len(head))) + "|",
        ]
        return "\n".join([*lines, *("| " + " | ".join(b) + " |" for b in body)])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" if i < 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*head), *(fmt.format(*b) for b in body)])


def machine() -> str:
    """CPU count, Python and the load when the benchmark finished (the timings are wall clock)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {system}; load average {load}"


def main(argv: Sequence[str] | None = None) -> None:
    """Run the chosen variants, print the table and write it as CSV."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=200)
    p.add_argument("--customers", type=float, default=1e5, help="customers per job (initial + arrivals)")
    p.add_argument("--workers", type=int, default=2, help="joblib worker processes")
    p.add_argument("--overhead-jobs", type=int, default=41, help="no-op jobs for the overhead variant")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    p.add_argument("--quick", action="store_true", help="20 jobs (overrides --jobs)")
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = p.parse_args(argv)
    jobs = 20 if args.quick else args.jobs
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        p.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="journeysim-bench-sweep-") as tmp:
        work = Path(tmp)
        if "overhead" in variants:
            for callbacks in (False, True):
                rows.append(overhead(args.overhead_jobs, work, callbacks))
                print(f"{rows[-1]['variant']}: {rows[-1]['s_per_job']:.3f} s per job", flush=True)
        if {"full", "lean"} & set(variants):
            scale = scale_for(args.customers)
            for variant in ("full", "lean"):
                if variant in variants:
                    rows.append(sweep(variant, jobs, scale, args.customers, args.workers, work))
                    print(f"{variant}: {rows[-1]['wall_s']:.1f} s", flush=True)
        budget = [v for v in ("budget-jobs", "budget-batch", "budget-launcher") if v in variants]
        if budget:
            scale = scale_for(args.customers)
            for variant in budget:
                rows.append(budget_grid(variant, jobs, scale, args.customers, args.workers, work))
                print(f"{variant}: {rows[-1]['wall_s']:.1f} s, sim share {rows[-1]['sim_share']:.0%}", flush=True)
            done = {r["variant"]: r for r in rows}
            for fast in ("budget-batch", "budget-launcher"):
                if "budget-jobs" in done and fast in done:
                    one, many = done["budget-jobs"], done[fast]
                    print(
                        f"{fast} vs budget-jobs: {one['wall_s'] / many['wall_s']:.1f}x faster, sim share"
                        f" {many['sim_share']:.0%} vs {one['sim_share']:.0%}; target {BATCH_TARGET_S:.0f} s, >= 50%",
                        flush=True,
                    )
    print()
    print(table(rows, args.markdown))
    print(f"\nMachine: {machine()}. Target: 200 jobs of 1e5 customers in <= {TARGET_S:.0f} s on 2 cores with joblib.")
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with args.csv.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows({k: r.get(k) for k in COLUMNS} for r in rows)
    print(f"CSV: {args.csv}")


if __name__ == "__main__":
    main()
