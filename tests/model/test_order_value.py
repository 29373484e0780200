"""Order-value families: each registered quantile is the scipy.stats distribution with the given mean and
coefficient of variation; an unknown kind is a ConfigError with a did-you-mean, also when checks are bypassed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from journeysim.engine.plan import order_value_quantile
from journeysim.errors import ConfigError
from journeysim.model import OrderValue
from journeysim.model.order_value import ORDER_VALUE_KINDS

U = np.array([0.01, 0.25, 0.5, 0.9])


def test_quantiles_are_scipy_with_the_given_mean_and_cv() -> None:
    s2 = math.log1p(0.5**2)
    lognormal = stats.lognorm(math.sqrt(s2), scale=80.0 * math.exp(-0.5 * s2))
    gamma = stats.gamma(1 / 0.5**2, scale=80.0 * 0.5**2)
    for kind, law in (("lognormal", lognormal), ("gamma", gamma)):
        assert law.mean() == pytest.approx(80.0) and law.std() / law.mean() == pytest.approx(0.5)
        np.testing.assert_allclose(OrderValue(kind, 80.0, 0.5).quantile(U), law.ppf(U), rtol=1e-9)
    assert OrderValue("fixed", 80.0).quantile(U).tolist() == [80.0] * 4
    assert order_value_quantile("gamma", 80.0, 0.0, U).tolist() == [80.0] * 4  # no spread: the mean
    assert OrderValue("fixed", 80.0).constant and not OrderValue("gamma", 80.0, 0.5).constant


def test_unknown_kind_is_a_config_error_even_past_the_checks() -> None:
    assert ORDER_VALUE_KINDS.names() == ("fixed", "lognormal", "gamma")
    with pytest.raises(ConfigError, match="did you mean 'gamma'"):
        OrderValue("gama", 80.0, 0.5)
    with pytest.raises(ConfigError, match="did you mean 'gamma'") as err:
        order_value_quantile("gama", 80.0, 0.5, U)  # formerly: silently gamma
    assert err.value.setting == "population.segments.order_value.kind"
