"""What every repeat-buying (BTYD) model offers, and the registry of models by name (`bgnbd`, `paretonbd`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from journeysim.errors import ConfigError
from journeysim.registry import Registry

__all__ = ["MODELS", "BtydModel", "FloatArray", "check_params"]

FloatArray = NDArray[np.float64]


def check_params(model: str, names: Sequence[str], params: Sequence[float]) -> tuple[float, ...]:
    """The four parameters as positive floats, or a ConfigError naming the one that is not."""
    if len(params) != len(names):
        raise ConfigError(f"{model}", f"{len(params)} parameters given", f"give {', '.join(names)}")
    out = []
    for n, v in zip(names, params, strict=True):
        f = float(v)
        if not np.isfinite(f) or f <= 0:
            raise ConfigError(f"{model}.{n}", f"{v!r} is not a positive number", f"give {n} > 0")
        out.append(f)
    return tuple(out)


class BtydModel(ABC):
    """A repeat-buying model with four population parameters; times in any one unit (days or weeks)."""

    name: str
    param_names: tuple[str, str, str, str]

    def params(self, values: Sequence[float]) -> tuple[float, ...]:
        return check_params(self.name, self.param_names, values)

    @abstractmethod
    def log_likelihood(self, params: Sequence[float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
        """Per-customer log-likelihood of (x, t_x, T)."""

    @abstractmethod
    def expected_purchases(self, params: Sequence[float], t: ArrayLike) -> FloatArray:
        """E[X(t)]: expected repeat purchases in (0, t] for a customer who made a first purchase at 0."""

    @abstractmethod
    def prob_purchases(self, params: Sequence[float], x: int, t: float) -> float:
        """P(X(t) = x)."""

    @abstractmethod
    def dropout_odds(self, params: Sequence[float], x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """P(dropped out by T) / P(still active at T) given the history (x, t_x, T) as arrays."""

    def prob_alive(self, params: Sequence[float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
        """P(still active at T | x, t_x, T) = 1 / (1 + `dropout_odds`)."""
        x, t_x, T = as_arrays(x, t_x, T)
        return np.asarray(1.0 / (1.0 + self.dropout_odds(params, x, t_x, T)), dtype=float)

    @abstractmethod
    def conditional_expected_purchases(
        self,
        params: Sequence[float],
        t: float,
        x: ArrayLike,
        t_x: ArrayLike,
        T: ArrayLike,
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] given the history."""


#: Repeat-buying models by the name `journeysim fit-btyd --model` takes.
MODELS: Registry[BtydModel] = Registry("repeat-buying model")


def as_arrays(*values: ArrayLike) -> tuple[FloatArray, ...]:
    """Broadcast inputs to float arrays of one shape."""
    return tuple(np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values)))
