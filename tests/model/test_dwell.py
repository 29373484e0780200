"""Dwell families: each registered quantile is the scipy.stats distribution with unit mean; an unknown kind is a
ConfigError naming `journey.dwell.kind` with a did-you-mean, also when a Dwell's checks are bypassed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from journeysim.engine.plan import dwell_quantile
from journeysim.errors import ConfigError
from journeysim.model import Dwell
from journeysim.model.dwell import DWELL_KINDS

U = np.array([0.9, 0.5, 0.1, 0.01])


@pytest.mark.parametrize(
    ("dwell", "law"),
    [
        (Dwell(), stats.expon()),
        (Dwell("gamma", 2.5), stats.gamma(2.5, scale=1 / 2.5)),
        (Dwell("lognormal", 0.7), stats.lognorm(0.7, scale=math.exp(-0.5 * 0.7**2))),
        (Dwell("weibull", 1.6), stats.weibull_min(1.6, scale=1 / math.gamma(1 + 1 / 1.6))),
    ],
)
def test_quantiles_are_scipy_with_unit_mean(dwell: Dwell, law: stats.rv_continuous) -> None:
    assert law.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(dwell.quantile(U), law.isf(U), rtol=1e-9)  # upper-tail probability
    np.testing.assert_array_equal(dwell_quantile(dwell, U), dwell.quantile(U))


def test_registry_and_shape_rules() -> None:
    assert DWELL_KINDS.names() == ("exponential", "gamma", "lognormal", "weibull")
    assert not DWELL_KINDS.get("exponential").shaped and DWELL_KINDS.get("gamma").shaped
    with pytest.raises(ConfigError) as err:
        Dwell("lognorm", 1.0)
    assert err.value.setting == "journey.dwell.kind" and "did you mean 'lognormal'" in str(err.value)


def test_unknown_kind_slipped_past_the_checks_is_a_config_error() -> None:
    d = Dwell("weibull", 2.0)
    object.__setattr__(d, "kind", "weibul")  # bypass __post_init__
    with pytest.raises(ConfigError, match="did you mean 'weibull'") as err:
        dwell_quantile(d, U)  # formerly: silently Weibull
    assert err.value.setting == "journey.dwell.kind"
    with pytest.raises(ConfigError):
        d.sample(np.ones(3), np.random.default_rng(0))
