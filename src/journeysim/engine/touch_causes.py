"""Which recorded transitions a channel caused (engine.touches, docs/attribution.md): a transition's hazard that
day is organic x prod_c F_c (F_c = the channel's multiplier on it); the thinning band above 1 / prod(F_c > 1) is
the channels' share, split in proportion to log F_c, and a uniform drawn per lifted transition says where its
candidate fell."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.engine import compiled
from journeysim.engine.dynamics import Dynamics
from journeysim.engine.moves import Moves
from journeysim.engine.records import Records


def channel_columns(rec: Records, dynamics: Dynamics) -> list[int]:
    """Each compiled channel's column in the media record."""
    return [rec.media.channels.index(name) for name in dynamics.channel_names]


class CauseTable:
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
        cols = channel_columns(rec, dynamics)
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
        self.n_channels = len(dynamics.channels)
        cum = np.cumsum(logs.reshape(k * days, self.n_channels), axis=1)  # row: cell x D + day
        flat_total = total.reshape(-1, 1)
        self.organic = np.exp(-flat_total[:, 0])  # 1 / prod(F_c > 1): the organic share of the hazard
        #: each channel's cumulative share of the band (where nothing lifts, no move falls in it: zeros)
        self.share = np.divide(cum, flat_total, out=np.zeros_like(cum), where=flat_total > 0)
        self.days = days

    def keys(self, rec: Records, mv: Moves) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
        """(event index, table row: cell x D + day) of the recorded transitions some channel lifts."""
        n_st = rec.n_stages
        cell = mv.src.astype(np.int64) * n_st  # flat (row, destination) cell: ((seg (S + 1) + src) S + dst
        cell += mv.dst
        if self.n_seg > 1:
            cell += rec.customers.segment[mv.customer].astype(np.int64) * ((n_st + 1) * n_st)
        if compiled.enabled():  # the same, in one compiled pass
            return compiled.lifted(cell, self.compact, mv.time, self.days)
        k = self.compact.take(cell)
        (idx,) = np.nonzero(k >= 0)
        day = mv.time.take(idx).astype(np.int64)
        np.minimum(day, self.days - 1, out=day)
        k = k.take(idx)
        k *= self.days
        k += day
        return idx, k

    def caused(self, rec: Records, mv: Moves, rng: np.random.Generator) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(move index, channel index) of the moves `mv` that fell in a channel's thinning band: one uniform per
        lifted move, in their order."""
        idx, key = self.keys(rec, mv)
        u = rng.random(idx.size)
        if not self.n_channels or idx.size == 0:
            return np.zeros(0, np.intp), np.zeros(0, np.intp)
        if compiled.enabled():  # the same, in one compiled pass
            return compiled.in_band(idx, key, u, self.organic, self.share)
        organic = self.organic.take(key)
        (hit,) = np.nonzero(u >= organic)
        organic = organic.take(hit)
        v = (u.take(hit) - organic) / (1.0 - organic)  # where in the channels' band, in [0, 1)
        share = self.share.take(key.take(hit), axis=0)
        channel = np.minimum((v[:, None] >= share).sum(axis=1), self.n_channels - 1)
        return idx.take(hit), channel.astype(np.intp)
