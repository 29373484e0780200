"""What one replication leaves behind: daily transition flows, per-customer summaries, an optional event log.

Daily views (occupancy, entries, purchases) are derived from the recorded transitions, never sampled by
stopping the population, so reporting costs nothing inside the engine loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

OUTSIDE = "(arrival)"


@dataclass
class CustomerTable:
    """One entry per simulated customer (initial customers first, then arrivals in time order)."""

    segment: NDArray[np.int16]
    start_stage: NDArray[np.int16]
    entry_time: NDArray[np.float64]  # day the customer joined (0 for customers present at the start)
    first_purchase: NDArray[np.float64]  # day of first purchase within the horizon, NaN if none
    purchases: NDArray[np.int32]  # entries into conversion stages within the horizon
    visited: NDArray[np.uint64]  # bit s set if the customer was ever in stage s (start stage included)
    final_stage: NDArray[np.int16]  # stage at the end of the horizon

    def __len__(self) -> int:
        return int(self.segment.shape[0])


@dataclass
class Records:
    """Raw results of one replication; metrics are pure functions of this object."""

    stages: tuple[str, ...]
    segments: tuple[str, ...]
    conversion: tuple[int, ...]
    terminal: tuple[int, ...]
    pre_purchase: tuple[int, ...]
    entry: int
    positions: tuple[str, ...]
    promoters: tuple[int, ...]
    detractors: tuple[int, ...]
    horizon_days: int
    initial: NDArray[np.int64]  # (G, S) customers present at day 0
    flows: NDArray[np.int64]  # (D, G, S + 1, S) transitions on day d; source index S = arrival from outside
    revenue: NDArray[np.float64]  # (D, G) revenue booked on day d
    margin: NDArray[np.float64]  # (D, G) margin (revenue x segment margin) booked on day d
    prospect_clv: NDArray[np.float64]  # (G,) discounted margin from purchases by prospects (acquisition cohort)
    customers: CustomerTable
    events: pd.DataFrame | None = None  # customer, time, from_stage, to_stage (only when requested)

    @property
    def n_stages(self) -> int:
        return len(self.stages)

    def entries(self) -> NDArray[np.int64]:
        """(D, G, S) entries into each stage per day, arrivals included."""
        return self.flows.sum(axis=2)

    def exits(self) -> NDArray[np.int64]:
        """(D, G, S) exits out of each stage per day."""
        return self.flows[:, :, : self.n_stages, :].sum(axis=3)

    def occupancy(self) -> NDArray[np.int64]:
        """(D, G, S) customers in each stage at the end of each day."""
        net = np.cumsum(self.entries() - self.exits(), axis=0)
        return self.initial[None, :, :] + net

    def purchases_per_day(self) -> NDArray[np.int64]:
        """(D, G) entries into conversion stages per day (repeat purchases included)."""
        return self.flows[:, :, :, list(self.conversion)].sum(axis=(2, 3))

    def transition_counts(self) -> NDArray[np.int64]:
        """(S + 1, S) total transitions over the horizon and all segments; row S is arrivals."""
        return self.flows.sum(axis=(0, 1))
