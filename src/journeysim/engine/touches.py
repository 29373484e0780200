"""The touch log: which channel touched which customer, when, and in which stage (docs/attribution.md).

Channels act on rates for everyone in their audience (a mean-field lift), so a per-customer exposure is not an
event the engine draws. The log defines one consistently with the model, from a stream of its own (so switching
it on cannot change a result), after the replication has run:

- exposures: while a customer sits in a channel's audience stages, its exposures form a Poisson process whose
  daily intensity -log(1 - reach / audience) makes P(exposed at least once on day d) the day's per-person reach;
  the log keeps the first exposure of each stay in a stage (channels expose whole audiences daily: an
  impression-level log would hold hundreds of rows per customer and paths no attribution tool reads);
- caused touches: a transition's hazard that day is organic x prod_c F_c (F_c = the channel's multiplier on it);
  the thinning band above 1 / prod(F_c > 1) is the channels' share, split in proportion to log F_c. Each recorded
  transition draws where its candidate fell in that band; a transition in channel c's band is "caused by c" and
  gets a touch of c at its own time (the customer saw c). Media-lifted arrivals are caused the same way.
The band's uniform is independent of everything the path uses, so drawing it here is the same in distribution
as reading the engine's own uniform.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine import compiled
from journeysim.engine.dynamics import Dynamics
from journeysim.engine.exposures import Audience, Intensity, first_exposures
from journeysim.engine.moves import Moves, moves_of_events
from journeysim.engine.records import OUTSIDE, Records
from journeysim.engine.sorting import in_runs, stable_order, stable_sort, time_order
from journeysim.engine.streams import LogSample, children, stream_key
from journeysim.engine.touch_causes import CauseTable, channel_columns

#: spawn-key index of the touch stream below a replication's seed (no other component spawns this far)
TOUCH_STREAM = 0x746F756368  # "touch"
__all__ = [
    "TouchLog",
    "logged_moves",
    "stable_order",
    "stable_sort",
    "touch_log",
    "touch_log_sample",
    "touch_seed",
]
COLUMNS = ("customer", "time", "day", "channel", "stage", "caused")
#: moves per block of customers: a block's stays, draws and touches are worked out together, in cache
BLOCK = 1 << 17


def touch_seed(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """The replication's dedicated touch stream: a child of `seed` at a fixed spawn key (`seed` is not touched)."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, TOUCH_STREAM), pool_size=seed.pool_size)


@dataclass
class TouchLog:
    """One replication's touches (one row each, by customer then time) and who was sampled into the log."""

    touches: pd.DataFrame  # customer, time, day, channel, stage (at the time), caused
    sampled: NDArray[np.bool_]  # per customer (customer table order): its touches and conversions are logged


def logged_moves(rec: Records, sampled: NDArray[np.bool_]) -> Moves:
    """The moves of the `sampled` customers by customer, then time: the engine's record of the touch log's sample
    (`Records.moves`), else the event log's (simulate with `event_log=True`)."""
    if rec.moves is not None:
        mv = rec.moves
    elif rec.events is None:
        raise ValueError("the touch log needs the replication's moves (simulate with touches=share or event_log=True)")
    else:
        mv = moves_of_events(rec.events)
    if sampled.all():
        return mv
    keep = sampled[mv.customer]  # all kept when the engine recorded only the sample's moves
    return mv if keep.all() else mv.take(keep)


def _by_customer_then_time(
    cust: NDArray[np.int64], time: NDArray[np.float64], horizon: int
) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.float64]]:
    """(order by customer then time, customers and times in that order): one sort of the key customer x (horizon
    + 1) + time, kept when it orders every (customer, time) strictly (then the order is the only one); else (a
    tie, or times closer than the key resolves) a stable sort by customer of the order by time."""
    order, near = time_order(cust * (horizon + 1.0) + time)  # the key's order up to runs of near keys: those
    if near.any():  # re-sorted by customer, then time (a tie fails the check below, as after a full sort)
        at = in_runs(near)
        sub = order[at]
        order[at] = sub[np.lexsort((time[sub], cust[sub]))]
    c, t = cust[order], time[order]
    if bool(np.all((c[1:] > c[:-1]) | ((c[1:] == c[:-1]) & (t[1:] > t[:-1])))):
        return order, c, t
    by_time = np.argsort(time)
    order = by_time[stable_order(cust[by_time])]
    return order, cust[order], time[order]


