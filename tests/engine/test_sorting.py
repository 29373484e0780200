"""The packed-key sorts give numpy's own orders (engine.sorting), and the event log its documented order."""

from __future__ import annotations

import numpy as np

from journeysim.engine.records import event_table
from journeysim.engine.sorting import stable_sort, time_order


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Times in a year with exact ties and neighbours one ulp apart (the cases a scaled key cannot tell apart)."""
    t = rng.random(n) * 365.0
    t[: n // 10] = np.round(t[: n // 10])  # exact ties on day boundaries
    t[n // 10 : n // 5] = np.nextafter(t[n // 5 : 3 * n // 10], np.inf)  # one ulp above other rows' times
    return rng.permutation(t)


def test_stable_sort_is_numpys_stable_argsort() -> None:
    key = np.random.default_rng(1).integers(0, 50, 10_000)
    order, sorted_key = stable_sort(key)
    assert np.array_equal(order, np.argsort(key, kind="stable")) and np.array_equal(sorted_key, np.sort(key))


def test_time_order_ascends_outside_its_flagged_runs() -> None:
    t = _times(np.random.default_rng(2), 20_000)
    order, near = time_order(t)
    assert np.array_equal(np.sort(order), np.arange(t.size))
    ordered = t[order]
    assert np.all((ordered[1:] >= ordered[:-1]) | near)
    assert np.all(near[ordered[1:] == ordered[:-1]])  # every exact tie is flagged
    assert near.mean() < 0.2  # ties, one-ulp neighbours and a few chance neighbours only


def test_event_table_orders_by_time_then_roster_position_then_log_order() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    t = _times(rng, n)
    customer = rng.integers(0, 500, n)
    src, dst = rng.integers(0, 3, n).astype(np.int16), rng.integers(0, 3, n).astype(np.int16)
    ev = event_table(customer, t, src, dst, np.ones(500, bool), ("a", "b"))
    expected = np.lexsort((np.arange(n), customer, t))
    assert np.array_equal(ev["time"].to_numpy(), t[expected])
    assert np.array_equal(ev["customer"].to_numpy(), customer[expected])
    assert np.array_equal(ev["from_stage"].cat.codes.to_numpy(), src[expected])
