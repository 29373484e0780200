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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine.dynamics import Dynamics
from journeysim.engine.exposures import Intensity, Stays
from journeysim.engine.moves import Moves, moves_of_events
from journeysim.engine.records import OUTSIDE, Records
from journeysim.engine.sorting import in_runs, stable_order, stable_sort, time_order
from journeysim.engine.streams import LogSample, children, stream_key

#: spawn-key index of the touch stream below a replication's seed (no other component spawns this far)
TOUCH_STREAM = 0x746F756368  # "touch"
__all__ = ["TouchLog", "logged_moves", "stable_order", "stable_sort", "touch_log", "touch_log_sample", "touch_seed"]
COLUMNS = ("customer", "time", "day", "channel", "stage", "caused")


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


def _channel_columns(rec: Records, dynamics: Dynamics) -> list[int]:
    """Each compiled channel's column in the media record."""
    return [rec.media.channels.index(name) for name in dynamics.channel_names]


class _FactorTable:
    """Each channel's multiplier F_c on the hazard of every lifted cell on every day, tabulated once: (K cells x D
    days, C) with K the cells some channel lifts (flat (row, destination) cells, then one per segment's arrivals).
    Per cell and day the same float operations as one transition at a time, so the values are the same."""

    def __init__(self, rec: Records, dynamics: Dynamics) -> None:
        n_st, n_seg, days = rec.n_stages, len(rec.segments), rec.horizon_days
        self.n_cells = n_seg * (n_st + 1) * n_st
        union = np.zeros(self.n_cells, bool)
        arrival_lift = np.zeros(n_seg)
        for cs in dynamics.channels:
            for mask, lift in cs.effects:
                if lift > 0:
                    union |= mask.ravel()
            arrival_lift = np.maximum(arrival_lift, cs.arrival_lift)
        (flat,) = np.nonzero(union)
        (arr_seg,) = np.nonzero(arrival_lift > 0)
        #: compact index of each cell, -1 where no channel lifts it: a segment's arrival row (source S) holds its
        #: arrivals, lifted by the arrival lift alone (effect masks there are not read, as for one transition)
        self.compact = np.full(self.n_cells, -1, dtype=np.int64)
        self.compact[flat] = np.arange(flat.size)
        arrival_cells = (np.arange(n_seg)[:, None] * (n_st + 1) + n_st) * n_st + np.arange(n_st)[None, :]
        self.compact[arrival_cells.ravel()] = -1
        self.compact[arrival_cells[arr_seg].ravel()] = flat.size + np.repeat(np.arange(arr_seg.size), n_st)
        self.n_seg = n_seg
        cols = _channel_columns(rec, dynamics)
        k = flat.size + arr_seg.size
        logs = np.empty((k, days, len(dynamics.channels)))
        total = np.zeros((k, days))  # sum of log F_c over F_c > 1: only lifts above 1 cause a move
        for c, cs in enumerate(dynamics.channels):
            response = rec.media.response[:, cols[c]]
            f = np.ones((k, days))
            for mask, lift in cs.effects:
                f[: flat.size][mask.ravel()[flat]] *= 1.0 + lift * response
            f[flat.size :] *= 1.0 + cs.arrival_lift[arr_seg, None] * response[None, :]
            logs[:, :, c] = np.log(np.maximum(f, 1.0))
            total += logs[:, :, c]
        self.logs = logs.reshape(k * days, -1)  # row: cell x D + day
        self.total = total.ravel()
        self.days = days

    def keys(self, rec: Records, mv: Moves) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
        """(event index, table row: cell x D + day) of the recorded transitions some channel lifts."""
        n_st = rec.n_stages
        cell = mv.src.astype(np.int64) * n_st  # flat (row, destination) cell: ((seg (S + 1) + src) S + dst
        cell += mv.dst
        if self.n_seg > 1:
            cell += rec.customers.segment[mv.customer].astype(np.int64) * ((n_st + 1) * n_st)
        k = self.compact[cell]
        (idx,) = np.nonzero(k >= 0)
        day = np.minimum(mv.time[idx].astype(np.int64), self.days - 1)
        return idx, k[idx] * self.days + day