@dataclass(frozen=True)
class _Block:
    """The touches of customers first <= c < stop, by customer then time: channel and stage as category codes
    (`Dynamics.channel_names`; `Records.stages` then `OUTSIDE`), `caused` as in the log."""

    first: int
    stop: int
    customer: NDArray[np.int64]
    time: NDArray[np.float64]
    channel: NDArray[np.int8]
    stage: NDArray[np.integer]
    caused: NDArray[np.bool_]


@dataclass(frozen=True)
class _Context:
    """What every block of customers reads: the records, who is sampled, the cause table, the channels'
    audiences, and the two generators (one for caused touches, one for exposures)."""

    rec: Records
    sampled: NDArray[np.bool_]
    table: CauseTable
    audiences: list[Audience]
    causes: np.random.Generator
    exposures: np.random.Generator


def _audiences(rec: Records, dynamics: Dynamics) -> list[Audience]:
    """Each channel's audience (rows of segment x stage, and a last row no audience has) and daily intensity."""
    horizon = rec.horizon_days
    out = []
    for cs, col in zip(dynamics.channels, channel_columns(rec, dynamics), strict=True):
        aud, reach = rec.media.audience[:, col], rec.media.reach[:, col]
        p = np.divide(reach, aud, out=np.zeros(horizon), where=aud > 0)
        lam = -np.log1p(-np.clip(p, 0.0, 1.0 - 1e-12))  # daily intensity: P(>= 1 exposure on day d) = p
        out.append(Audience.of(cs.audience_rows, Intensity(lam)))
    return out


def _stays(ctx: _Context, c0: int, c1: int, mv: Moves) -> tuple[NDArray[Any], ...]:
    """(customer, stage, start, end) of the stays of sampled customers c0 <= c < c1 (`mv`: their moves): first
    those of customers present at day 0 (entry to first move), then the stay each move enters (to the customer's
    next move; the last one to the horizon). Moves come by customer, then time: no sort."""
    rec, horizon = ctx.rec, float(ctx.rec.horizon_days)
    if compiled.enabled() and mv.dst.dtype == rec.customers.start_stage.dtype:  # the same, in one compiled pass
        c = rec.customers
        return compiled.stays(c0, c1, mv, ctx.sampled, c.start_stage, c.entry_time, rec.n_stages, rec.horizon_days)
    end = np.empty(len(mv))
    end[:-1] = mv.time[1:]
    end[-1:] = horizon
    end[:-1][mv.customer[1:] != mv.customer[:-1]] = horizon
    arrived = np.zeros(c1 - c0, bool)
    arrived[mv.customer[mv.src == rec.n_stages] - c0] = True
    (first,) = np.nonzero(ctx.sampled[c0:c1] & ~arrived)  # present at day 0 (no arrival move), ascending
    first += c0
    at = np.searchsorted(mv.customer, first)  # their first moves, if any
    first_end = np.full(first.size, horizon)
    (moved,) = np.nonzero(at < len(mv))
    moved = moved[mv.customer.take(at.take(moved)) == first.take(moved)]
    first_end[moved] = mv.time.take(at.take(moved))
    cust = np.concatenate([first, mv.customer])
    stage = np.concatenate([rec.customers.start_stage.take(first), mv.dst])
    start = np.concatenate([rec.customers.entry_time.take(first).astype(float), mv.time])
    return cust, stage, start, np.concatenate([first_end, end])


