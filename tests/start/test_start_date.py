"""`sim.start_date`: the weekly pattern on real weekdays, seasons on days of the year, dated time series."""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np
import pytest

import journeysim.api as js
from journeysim.errors import ConfigError
from journeysim.model import Settings
from journeysim.study.run import run

WEEKLY = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]  # Monday first, mean 4


def _scenario(*extra: str) -> js.Scenario:
    return js.load_scenario(["sim=quick", "population.scale=0.05", "sim.replications=1", *extra])


def test_a_wednesday_start_shifts_the_monday_first_weekly_vector_by_two_days() -> None:
    # 2027-01-06 is a Wednesday: day 0 takes weight 3, day 5 is the Monday (weight 1), day 7 the next Wednesday
    assert datetime.date(2027, 1, 6).weekday() == 2
    sc = _scenario("sim.start_date=2027-01-06", f"population.segments.consumers.weekly={WEEKLY}")
    seg = sc.population.segments[0]
    seg = dataclasses.replace(seg, seasonal_amplitude=0.0)
    lam = seg.intensity(9, *sc.settings.calendar_origin())
    base = seg.arrivals_per_day
    np.testing.assert_allclose(lam / base, np.array([3, 4, 5, 6, 7, 1, 2, 3, 4]) / 4.0)
    undated = seg.intensity(9)  # no start date: day 0 is a Monday, as before
    np.testing.assert_allclose(undated / base, np.array([1, 2, 3, 4, 5, 6, 7, 1, 2]) / 4.0)


def test_the_seasonal_peak_day_is_a_day_of_the_year() -> None:
    # peak day 335 = 1 December (non-leap year); a run dated 1 Dec 2027 starts at the peak, 1 June at the trough-ish
    s = Settings(start_date=datetime.date(2027, 12, 1))
    assert s.calendar_origin() == (2, 335)  # a Wednesday, day 335 of the year
    sc = _scenario("sim.start_date=2027-12-01")
    seg = dataclasses.replace(sc.population.segments[0], weekly=None)
    lam = seg.intensity(3, *sc.settings.calendar_origin())
    amp, base = seg.seasonal_amplitude, seg.arrivals_per_day
    expected = base * (1 + amp * np.cos(2 * np.pi * np.array([0.0, 1.0, 2.0]) / 365.0))
    np.testing.assert_allclose(lam, expected)


def test_arrivals_land_only_on_real_mondays() -> None:
    # weight on Monday only: with a Wednesday start the engine admits prospects on days 5, 12, 19, ... and no other
    sc = _scenario(
        "word_of_mouth=none",  # referrals would bring prospects on any day
        "sim.start_date=2027-01-06",
        "population.segments.consumers.weekly=[1,0,0,0,0,0,0]",
        "population.segments.consumers.seasonal_amplitude=0",
    )
    ts = run(sc).timeseries
    rows = ts[ts["segment"] == "all"]
    busy = rows.loc[rows["arrivals"] > 0, "day"].to_numpy()
    assert busy.size > 5 and set((busy - 5) % 7) == {0}
    assert set(rows.loc[rows["arrivals"] > 0, "date"].dt.day_of_week) == {0}  # Monday in pandas too


def test_the_date_column_appears_only_with_a_start_date() -> None:
    dated = run(_scenario("sim.start_date=2027-01-04")).timeseries
    assert list(dated.columns[:3]) == ["day", "date", "segment"]
    first = dated["date"].iloc[0]
    assert first.date() == datetime.date(2027, 1, 4)
    assert (dated["date"] - first).dt.days.tolist() == dated["day"].tolist()
    assert "date" not in run(_scenario()).timeseries.columns


@pytest.mark.parametrize("value", ["2027-13-01", "soon", 42, "2027-02-30"])
def test_a_start_date_that_is_not_a_date_names_the_setting(value: object) -> None:
    with pytest.raises(ConfigError) as err:
        Settings(start_date=value)  # type: ignore[arg-type]
    assert err.value.setting == "sim.start_date" and "2027-01-04" in err.value.fix


def test_settings_expose_the_start_date_as_a_date() -> None:
    sc = _scenario("sim.start_date=2027-01-04")
    assert sc.settings.start_date == datetime.date(2027, 1, 4)
    assert sc.settings.date_of(10) == datetime.date(2027, 1, 14)
    assert _scenario().settings.start_date is None
