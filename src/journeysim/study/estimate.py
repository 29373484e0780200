"""How much memory and time a scenario needs, estimated from its settings before anything is allocated.

A run that cannot fit is refused up front (numpy would fail with `Unable to allocate 466 GiB` halfway, or the
kernel would kill the process); a long one is announced with the estimate. The numbers are deliberately rough
(within a factor of a few) and err high: customers present at day 0 plus expected arrivals, expected transitions per
customer from the analytic chain (a rate bound if that fails), daily tables, replications and the event log.
"""

from __future__ import annotations

import math
import os
import resource
import warnings
from dataclasses import dataclass

import numpy as np

from journeysim.analytic.cohort import expected_visits
from journeysim.model.scenario import Scenario

#: Bytes the fast engine holds per customer (state, purchases, first purchase, visits, work buffers; arrays double).
BYTES_PER_CUSTOMER = 256
#: Bytes per row of the event log (stage, time, customer, segment) while it is collected.
BYTES_PER_EVENT = 48
#: Bytes per float or count of a daily table (per day, segment and stage, kept for every replication).
BYTES_PER_CELL = 8
#: Transitions the fast engine simulates per second on one core (measured: 100 default replications in 12.4 s).
TRANSITIONS_PER_SECOND = 2e7
#: Customers created and summarised per second.
CUSTOMERS_PER_SECOND = 4e6
#: Runs estimated to take longer than this many seconds are announced on stderr.
LONG_RUN_SECONDS = 600.0
#: Runs estimated to take longer than this (30 days on one core) cannot be meant and are refused.
MAX_SECONDS = 30 * 86400.0


@dataclass(frozen=True)
class Estimate:
    """What one run of a scenario needs: customers and transitions per replication, peak bytes, seconds."""

    customers: float
    transitions: float
    peak_bytes: float
    seconds: float

    def describe(self, replications: int) -> str:
        """One line with the numbers, for messages."""
        return (
            f"~{self.customers:.3g} customers and ~{self.transitions:.3g} transitions per replication x "
            f"{replications} replications: ~{gib(self.peak_bytes)} of memory, ~{duration(self.seconds)}"
        )


def gib(n: float) -> str:
    """Bytes as GiB (or MiB below 1 GiB) for people."""
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def duration(seconds: float) -> str:
    """Seconds as s, min, h or days for people."""
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s"


def _jumps_per_customer(scenario: Scenario, g: int, horizon: float) -> float:
    """Expected transitions of one customer entering at day 0 (analytic), or the uniformisation bound."""
    rates = scenario.rate_tensor()[g]
    bound = float(rates.sum(axis=1).max(initial=0.0)) * horizon
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            jumps = float(expected_visits(scenario, horizon=horizon, segment=g).sum()) - 1.0
    except Exception:
        return bound
    return jumps if math.isfinite(jumps) and jumps >= 0 else bound


def estimate(scenario: Scenario) -> Estimate:
    """Memory and time one run of `scenario` needs (all replications, one after the other)."""
    s = scenario.settings
    horizon, reps = float(s.horizon_days), float(s.replications)
    customers = transitions = 0.0
    for g, seg in enumerate(scenario.population.segments):
        present = float(sum(seg.initial.values())) + float(seg.arrivals_per_day) * horizon * 2.0  # seasonal peaks
        customers += present
        transitions += present * _jumps_per_customer(scenario, g, horizon)
    n_seg, n_stage = len(scenario.population.segments), scenario.journey.n_stages
    daily_cells = horizon * n_seg * (n_stage + 1) * (n_stage + 8)  # flows by stage pair, plus money and counts
    peak = customers * BYTES_PER_CUSTOMER + daily_cells * BYTES_PER_CELL * 2.0
    peak += reps * horizon * n_seg * (n_stage + 8) * BYTES_PER_CELL  # the time series of every replication
    if s.event_log:
        peak += reps * (transitions + customers) * BYTES_PER_EVENT
    seconds = reps * (transitions / TRANSITIONS_PER_SECOND + customers / CUSTOMERS_PER_SECOND)
    return Estimate(customers, transitions, peak, seconds)


def available_memory() -> float | None:
    """Bytes this process can still allocate: the OS's available memory, lowered by an address-space limit."""
    found: float | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found = float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        try:
            found = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            found = None
    try:
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (OSError, ValueError):
        return found
    if soft != resource.RLIM_INFINITY and soft > 0:
        found = float(soft) if found is None else min(found, float(soft))
    return found