def _block(ctx: _Context, c0: int, c1: int, mv: Moves) -> _Block:
    """The touches of customers c0 <= c < c1 (`mv`: their moves), by customer then time."""
    rec = ctx.rec
    hit, channel = ctx.table.caused(rec, mv, ctx.causes)
    cust, stage, start, end = _stays(ctx, c0, c1, mv)
    n_st = rec.n_stages
    row = rec.customers.segment.take(cust).astype(np.intp)
    row *= n_st + 1
    row += stage
    row[end <= start] = len(rec.segments) * (n_st + 1)  # empty stays: a row no audience has (the appended False)
    parts = first_exposures(start, end, row, ctx.audiences, rec.horizon_days, ctx.exposures)
    who = np.concatenate([w for w, _ in parts] + [np.zeros(0, np.intp)])  # no channels: no exposures
    t_cust = np.concatenate([cust.take(who), mv.customer.take(hit)])
    t_time = np.concatenate([t for _, t in parts] + [mv.time.take(hit)])
    t_stage = np.concatenate([stage.take(who), mv.src.take(hit)])
    t_chan = np.concatenate([np.full(w.size, c, np.int8) for c, (w, _) in enumerate(parts)] + [channel.astype(np.int8)])
    caused = np.zeros(t_cust.size, bool)
    caused[who.size :] = True
    t_cust -= c0
    order, t_cust, t_time = _by_customer_then_time(t_cust, t_time, rec.horizon_days)
    t_cust += c0
    return _Block(c0, c1, t_cust, t_time, t_chan.take(order), t_stage.take(order), caused.take(order))


def touch_log_sample(seed: np.random.SeedSequence, share: float, record_all: bool = False) -> LogSample:
    """The customers a touch log of `share` samples on `seed`: picked by their stream keys (`LogSample`) under the
    key of the touch stream's first child, so an engine records only their moves (every move: `record_all`)."""
    return LogSample(int(stream_key(children(touch_seed(seed), 3)[0])), share, record_all)


def _blocks(
    rec: Records, dynamics: Dynamics, seed: np.random.SeedSequence, sample: float
) -> tuple[NDArray[np.bool_], Iterator[_Block]]:
    """(who is logged, the replication's touches block by block of customers, in customer order)."""
    _, cause_seq, expose_seq = children(touch_seed(seed), 3)
    n = len(rec.customers)
    if sample >= 1.0:
        sampled = np.ones(n, bool)
    elif rec.logged is None:
        raise ValueError("a sampled touch log needs a run simulated with its sample (touch_log_sample)")
    else:
        sampled = rec.logged
    mv = logged_moves(rec, sampled)
    ctx = _Context(
        rec,
        sampled,
        CauseTable(rec, dynamics),
        _audiences(rec, dynamics),
        np.random.default_rng(cause_seq),
        np.random.default_rng(expose_seq),
    )
    edges = np.unique(np.concatenate([[0], mv.customer[BLOCK::BLOCK], [n]]))  # customers with ~BLOCK moves each
    at = np.searchsorted(mv.customer, edges)
    blocks = (
        _block(ctx, int(edges[i]), int(edges[i + 1]), mv.take(slice(at[i], at[i + 1]))) for i in range(edges.size - 1)
    )
    return sampled, blocks


def _frame(blocks: list[_Block], rec: Records, channels: Sequence[str]) -> pd.DataFrame:
    """The touch log's table (`COLUMNS`) of touch blocks, in their order."""
    cust, at, chan, stage, caused = (
        np.concatenate([getattr(b, name) for b in blocks])
        for name in ("customer", "time", "channel", "stage", "caused")
    )
    return pd.DataFrame(
        {
            "customer": cust.astype(np.int64, copy=False),
            "time": at,
            "day": np.minimum(at.astype(np.int64), rec.horizon_days - 1),
            "channel": pd.Categorical.from_codes(chan, dtype=pd.CategoricalDtype(list(channels)), validate=False),
            "stage": pd.Categorical.from_codes(
                stage, dtype=pd.CategoricalDtype([*rec.stages, OUTSIDE]), validate=False
            ),
            "caused": caused,
        },
        copy=False,  # fresh columns: no copy into consolidated blocks
    )


def touch_log(rec: Records, dynamics: Dynamics, seed: np.random.SeedSequence, sample: float = 1.0) -> TouchLog:
    """The replication's touch log from its records (the touch log's moves, `simulate(..., touches=sample)`, or
    the event log) and its compiled `dynamics`, drawn from `touch_seed(seed)`; `sample` < 1 keeps the customers
    `touch_log_sample` picks (every touch of each one), read from `rec.logged`."""
    sampled, blocks = _blocks(rec, dynamics, seed, sample)
    return TouchLog(_frame(list(blocks), rec, dynamics.channel_names), sampled)
