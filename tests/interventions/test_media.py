"""Media math worked by hand: cost -> units -> exposures (caps) -> adstock -> response, and pacing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim.errors import ConfigError
from journeysim.interventions import media
from journeysim.registry import Registry


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


def _capped_term_by_term(mean: object, cap: float | None) -> np.ndarray:
    """The definition, one regularised gamma term at a time added in order (the original implementation)."""
    from scipy import special

    m = np.asarray(mean, dtype=float)
    if cap is None:
        return m.copy()
    out = np.zeros_like(m)
    for k in range(int(cap)):
        out += special.gammainc(k + 1, m)
    return out


@pytest.mark.parametrize("cap", [None, 0, 1, 2, 3, 4, 5, 8, 9, 16, 3.7])
def test_capped_poisson_mean_is_the_term_by_term_sum_to_the_bit(cap: float | None) -> None:
    rng = np.random.default_rng(5)
    xs = np.concatenate([rng.exponential(1.0, 2000), rng.exponential(30.0, 200), [0.0, 1e-300, 1e-9, 700.0, np.inf]])
    assert media.capped_poisson_mean(xs, cap).tobytes() == _capped_term_by_term(xs, cap).tobytes()
    grid = xs[:140].reshape(20, 7)
    assert media.capped_poisson_mean(grid, cap).tobytes() == _capped_term_by_term(grid, cap).tobytes()
    for x in xs[:50].tolist():
        assert media.capped_poisson_mean(x, cap).tobytes() == _capped_term_by_term(x, cap).tobytes()


def test_capped_poisson_means_match_one_call_per_channel_to_the_bit() -> None:
    rng = np.random.default_rng(6)
    caps: list[float | None] = [3, 4, 2, None, 1, 5, 0, 9]
    for _ in range(300):
        means = rng.exponential(2.0, len(caps)).tolist()
        got = media.capped_poisson_means(means, caps)
        want = [float(media.capped_poisson_mean(m, c)) for m, c in zip(means, caps, strict=True)]
        assert np.array(got).tobytes() == np.array(want).tobytes()
    assert media.capped_poisson_means([], []) == []


def test_adstock_and_responses_by_hand() -> None:
    np.testing.assert_allclose(media.geometric_adstock([1.0, 1.0, 0.0, 0.0], 0.5), [1.0, 1.5, 0.75, 0.375])
    assert media.hill(1.0, 1.0, 1.0) == pytest.approx(0.5)
    assert media.hill(3.0, 1.0, 2.0) == pytest.approx(9 / 10)
    assert media.hill(0.0, 1.0, 2.0) == 0.0
    assert media.exponential_saturation(2.0, 2.0) == pytest.approx(0.5)
    assert media.linear_response(1.0, 1.0) == pytest.approx(0.5)
    assert media.linear_response(5.0, 1.0) == pytest.approx(1.0)
    assert set(media.RESPONSES) >= {"hill", "exponential", "linear"}


def test_register_response(monkeypatch: pytest.MonkeyPatch) -> None:
    scratch: Registry[media.ResponseFn] = Registry("response curve")  # a copy, so the shipped registry stays as is
    for name in media.RESPONSES:
        scratch.add(name, media.RESPONSES.get(name))
    monkeypatch.setattr(media, "RESPONSES", scratch)
    media.register_response("step", lambda x, k, s: (np.asarray(x) >= k).astype(float))
    assert media.RESPONSES.get("step")(2.0, 1.0, 1.0) == 1.0


def test_pacing_profiles_by_hand() -> None:
    np.testing.assert_allclose(media.pacing_profile("even", 4), [0.25] * 4)
    np.testing.assert_allclose(media.pacing_profile("front_loaded", 4), [0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(media.pacing_profile("back_loaded", 4), [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(media.pacing_profile("even", 5, [1, 0]), [1 / 3, 0, 1 / 3, 0, 1 / 3])
    assert media.pacing_profile("even", 0).size == 0


def test_registries_refuse_duplicates_and_name_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="already registered"):
        media.register_response("hill", media.hill)
    for registry, bad, good in (
        (media.RESPONSES, "hil", "hill"),
        (media.PACINGS, "front_load", "front_loaded"),
        (media.COST_MODELS, "per_sent", "per_send"),
    ):
        with pytest.raises(ConfigError, match=f"did you mean '{good}'"):
            registry.get(bad)
    assert media.adstock_step(2.0, 1.0, 0.5) == 2.0  # today's 1 plus half of yesterday's 2
    np.testing.assert_allclose(media.geometric_adstock([1.0, 0.0, 0.0], 0.5), [1.0, 0.5, 0.25])


def test_geometric_adstock_is_the_engines_day_step_bit_for_bit() -> None:
    """The inlined recurrence gives exactly what `adstock_step` gives day by day (the engine's own step)."""
    rng = np.random.default_rng(7)
    for decay in (0.0, 0.3, 0.5, 0.9, 0.97, 1.0):
        x = rng.exponential(1000.0, 365) * rng.integers(0, 2, 365)
        acc, steps = 0.0, []
        for v in x:
            acc = media.adstock_step(acc, float(v), decay)
            steps.append(acc)
        assert np.array_equal(media.geometric_adstock(x, decay), np.array(steps))
    assert media.geometric_adstock([], 0.5).shape == (0,)
    assert np.isnan(media.geometric_adstock([1.0, np.nan, 1.0], 0.5)[1:]).all()  # the day loop's answer
