"""The compiled loops (`pip install journeysim[fast]`) give the numpy code's touches, byte for byte."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journeysim.config import load_scenario
from journeysim.engine import compiled
from journeysim.engine.dynamics import Dynamics
from journeysim.engine.touches import touch_log
from journeysim.study.run import replication_seeds, simulate

pytest.importorskip("numba")


def _log(share: float) -> tuple[pd.DataFrame, object]:
    scenario = load_scenario(["population.scale=0.05", "sim=quick", "strategy=balanced"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, touches=share)
    return touch_log(rec, Dynamics.compile(scenario), seq, share).touches, rec.moves


@pytest.mark.parametrize("share", [1.0, 0.3])
def test_compiled_and_numpy_touch_logs_are_identical(share: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "ENABLED", True)
    fast, fast_moves = _log(share)
    monkeypatch.setattr(compiled, "ENABLED", False)
    slow, slow_moves = _log(share)
    assert len(slow) > 1000
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    for name in ("customer", "time", "src", "dst"):
        np.testing.assert_array_equal(getattr(fast_moves, name), getattr(slow_moves, name))


def test_the_compiled_counting_sort_is_a_stable_sort_by_position() -> None:
    rng = np.random.default_rng(2)
    position = rng.integers(0, 50, 5000)
    time = rng.random(5000)
    codes = rng.integers(0, 1000, 5000).astype(np.int16)
    out_time, out_codes = compiled.by_position(position, np.bincount(position, minlength=50), time, codes)
    order = np.argsort(position, kind="stable")
    np.testing.assert_array_equal(out_time, time[order])
    np.testing.assert_array_equal(out_codes, codes[order])


def test_compiled_exposures_equal_the_numpy_loop_with_flights_and_edges() -> None:
    # a paused flight (zero intensity), uneven days, stays ending at the horizon and inside one day
    from journeysim.engine import exposures

    rng = np.random.default_rng(9)
    lam = rng.random(60) * rng.choice([0.05, 1.0, 20.0], 60)
    lam[20:30] = 0.0
    it = exposures.Intensity(lam)
    start = rng.uniform(0, 59.9, 20_000)
    end = np.minimum(start + rng.exponential(5, start.size), 60.0)
    stays = exposures._Stays(start, end, 60)
    got = compiled.first_exposures(
        start, end, stays.first, stays.last, np.random.default_rng(1).standard_exponential(start.size), it
    )
    compiled_enabled = compiled.ENABLED
    try:
        compiled.ENABLED = False
        expected = exposures._first(stays, 0, start.size, it, np.random.default_rng(1))
    finally:
        compiled.ENABLED = compiled_enabled
    assert 1000 < got[0].size < start.size
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
