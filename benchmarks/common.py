"""What the benchmark scripts share: the benchmark models, timing and memory probes, the machine, tables and CSV.

The models:
- journey-only: the default 9-stage `conf/journey/customer_journey.yaml`, one segment, 365 days, no
  interventions (no daily ticks: the population is advanced once, to the horizon);
- full: the same journey and population plus 6 channels from `conf/channels/default.yaml` with budgets and
  flights (`FLIGHTS`, `BUDGETS`) and word of mouth from `conf/word_of_mouth/referrals.yaml`; the channels' audiences
  depend on the population, so the engine brings everyone up to date at every day boundary and thins every
  candidate against that day's hazards.
The population of both: a tenth of the customers at awareness on day 0, the rest Poisson arrivals spread over the
year, lognormal order values (mean 60, cv 0.8, margin 0.35).
"""

from __future__ import annotations

import csv
import os
import platform
import resource
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
JOURNEY = ROOT / "conf" / "journey" / "customer_journey.yaml"
CHANNELS = ROOT / "conf" / "channels" / "default.yaml"
REFERRALS = ROOT / "conf" / "word_of_mouth" / "referrals.yaml"
HORIZON = 365
SEED = 20240601
INITIAL_SHARE = 0.1  # of the customers present at day 0 (at awareness); the rest arrive over the year
ORDER_VALUE = {"kind": "lognormal", "mean": 60.0, "cv": 0.8, "margin": 0.35}
#: the full model's strategy: (start, end) day of each channel's flight, and its budget over that flight
FLIGHTS = {
    "social": (0, 180),
    "display": (30, 365),
    "search": (0, 365),
    "email": (0, 365),
    "retargeting": (90, 270),
    "loyalty_programme": (0, 365),
}
BUDGETS = {
    "social": 120_000.0,
    "display": 80_000.0,
    "search": 150_000.0,
    "email": 20_000.0,
    "retargeting": 60_000.0,
    "loyalty_programme": 30_000.0,
}


def load(path: Path) -> dict[str, Any]:
    """A YAML file of the shipped configuration as a mapping."""
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def population(customers: int, initial_share: float = INITIAL_SHARE) -> dict[str, Any]:
    """One segment of about `customers` people: a share at awareness on day 0, the rest Poisson arrivals."""
    initial = round(customers * initial_share)
    segment: dict[str, Any] = {"order_value": dict(ORDER_VALUE)}
    if initial:
        segment["initial"] = {"awareness": initial}
    if customers > initial:
        segment["arrivals_per_day"] = (customers - initial) / HORIZON
    return {"segments": {"everyone": segment}}


def strategy() -> dict[str, Any]:
    """The full model's strategy: 6 channels, each with a budget spent evenly over its flight."""
    return {
        "name": "benchmark",
        "budgets": dict(BUDGETS),
        "flights": {ch: [{"start": a, "end": b}] for ch, (a, b) in FLIGHTS.items()},
        "pacing": "even",
    }


def model(name: str, customers: int, initial_share: float = INITIAL_SHARE) -> Any:
    """The `journey_only` or `full` benchmark model for about `customers` customers, as a `Scenario`."""
    from journeysim.model.scenario import Scenario

    data: dict[str, Any] = {
        "journey": load(JOURNEY),
        "population": population(customers, initial_share),
        "sim": {"horizon_days": HORIZON},
    }
    if name == "full":
        wom = load(REFERRALS)
        wom.pop("name", None)
        data.update(channels=load(CHANNELS), strategy=strategy(), word_of_mouth=wom)
    elif name != "journey_only":
        raise ValueError(f"unknown benchmark model {name!r}: journey_only or full")
    return Scenario.from_dict(data)


def rss_mib() -> float:
    """This process's peak resident set size so far, in MiB.

    From `VmHWM` in /proc/self/status: `getrusage`'s ru_maxrss would carry over the parent's peak into a child
    started with fork and exec (so a worker started by a big benchmark process would report the parent's size).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def machine() -> str:
    """CPUs, CPU model, memory, OS, and the versions that matter for the timings."""
    model_name = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model_name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory = f"{mem:.0f} GiB RAM"
    except (ValueError, OSError):
        memory = "RAM unknown"
    import scipy
    import simpy

    return (
        f"{os.cpu_count()} CPUs ({model_name}), {memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"simpy {simpy.__version__}"
    )


def fmt(row: dict[str, Any], col: str) -> str:
    """One table cell."""
    v = row.get(col, "")
    if v == "" or v is None:
        return ""
    if col in ("customers", "transitions", "days"):
        return f"{int(v):,}"
    if col == "transitions_per_s":
        return f"{v / 1e6:.1f} M"
    if col == "speedup_vs_reference":
        return f"{v:.0f}x"
    if col == "vs_journey_only":
        return f"{v:.2f}x"
    if col in ("compile_s", "run_s"):
        return f"{v:.3f}"
    if col in ("ns_per_transition", "peak_rss_mib", "baseline_rss_mib"):
        return f"{v:.0f}"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


LEFT = {"bench", "engine", "model", "variant", "same_as_reference"}


def show(rows: Sequence[dict[str, Any]], columns: dict[str, str], title: str) -> None:
    """Print the table with rich when available, plainly otherwise."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        print("\t".join(columns.values()))
        for r in rows:
            print("\t".join(fmt(r, c) for c in columns))
        return
    table = Table(title=title)
    for c, header in columns.items():
        table.add_column(header, justify="left" if c in LEFT else "right")
    for r in rows:
        table.add_row(*(fmt(r, c) for c in columns))
    Console(width=220).print(table)


def markdown(rows: Sequence[dict[str, Any]], columns: dict[str, str], skip: Sequence[str] = ()) -> str:
    """The table as markdown (for benchmarks/README.md)."""
    cols = [c for c in columns if c not in skip]
    lines = ["| " + " | ".join(columns[c] for c in cols) + " |"]
    lines.append("|" + "|".join("---" if c in LEFT else "---:" for c in cols) + "|")
    lines += ["| " + " | ".join(fmt(r, c) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def write_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Iterable[str]) -> None:
    """The rows as CSV (raw numbers, one column per key of `columns`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def best_of(fn: Callable[[], float], repeat: int) -> float:
    """The smallest of `repeat` timings returned by `fn`."""
    return min(fn() for _ in range(repeat))


def note(msg: str) -> None:
    """Progress on stderr, so stdout stays the table."""
    print(msg, file=sys.stderr, flush=True)
