"""Calibration: rates fitted from journeys by maximum likelihood, by hand and against simulated ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import journeysim.api as js
from journeysim.errors import ConfigError
from journeysim.model import Journey, Population, Scenario, Segment, Settings
from journeysim.study.calibrate import fit_rates, rate_errors

# c0 starts in a at day 0, a->b at 2, b->c at 5; c1 arrives in a at day 1, a->c at 4; c2 sits in b all along.
EVENTS = pd.DataFrame(
    {
        "customer": [0, 0, 1, 1],
        "time": [2.0, 5.0, 1.0, 4.0],
        "from_stage": ["a", "b", "(arrival)", "a"],
        "to_stage": ["b", "c", "a", "c"],
    }
)
CUSTOMERS = pd.DataFrame({"customer": [0, 1, 2], "start_stage": ["a", "a", "b"], "entry_time": [0.0, 1.0, 0.0]})


def test_rates_worked_by_hand() -> None:
    fit = fit_rates(EVENTS, CUSTOMERS, end=10.0)
    # days in a: c0 2 + c1 3 = 5; in b: c0 3 + c2 10 = 13; in c: c0 5 + c1 6 = 11 (censored at day 10)
    assert fit.exposure.to_dict() == pytest.approx({"a": 5.0, "b": 13.0, "c": 11.0})
    table = fit.table.set_index(["from_stage", "to_stage"])
    assert table["transitions"].to_dict() == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 1}
    assert table["rate"].to_dict() == pytest.approx({("a", "b"): 0.2, ("a", "c"): 0.2, ("b", "c"): 1 / 13})
    assert table.loc[("a", "b"), "se"] == pytest.approx(0.2)  # rate / sqrt(1)
    rates = fit.rates()
    assert rates.keys() == {"a", "b"} and rates["a"] == pytest.approx({"b": 0.2, "c": 0.2})
    assert rates["b"] == pytest.approx({"c": 1 / 13})


def test_a_per_customer_end_of_observation() -> None:
    ends = CUSTOMERS.assign(end_time=[10.0, 10.0, 4.0])  # c2 left the panel at day 4
    fit = fit_rates(EVENTS, ends, end=99.0)
    assert fit.exposure["b"] == pytest.approx(3.0 + 4.0)


def test_bad_data_is_named() -> None:
    with pytest.raises(ConfigError, match="events: missing column"):
        fit_rates(EVENTS.drop(columns="time"), CUSTOMERS, end=10.0)
    gap = EVENTS.drop(index=0)  # c0's a->b is missing: its b->c starts from a stage it was never in
    with pytest.raises(ConfigError, match="customer 0 moves from 'b' at day 5 but was in 'a'"):
        fit_rates(gap, CUSTOMERS, end=10.0)
    with pytest.raises(ConfigError, match="events belong to customers the table lacks"):
        fit_rates(EVENTS, CUSTOMERS[CUSTOMERS["customer"] != 1], end=10.0)


JOURNEY = {
    "stages": ["aware", "consider", "buy", "loyal", "lost"],
    "entry": "aware",
    "conversion": ["buy"],
    "terminal": ["lost"],
    "rates": {
        "aware": {"consider": 0.10, "lost": 0.05},
        "consider": {"buy": 0.08, "aware": 0.04, "lost": 0.03},
        "buy": {"loyal": 2.0},
        "loyal": {"buy": 0.02, "consider": 0.01, "lost": 0.015},
    },
}


def test_fit_recovers_the_simulated_rates_within_their_standard_errors() -> None:
    """Ground truth round trip: simulate with the event log, fit, and every rate lands within 4 SE of the truth;
    z over all 9 edges behaves like N(0, 1) (mean square within the 99.9% range of chi2(9) / 9)."""
    journey = Journey.from_dict(JOURNEY)
    segment = Segment(name="everyone", initial={"aware": 2000, "loyal": 500}, arrivals_per_day=40.0)
    scenario = Scenario(
        journey=journey,
        population=Population(segments=(segment,)),
        settings=Settings(horizon_days=200, replications=2, seed=2026, event_log=True),
    )
    res = js.run(scenario)
    assert res.events is not None and res.customers is not None
    fit = fit_rates(res.events, res.customers, end=200.0)
    errors = rate_errors(fit, JOURNEY["rates"])
    assert len(errors) == 9 and (errors["transitions"] > 300).all()
    assert errors["z"].abs().max() < 4.0, errors
    assert 0.108 < float((errors["z"] ** 2).mean()) < 3.30  # chi2(9) / 9, 99.9% range
    fitted = fit.journey(journey)
    assert fitted.name == "journey_fitted" and fitted.stages == journey.stages
    np.testing.assert_allclose(fitted.rate_matrix(), journey.rate_matrix(), rtol=0.15)
