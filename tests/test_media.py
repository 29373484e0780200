"""Media math worked by hand: cost -> units -> exposures (caps) -> adstock -> response, and pacing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim import media


def test_media_units_keep_money_and_units_apart() -> None:
    assert media.media_units(800.0, "cpm", 8.0) == pytest.approx(100_000.0)  # 800 / 8 * 1000 impressions
    assert media.media_units(120.0, "cpc", 1.2) == pytest.approx(100.0)  # clicks
    assert media.media_units(10.0, "per_send", 0.002) == pytest.approx(5000.0)  # sends
    assert media.media_units(300.0, "fixed_fee", 300.0) == 0.0
    with pytest.raises(ValueError):
        media.media_units(1.0, "barter", 1.0)


def test_capped_poisson_mean_by_hand() -> None:
    # 2 exposures per person on average, capped at 1: E[min(X, 1)] = P(X >= 1) = 1 - e^-2
    assert media.capped_poisson_mean(2.0, 1) == pytest.approx(1 - math.exp(-2))
    # cap 2: P(X>=1) + P(X>=2) = (1 - e^-2) + (1 - e^-2 - 2 e^-2)
    assert media.capped_poisson_mean(2.0, 2) == pytest.approx(2 - 4 * math.exp(-2))
    assert media.capped_poisson_mean(2.0, None) == pytest.approx(2.0)
    assert media.capped_poisson_mean(2.0, 0) == pytest.approx(0.0)
    assert media.reach(2.0) == pytest.approx(1 - math.exp(-2))


def test_adstock_and_responses_by_hand() -> None:
    np.testing.assert_allclose(media.geometric_adstock([1.0, 1.0, 0.0, 0.0], 0.5), [1.0, 1.5, 0.75, 0.375])
    assert media.hill(1.0, 1.0, 1.0) == pytest.approx(0.5)
    assert media.hill(3.0, 1.0, 2.0) == pytest.approx(9 / 10)
    assert media.hill(0.0, 1.0, 2.0) == 0.0
    assert media.exponential_saturation(2.0, 2.0) == pytest.approx(0.5)
    assert media.linear_response(1.0, 1.0) == pytest.approx(0.5)
    assert media.linear_response(5.0, 1.0) == pytest.approx(1.0)
    assert set(media.RESPONSES) >= {"hill", "exponential", "linear"}


def test_register_response() -> None:
    media.register_response("step", lambda x, k, s: (np.asarray(x) >= k).astype(float))
    try:
        assert media.RESPONSES["step"](2.0, 1.0, 1.0) == 1.0
    finally:
        del media.RESPONSES["step"]


def test_pacing_profiles_by_hand() -> None:
    np.testing.assert_allclose(media.pacing_profile("even", 4), [0.25] * 4)
    np.testing.assert_allclose(media.pacing_profile("front_loaded", 4), [0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(media.pacing_profile("back_loaded", 4), [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(media.pacing_profile("even", 5, [1, 0]), [1 / 3, 0, 1 / 3, 0, 1 / 3])
    assert media.pacing_profile("even", 0).size == 0
