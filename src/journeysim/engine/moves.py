"""The logged customers' moves by customer, then time: the order the touch log and customer paths read them in.

An engine that records moves for the touch log keeps them in this shape (`Records.moves`) instead of the event
table: one value sort by customer, no sort by time, no data frame. Without it the same order comes from the event
table (a stable sort by customer of its time order), so both give the same moves in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine.sorting import stable_sort


@dataclass(frozen=True)
class Moves:
    """Moves (arrivals included) by customer, then time; a customer's moves at one time keep the engine's order.

    customer: numbered as in the customer table; src: the stage left (S: arrival from outside); dst: the stage
    entered (stage codes as in `Records.stages`)."""

    customer: NDArray[np.int64]
    time: NDArray[np.float64]
    src: NDArray[np.integer]
    dst: NDArray[np.integer]

    def __len__(self) -> int:
        return int(self.customer.size)

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_] | slice) -> Moves:
        """The moves at `rows` (indices in order, a mask or a slice): still by customer, then time."""
        return Moves(self.customer[rows], self.time[rows], self.src[rows], self.dst[rows])


def moves_by_customer(
    position: NDArray[np.integer],
    time: NDArray[np.float64],
    src: NDArray[np.integer],
    dst: NDArray[np.integer],
    keep: NDArray[np.bool_],
) -> Moves:
    """`Moves` from an engine's log in recording order: `position` is each mover's roster position, `keep` who
    arrived (by roster position; the customer table numbers those). One stable value sort by position keeps each
    customer's moves in recording order, which is time order for an engine that records as it goes; where it is
    not (checked), the moves are sorted by time within each customer, ties in recording order."""
    order, pos = stable_sort(position.astype(np.int64, copy=False))
    t = time[order]
    same = pos[1:] == pos[:-1]
    if bool(np.any(same & (t[1:] < t[:-1]))):
        order = np.lexsort((np.arange(position.size), time, position))
        pos, t = position[order].astype(np.int64, copy=False), time[order]
    number = np.cumsum(keep, dtype=np.int64)
    number -= 1
    return Moves(number[pos], t.astype(np.float64, copy=False), src[order], dst[order])


def moves_of_events(events: pd.DataFrame) -> Moves:
    """`Moves` from an event table (by time, then roster position): its stable sort by customer."""
    order, cust = stable_sort(events["customer"].to_numpy(dtype=np.int64))
    return Moves(
        cust,
        events["time"].to_numpy(dtype=float)[order],
        events["from_stage"].cat.codes.to_numpy()[order],
        events["to_stage"].cat.codes.to_numpy()[order],
    )
