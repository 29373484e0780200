"""The logged customers' moves by customer, then time: the order the touch log and customer paths read them in.

An engine that records moves for the touch log keeps them in this shape (`Records.moves`) instead of the event
table: one value sort by customer, no sort by time, no data frame. Without it the same order comes from the event
table (a stable sort by customer of its time order), so both give the same moves in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine import compiled
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


def customer_numbers(keep: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Each roster position's number in the customer table (`keep`: who arrived, by roster position)."""
    number = np.cumsum(keep, dtype=np.int64)
    number -= 1
    return number


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
    return Moves(customer_numbers(keep).take(pos), time.take(order), src.take(order), dst.take(order))


#: an engine's log in rounds: (roster positions, time, source stage, destination stage) per round
Rounds = Sequence[tuple[NDArray[np.integer], NDArray[np.float64], NDArray[np.integer], NDArray[np.integer]]]


def moves_from_rounds(rounds: Rounds, keep: NDArray[np.bool_]) -> Moves:
    """`Moves` from an engine's log kept as rounds (roster positions, time, source, destination). Where customers
    move a few times each and each round moves a customer at most once, in ascending roster position (checked):
    a counting sort, each round's moves written straight to their customer's next slots (no sort, no gather of
    the log); else `moves_by_customer` of the joined log."""
    if not rounds:
        return Moves(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int16), np.zeros(0, np.int16))
    position = np.concatenate([r[0] for r in rounds])
    ascending = all(r[0].size < 2 or bool(np.all(r[0][1:] > r[0][:-1])) for r in rounds)
    if position.size < 2 * keep.size or not ascending:  # a sample's few moves: the counting works per customer
        return _sorted(rounds, keep)
    counts = np.bincount(position, minlength=keep.size)
    cursor = np.cumsum(counts)
    cursor -= counts  # each customer's next free slot
    if compiled.enabled() and max(int(r[2].max(initial=0)) for r in rounds) < 128:  # two codes fit an int16
        time, src, dst = _counted(rounds, position, cursor)
    else:
        time = np.empty(position.size)
        src = np.empty(position.size, rounds[0][2].dtype)
        dst = np.empty(position.size, src.dtype)
        for idx, t, s, d in rounds:
            at = cursor.take(idx)
            cursor[idx] += 1
            time[at], src[at], dst[at] = t, s, d
    customer = np.repeat(customer_numbers(keep), counts)
    if not _in_time_order(customer, time):
        return _sorted(rounds, keep)
    return Moves(customer, time, src, dst)


def _counted(
    rounds: Rounds, position: NDArray[np.integer], cursor: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.integer], NDArray[np.integer]]:
    """(time, source, destination) of the joined rounds stably sorted by position, by the compiled counting sort
    (the stage codes packed two to an int16)."""
    dtype = rounds[0][2].dtype
    codes = np.concatenate([r[2] for r in rounds]).astype(np.int16)
    codes <<= 8
    codes |= np.concatenate([r[3] for r in rounds]).astype(np.int16)
    time, codes = compiled.by_position(
        position.astype(np.int64, copy=False), cursor, np.concatenate([r[1] for r in rounds]), codes
    )
    return time, (codes >> 8).astype(dtype), (codes & 0xFF).astype(dtype)


def _sorted(rounds: Rounds, keep: NDArray[np.bool_]) -> Moves:
    """`moves_by_customer` of the rounds joined in recording order."""
    cols = [np.concatenate([r[i] for r in rounds]) for i in range(4)]
    return moves_by_customer(cols[0], cols[1], cols[2], cols[3], keep)


def purchases_by_customer(
    position: NDArray[np.integer], time: NDArray[np.float64], value: NDArray[np.float64], keep: NDArray[np.bool_]
) -> Purchases:
    """`Purchases` from an engine's purchase records (roster position, time, order value), as `moves_by_customer`."""
    order, pos = customer_order(position, time)
    return Purchases(customer_numbers(keep).take(pos), time.take(order), value.take(order))


def moves_of_events(events: pd.DataFrame) -> Moves:
    """`Moves` from an event table (by time, then roster position): its stable sort by customer."""
    order, cust = stable_sort(events["customer"].to_numpy(dtype=np.int64))
    return Moves(
        cust,
        events["time"].to_numpy(dtype=float)[order],
        events["from_stage"].cat.codes.to_numpy()[order],
        events["to_stage"].cat.codes.to_numpy()[order],
    )