def _caused(
    rec: Records, dynamics: Dynamics, mv: Moves, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(event index, channel index) of the recorded transitions that fell in a channel's thinning band."""
    table = _FactorTable(rec, dynamics)
    idx, key = table.keys(rec, mv)
    u = rng.random(idx.size)
    if not dynamics.channels or idx.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    total = table.total[key]
    organic = np.exp(-total)  # 1 / prod(F_c > 1): the organic share of the hazard
    (hit,) = np.nonzero(u >= organic)
    v = (u[hit] - organic[hit]) / (1.0 - organic[hit])  # where in the channels' band, in [0, 1)
    logs = table.logs[key[hit]]
    share = np.cumsum(logs, axis=1) / total[hit, None]
    channel = np.minimum((v[:, None] >= share).sum(axis=1), logs.shape[1] - 1)
    return idx[hit], channel.astype(np.intp)


def _spells(rec: Records, mv: Moves, sampled: NDArray[np.bool_]) -> tuple[NDArray[Any], ...]:
    """(customer, stage, start, end) of every stay of a sampled customer in a stage within the horizon: first the
    stays of customers present at day 0 (from their entry to their first move), then the stay each move enters
    (to the customer's next move; the last one to the horizon). Moves come by customer, then time: no sort."""
    horizon = float(rec.horizon_days)
    end = np.empty(len(mv))
    end[:-1] = mv.time[1:]
    end[-1:] = horizon
    end[:-1][mv.customer[1:] != mv.customer[:-1]] = horizon
    arrived = np.zeros(sampled.size, bool)
    arrived[mv.customer[mv.src == rec.n_stages]] = True
    (first,) = np.nonzero(sampled & ~arrived)  # customers present at day 0 (no arrival move), ascending
    at = np.searchsorted(mv.customer, first)  # their first moves, if any
    first_end = np.full(first.size, horizon)
    (moved,) = np.nonzero(at < len(mv))
    moved = moved[mv.customer[at[moved]] == first[moved]]
    first_end[moved] = mv.time[at[moved]]
    cust = np.concatenate([first, mv.customer])
    stage = np.concatenate([rec.customers.start_stage[first], mv.dst])
    start = np.concatenate([rec.customers.entry_time[first].astype(float), mv.time])
    return cust, stage, start, np.concatenate([first_end, end])


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


def _exposures(
    rec: Records, dynamics: Dynamics, spells: tuple[NDArray[Any], ...], rng: np.random.Generator
) -> list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.integer], int]]:
    """Per channel: (customer, time, stage) of the first exposure in each stay in its audience (see module doc).
    Each channel's stays go in blocks of `BLOCK` (small temporaries, in cache and reused; the draws come in the
    same order as in one pass)."""
    cust, stage, start, end = spells
    n_st, horizon = rec.n_stages, rec.horizon_days
    row = rec.customers.segment[cust].astype(np.int64) * (n_st + 1) + stage
    row[end <= start] = len(rec.segments) * (n_st + 1)  # empty stays: a row no audience has (the appended False)
    stay = Stays(cust, stage, start, end, horizon)
    cols = _channel_columns(rec, dynamics)
    out = []
    insides: dict[bytes, NDArray[np.intp]] = {}
    for c, cs in enumerate(dynamics.channels):
        aud, reach = rec.media.audience[:, cols[c]], rec.media.reach[:, cols[c]]
        p = np.divide(reach, aud, out=np.zeros(horizon), where=aud > 0)
        lam = -np.log1p(-np.clip(p, 0.0, 1.0 - 1e-12))  # daily intensity: P(>= 1 exposure on day d) = p
        audience = cs.audience_rows.tobytes()  # channels with the same audience share its stays
        if audience not in insides:
            insides[audience] = np.nonzero(np.append(cs.audience_rows, False)[row])[0]
        which, t = stay.first_exposures(insides[audience], Intensity(lam), rng)
        out.append((stay.cust[which], t, stay.stage[which], c))
    return out


def touch_log_sample(seed: np.random.SeedSequence, share: float, record_all: bool = False) -> LogSample:
    """The customers a touch log of `share` samples on `seed`: picked by their stream keys (`LogSample`) under the
    key of the touch stream's first child, so an engine records only their moves (every move: `record_all`)."""
    return LogSample(int(stream_key(children(touch_seed(seed), 3)[0])), share, record_all)


def touch_log(rec: Records, dynamics: Dynamics, seed: np.random.SeedSequence, sample: float = 1.0) -> TouchLog:
    """The replication's touch log from its records (event log required) and its compiled `dynamics`, drawn from
    `touch_seed(seed)`; `sample` < 1 keeps the customers `touch_log_sample` picks (every touch of each one), read
    from `rec.logged`: simulate with that sample (`study.run.simulate(..., touches=sample)`)."""
    _, cause_seq, expose_seq = children(touch_seed(seed), 3)
    n = len(rec.customers)
    if sample >= 1.0:
        sampled = np.ones(n, bool)
    elif rec.logged is None:
        raise ValueError("a sampled touch log needs a run simulated with its sample (touch_log_sample)")
    else:
        sampled = rec.logged
    mv = logged_moves(rec, sampled)
    hit, channel = _caused(rec, dynamics, mv, np.random.default_rng(cause_seq))
    parts = _exposures(rec, dynamics, _spells(rec, mv, sampled), np.random.default_rng(expose_seq))
    cust = np.concatenate([p[0] for p in parts] + [mv.customer[hit]])
    time = np.concatenate([p[1] for p in parts] + [mv.time[hit]])
    stage = np.concatenate([p[2] for p in parts] + [mv.src[hit]])
    chan = np.concatenate([np.full(p[0].size, p[3], np.int16) for p in parts] + [channel.astype(np.int16)])
    caused = np.zeros(cust.size, bool)
    caused[cust.size - hit.size :] = True
    order, cust, at = _by_customer_then_time(cust, time, rec.horizon_days)
    names = dynamics.channel_names
    frame = pd.DataFrame(
        {
            "customer": cust.astype(np.int64, copy=False),
            "time": at,
            "day": np.minimum(at.astype(np.int64), rec.horizon_days - 1),
            "channel": pd.Categorical.from_codes(chan[order], dtype=pd.CategoricalDtype(list(names))),
            "stage": pd.Categorical.from_codes(stage[order], dtype=pd.CategoricalDtype([*rec.stages, OUTSIDE])),
            "caused": caused[order],
        },
        copy=False,  # fresh columns: no copy into consolidated blocks
    )
    return TouchLog(frame, sampled)
