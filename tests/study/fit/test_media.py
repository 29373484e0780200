"""Media response from spend and outcome series: a round trip on simulated series (every parameter within 4 SE),
95% coverage over 100 seeded fits, and the refusal of series of different lengths."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from journeysim.errors import ConfigError
from journeysim.interventions.media import geometric_adstock, hill
from journeysim.study.fit.media import fit_media

TRUE = {"base": 400.0, "lift": 0.6, "half_saturation": 5000.0, "decay": 0.5}


def _series(seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """52 weeks of flighted spend (on/off, three levels) and Poisson weekly arrivals from the true response."""
    rng = np.random.default_rng(seed)
    spend = np.tile([0, 0, 2000, 2000, 8000, 8000, 0, 20000, 20000, 0, 0, 4000, 4000], 4).astype(float)
    spend *= rng.uniform(0.8, 1.2, spend.size)
    mu = TRUE["base"] * (1 + TRUE["lift"] * hill(geometric_adstock(spend, TRUE["decay"]), TRUE["half_saturation"], 1))
    return spend, rng.poisson(mu).astype(float)


def test_round_trip_every_parameter_within_4_se() -> None:
    fit = fit_media(*_series(np.random.SeedSequence(21)))
    for row in fit.estimates.itertuples():
        assert abs(row.estimate - TRUE[row.parameter]) < 4 * row.se, row


@pytest.mark.slow
def test_coverage_over_100_seeded_fits() -> None:
    hits = []
    for seed in np.random.SeedSequence(5).spawn(100):
        est = fit_media(*_series(seed)).estimates
        truth = np.array([TRUE[p] for p in est["parameter"]])
        hits.append((est["ci_low"] <= truth) & (truth <= est["ci_high"]))
    h = np.array(hits).sum(axis=0)
    assert np.all((h >= binom.ppf(0.0005, 100, 0.95)) & (h <= binom.ppf(0.9995, 100, 0.95))), h


def test_series_of_different_lengths_are_refused() -> None:
    spend, outcome = _series(np.random.SeedSequence(1))
    with pytest.raises(ConfigError, match="52 periods but the outcome series has 51"):
        fit_media(spend, outcome[:-1])
