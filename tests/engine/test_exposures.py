"""The exposure draws' day search (engine.exposures.Intensity) finds the day a binary search finds."""

from __future__ import annotations

import numpy as np

from journeysim.engine.exposures import Intensity


def test_day_at_is_the_binary_searchs_day_with_flights_and_uneven_days() -> None:
    rng = np.random.default_rng(4)
    lam = rng.random(365) * rng.choice([0.01, 1.0, 30.0], 365)  # uneven days: many per grid cell, or few
    lam[100:160] = 0.0  # a pause between flights: a flat integral
    lam[300:] = 0.0  # and none to the horizon
    it = Intensity(lam)
    at = np.concatenate([rng.random(50_000) * it.cum[-1], it.cum, np.nextafter(it.cum, -np.inf)[1:]])
    at = at[at >= 0]
    expected = np.minimum(np.searchsorted(it.cum, at, side="right") - 1, lam.size - 1)
    first = np.zeros(at.size, np.int64)  # cum[0] = 0 <= at: a valid first day for every value
    assert np.array_equal(it.day_at(at, first), expected)
    assert np.array_equal(it.day_at(at, expected.copy()), expected)  # already on its day
