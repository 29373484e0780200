"""The compiled loops (`pip install journeysim[fast]`) give the numpy code's touches, byte for byte."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journeysim.config import load_scenario
from journeysim.engine import compiled
from journeysim.engine.dynamics import Dynamics
from journeysim.engine.touches import touch_log
from journeysim.study.attribution.log import replication_touches
from journeysim.study.run import replication_seeds, simulate

pytest.importorskip("numba")


def _log(share: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, object]:
    scenario = load_scenario(["population.scale=0.05", "sim=quick", "strategy=balanced"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, touches=share)
    touches, paths = replication_touches(scenario, rec, seq, share, 0)
    return touch_log(rec, Dynamics.compile(scenario), seq, share).touches, touches, paths, rec.moves


@pytest.mark.parametrize("share", [1.0, 0.3])
def test_compiled_and_numpy_touch_logs_are_identical(share: float, monkeypatch: pytest.MonkeyPatch) -> None:
    # the touch log, its path columns and the path segments, and the moves they come from
    monkeypatch.setattr(compiled, "ENABLED", True)
    *fast, fast_moves = _log(share)
    monkeypatch.setattr(compiled, "ENABLED", False)
    *slow, slow_moves = _log(share)
    assert len(slow[0]) > 1000 and slow[2]["converted"].sum() > 100
    for a, b in zip(fast, slow, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    for name in ("customer", "time", "src", "dst"):
        np.testing.assert_array_equal(getattr(fast_moves, name), getattr(slow_moves, name))


def test_the_compiled_counting_sort_is_a_stable_sort_by_position() -> None:
    rng = np.random.default_rng(2)
    position = rng.integers(0, 50, 5000)
    time = rng.random(5000)
    codes = rng.integers(0, 1000, 5000).astype(np.int16)
    counts = np.bincount(position, minlength=50)
    out_time, out_codes = compiled.by_position(position, np.cumsum(counts) - counts, time, codes)
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


def test_compiled_segments_equal_the_numpy_cut_with_ties_and_untouched_purchases() -> None:
    # touches at a purchase's own time (they belong to it), customers with only touches or only purchases
    from journeysim.study.attribution import paths

    rng = np.random.default_rng(4)
    t_cust = np.sort(rng.integers(0, 40, 300))
    p_cust = np.sort(rng.integers(0, 40, 80))
    t_time = np.round(rng.uniform(0, 10, 300), 1)
    p_time = np.round(rng.uniform(0, 10, 80), 1)
    t_time = t_time[np.lexsort((t_time, t_cust))]
    p_time = p_time[np.lexsort((p_time, p_cust))]
    t_key, p_key = paths._key(t_cust, t_time, 10), paths._key(p_cust, p_time, 10)
    assert np.isin(t_key, p_key).any()  # some ties
    bought = paths._Bought(p_cust, p_time, np.arange(80.0))
    rows, per_touch = paths._compiled_rows(t_cust, t_key, bought, p_key)
    cut = paths._cut(t_cust, t_key.copy(), p_key)
    touched, expected = paths._segment_rows(cut, t_cust, p_cust, p_time)
    for name in ("customer", "path_segment", "touches", "converted", "conversion_time", "purchase"):
        np.testing.assert_array_equal(rows[name], expected[name], err_msg=name)
    np.testing.assert_array_equal(rows["start"][rows["touches"] > 0], expected["start"][expected["touches"] > 0])
    np.testing.assert_array_equal(per_touch["path_segment"], touched.number.take(cut.segment))
    np.testing.assert_array_equal(per_touch["conversion_time"], touched.conversion_time.take(cut.segment))


def test_a_numba_that_does_not_load_turns_the_loops_off_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # e.g. an installed numba too old for this numpy: the numpy code runs (the same touches), one warning
    import builtins

    real_import = builtins.__import__

    def no_numba(name: str, *args: object, **kwargs: object) -> object:
        if name == "numba":
            raise ImportError("Numba needs NumPy 2.3 or less")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(compiled, "ENABLED", True)
    monkeypatch.setattr(compiled, "_njit", None)
    monkeypatch.setattr(compiled, "_broken", False)
    monkeypatch.setattr(builtins, "__import__", no_numba)
    with pytest.warns(UserWarning, match="numba does not load"):
        assert not compiled.enabled()
    assert not compiled.enabled()  # once
    monkeypatch.setattr(builtins, "__import__", real_import)
    _, touches, paths, _ = _log(1.0)  # runs on numpy alone
    assert len(touches) > 1000 and len(paths) > 100
