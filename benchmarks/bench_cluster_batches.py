"""Ray and submitit sweeps, one job per task against one batch per task (issue 11: workers receive batches).

One budget grid (`strategy=balanced`, `strategy.budget=0,5000,...`, one replication, the default b2c population
scaled to `--customers`, `outputs.report=false outputs.bottlenecks=false`) through four launchers, each sweep in a
fresh `journeysim -m` process from an empty directory, one after the other:
- `ray_local` (Hydra's Ray launcher: every job composed in the driver, one Ray task per job) and `ray_batch`
  (one Ray task per batch), both on a new local Ray instance with `--workers` CPUs;
- `slurm_local` (Hydra's submitit launcher, local executor: one subprocess per job, all at once) and
  `slurm_local_batch` (one subprocess per batch, `--workers` batches).
Each job's metrics.json must be the same in all four (checked). Needs the ray and slurm extras.

    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_USAGE_STATS_ENABLED=0 python benchmarks/bench_cluster_batches.py
    options: --jobs 40 --customers 2e4 --workers 2 --csv benchmarks/results/cluster_batches.csv
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEAN = ["outputs.report=false", "outputs.bottlenecks=false"]

#: Launcher -> its overrides (`{workers}` and `{temp}` filled in).
LAUNCHERS = {
    "ray_local": ["hydra/launcher=ray_local", "hydra.launcher.ray.init.num_cpus={workers}"],
    "ray_batch": ["hydra/launcher=ray_batch", "hydra.launcher.ray.init.num_cpus={workers}"],
    "slurm_local": ["hydra/launcher=slurm_local"],
    "slurm_local_batch": ["hydra/launcher=slurm_local_batch", "hydra.launcher.n_jobs={workers}"],
}


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(launcher: str, jobs: int, scale: float, workers: int, work: Path) -> dict[str, object]:
    """Wall time of one sweep through `launcher`, with the load average before and after."""
    temp = tempfile.mkdtemp(prefix="jsrb", dir="/tmp")
    overrides = [o.format(workers=workers) for o in LAUNCHERS[launcher]]
    if launcher.startswith("ray"):
        overrides.append(f"+hydra.launcher.ray.init._temp_dir={temp}")
    args = [
        "-m",
        *overrides,
        "strategy=balanced",
        "sim.replications=1",
        f"population.scale={scale:.6g}",
        f"strategy.budget=range(0,{5000 * jobs},5000)",
        f"hydra.sweep.dir={launcher}",
        *LEAN,
    ]
    before = _load()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "journeysim.cli.app", *args],
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{launcher} failed ({proc.returncode}):\n{proc.stderr.decode()[-3000:]}")
    return {
        "launcher": launcher,
        "jobs": jobs,
        "workers": workers,
        "wall_s": round(wall, 1),
        "load_before": before,
        "load_after": _load(),
    }


def same_metrics(work: Path, jobs: int) -> bool:
    """Whether every job's metrics.json is byte-identical across the launchers."""
    first = next(iter(LAUNCHERS))
    return all(
        (work / name / str(j) / "metrics.json").read_bytes() == (work / first / str(j) / "metrics.json").read_bytes()
        for name in LAUNCHERS
        for j in range(jobs)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--customers", type=float, default=2e4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--csv", type=Path, default=Path(__file__).parent / "results" / "cluster_batches.csv")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_sweep import scale_for

    scale = scale_for(args.customers)
    with tempfile.TemporaryDirectory(prefix="bench_cluster_") as tmp:
        work = Path(tmp)
        rows = [run(name, args.jobs, scale, args.workers, work) for name in LAUNCHERS]
        identical = same_metrics(work, args.jobs)
    for row in rows:
        row.update(customers=args.customers, identical_metrics=identical, python=platform.python_version())
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with args.csv.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        print(row)
    walls = {r["launcher"]: float(r["wall_s"]) for r in rows}  # type: ignore[arg-type]
    print(f"ray: per-job / batched = {walls['ray_local'] / walls['ray_batch']:.2f}x")
    print(f"submitit local: per-job / batched = {walls['slurm_local'] / walls['slurm_local_batch']:.2f}x")
    print(f"metrics.json identical across the four: {identical}")


if __name__ == "__main__":
    main()
