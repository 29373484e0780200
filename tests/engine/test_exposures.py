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
    assert np.array_equal(it.day_at(at), expected)


def test_an_audience_is_its_runs_of_consecutive_rows() -> None:
    from journeysim.engine.exposures import Audience

    it = Intensity(np.ones(3))
    assert Audience.of(np.array([1, 1, 0, 0, 1, 0, 1], bool), it).runs == ((0, 2), (4, 5), (6, 7))
    assert Audience.of(np.zeros(4, bool), it).runs == ()


def test_first_exposures_at_a_constant_intensity_by_hand() -> None:
    # intensity 1/day: a stay of length L is exposed with probability 1 - exp(-L), its first exposure at
    # start + Exp(1) given it falls before the end; rows 0 (in the audience) and 1 (not)
    from journeysim.engine.exposures import Audience, first_exposures

    n = 40_000
    start = np.full(n, 2.5)
    end = np.where(np.arange(n) % 2 == 0, 3.0, 9.0)  # half-day stays and 6.5-day stays
    rows = (np.arange(n) % 4 >= 2).astype(np.intp)  # stays 0, 1 of every 4 in the audience
    aud = Audience.of(np.array([True, False]), Intensity(np.ones(10)))
    [(stay, t)] = first_exposures(start, end, rows, [aud], 10, np.random.default_rng(7))
    assert np.all(rows[stay] == 0) and np.all((t >= start[stay]) & (t < end[stay]))
    for length in (0.5, 6.5):
        mine = end[stay] - start[stay] == length
        shown = int((end[rows == 0] - start[rows == 0] == length).sum())
        p = 1 - np.exp(-length)
        assert abs(mine.sum() - shown * p) <= 4 * np.sqrt(shown * p * (1 - p))
        # given exposure, the delay is Exp(1) truncated at the length: mean 1 - L e^-L / (1 - e^-L)
        delay = t[mine] - 2.5
        mean = 1 - length * np.exp(-length) / p
        var = 2 - (length**2 + 2 * length) * np.exp(-length) / p - mean**2  # E[X^2] of the truncated Exp(1)
        assert abs(delay.mean() - mean) <= 4 * np.sqrt(var / mine.sum())
