"""The attribution methods, by name: rules that share each conversion among the touches of its path segment, and
the Markov-chain removal effect (docs/attribution.md). Each returns conversions credited per channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.errors import ConfigError, did_you_mean
from journeysim.study.attribution.markov import markov_credit
from journeysim.study.attribution.paths import SEPARATOR

#: touches of converting segments: the touch's channel code, position and segment length, days before conversion
Weights = Callable[[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], float], NDArray[np.float64]]

HALF_LIFE_DAYS = 7.0


def _first(pos: NDArray[np.int64], n: NDArray[np.int64], age: NDArray[np.float64], hl: float) -> NDArray[np.float64]:
    return (pos == 0).astype(float)


def _last(pos: NDArray[np.int64], n: NDArray[np.int64], age: NDArray[np.float64], hl: float) -> NDArray[np.float64]:
    return (pos == n - 1).astype(float)


def _linear(pos: NDArray[np.int64], n: NDArray[np.int64], age: NDArray[np.float64], hl: float) -> NDArray[np.float64]:
    return 1.0 / n


def _position(pos: NDArray[np.int64], n: NDArray[np.int64], age: NDArray[np.float64], hl: float) -> NDArray[np.float64]:
    """40% to the first and the last touch, 20% shared by the ones between (one touch: all; two: half each)."""
    ends = (pos == 0) | (pos == n - 1)
    middle = 0.2 / np.maximum(n - 2, 1)
    w = np.where(ends, 0.4, middle)
    return np.where(n == 1, 1.0, np.where(n == 2, 0.5, w))


#: rule-based methods: weight of each touch before normalising within its segment (time decay normalises)
RULES: dict[str, Weights] = {
    "first_touch": _first,
    "last_touch": _last,
    "linear": _linear,
    "position_based": _position,
}
METHODS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov")


def check_methods(names: Sequence[str]) -> list[str]:
    """The methods asked for, each known (ConfigError naming the choices otherwise)."""
    for m in names:
        if m not in METHODS:
            raise ConfigError(
                "--methods", f"unknown method '{m}'{did_you_mean(m, METHODS)}", f"use some of {', '.join(METHODS)}"
            )
    return list(names)


def _segment_layout(touches: pd.DataFrame) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per touch (rows by customer, segment, time): its segment id, position in it and the segment's length."""
    cust = touches["customer"].to_numpy(dtype=np.int64)
    seg = touches["path_segment"].to_numpy(dtype=np.int64)
    new = np.ones(cust.size, bool)
    new[1:] = (cust[1:] != cust[:-1]) | (seg[1:] != seg[:-1])
    sid = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    pos = np.arange(cust.size) - starts[sid]
    n = np.bincount(sid)[sid] if sid.size else np.zeros(0, np.int64)
    return sid, pos, n


def rule_credit(
    touches: pd.DataFrame, method: str, n_channels: int, half_life: float = HALF_LIFE_DAYS
) -> NDArray[np.float64]:
    """Conversions credited per channel by a rule (or `time_decay`: weight 2^(-days before conversion / half_life),
    normalised within the segment) over one replication's touches of converting segments."""
    conv = touches[touches["converted"].to_numpy(dtype=bool)]
    code = conv["channel"].cat.codes.to_numpy().astype(np.int64)
    sid, pos, n = _segment_layout(conv)
    age = (conv["conversion_time"] - conv["time"]).to_numpy(dtype=float)
    if method == "time_decay":
        w = np.exp2(-age / half_life)
        w = w / np.bincount(sid, weights=w)[sid]
    else:
        w = RULES[method](pos, n, age, half_life)
    return np.bincount(code, weights=w, minlength=n_channels)[:n_channels].astype(float)


def parse_path(path: str, channels: Sequence[str]) -> list[int]:
    """A `c1 > c2` path as channel indices (ValueError naming an unknown channel or an empty step)."""
    steps = [s.strip() for s in path.split(SEPARATOR.strip())]
    out = []
    for s in steps:
        if not s:
            raise ValueError(f"path '{path}' has an empty step (separate channels with ' > ')")
        if s not in channels:
            raise ValueError(f"path '{path}' names unknown channel '{s}'{did_you_mean(s, list(channels))}")
        out.append(list(channels).index(s))
    return out


def table_markov(paths: pd.DataFrame, channels: Sequence[str]) -> NDArray[np.float64]:
    """Markov credit per channel from one replication's path table (path, total_conversions, total_null)."""
    parsed = [parse_path(p, channels) for p in paths["path"]]
    return markov_credit(parsed, paths["total_conversions"].tolist(), paths["total_null"].tolist(), len(channels))


def table_rule(paths: pd.DataFrame, method: str, channels: Sequence[str]) -> NDArray[np.float64]:
    """Rule credit per channel from a path table (no touch times: time decay counts one step as one day)."""
    out = np.zeros(len(channels))
    for p, conv in zip(paths["path"], paths["total_conversions"], strict=True):
        if conv <= 0:
            continue
        idx = np.array(parse_path(p, channels))
        n = np.full(idx.size, idx.size)
        pos = np.arange(idx.size)
        age = (idx.size - 1 - pos).astype(float)
        if method == "time_decay":
            w = np.exp2(-age / HALF_LIFE_DAYS)
            w = w / w.sum()
        else:
            w = RULES[method](pos, n, age, HALF_LIFE_DAYS)
        out += conv * np.bincount(idx, weights=w, minlength=len(channels))
    return out
