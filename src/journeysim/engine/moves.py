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


@dataclass(frozen=True)
class Purchases:
    """Purchases of the logged customers by customer, then time, with each one's order value (its revenue)."""

    customer: NDArray[np.int64]
    time: NDArray[np.float64]
    value: NDArray[np.float64]


def customer_order(
    position: NDArray[np.integer], time: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """(the order of an engine's records (in recording order) by roster position, then time, ties in recording
    order; the positions in that order): one stable value sort by position, which is the order wherever each
    customer's records come in time order (an engine records as it goes; checked), else a sort by time within
    each customer."""
    order, pos = stable_sort(position.astype(np.int64, copy=False))
    if _in_time_order(pos, time.take(order)):
        return order, pos
    order = np.lexsort((np.arange(position.size), time, position))
    return order, position.take(order).astype(np.int64, copy=False)


def _in_time_order(pos: NDArray[np.int64], t: NDArray[np.float64]) -> bool:
    return not bool(np.any((pos[1:] == pos[:-1]) & (t[1:] < t[:-1])))


def _numbers(keep: NDArray[np.bool_], position: NDArray[np.integer]) -> NDArray[np.int64]:
    """Customer-table numbers of roster positions (`keep`: who arrived, by roster position)."""
    number = np.cumsum(keep, dtype=np.int64)
    number -= 1
    return number.take(position)


def moves_by_customer(
    position: NDArray[np.integer],
    time: NDArray[np.float64],
    src: NDArray[np.integer],
    dst: NDArray[np.integer],
    keep: NDArray[np.bool_],
) -> Moves:
    """`Moves` from an engine's log in recording order: `position` is each mover's roster position, `keep` who
    arrived (by roster position; the customer table numbers those)."""
    order, pos = customer_order(position, time)
    return Moves(_numbers(keep, pos), time.take(order), src.take(order), dst.take(order))


def purchases_by_customer(
    position: NDArray[np.integer], time: NDArray[np.float64], value: NDArray[np.float64], keep: NDArray[np.bool_]
) -> Purchases:
    """`Purchases` from an engine's purchase records (roster position, time, order value), as `moves_by_customer`."""
    order, pos = customer_order(position, time)
    return Purchases(_numbers(keep, pos), time.take(order), value.take(order))


def moves_of_events(events: pd.DataFrame) -> Moves:
    """`Moves` from an event table (by time, then roster position): its stable sort by customer."""
    order, cust = stable_sort(events["customer"].to_numpy(dtype=np.int64))
    return Moves(
        cust,
        events["time"].to_numpy(dtype=float)[order],
        events["from_stage"].cat.codes.to_numpy()[order],
        events["to_stage"].cat.codes.to_numpy()[order],
    )
