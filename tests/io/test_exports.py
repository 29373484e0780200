"""Media-mix exports: the documented columns, one row per period and replication (and geo), weekly sums equal to
daily ones, geo splits that add up to the national media, and ground truth that adds up: per-channel removals plus
the interaction term give the all-media effect, which equals the run minus its no-spend baseline, and per-channel
totals equal the pipeline's own removal effects on the same seeds."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import journeysim as js
from journeysim.cli.export import check_realisation
from journeysim.interventions import Strategy
from journeysim.io.exports import write_export
from journeysim.model.scenario import Scenario
from journeysim.study.baseline import Baseline
from journeysim.study.ground_truth import counterfactual_days
from journeysim.study.pipeline import run_study

CHANNELS = ["social", "display", "search"]
#: the committed arena (random weekly pacing), on two segments, small and short
OVERRIDES = ["+experiment=mmm_arena", "population=mixed", "population.scale=0.01", "sim.horizon_days=60"]
START = dt.date(2025, 1, 6)


def pymc_columns(channels: list[str]) -> list[str]:
    return [
        "date",
        "replication",
        *(f"{c}_spend" for c in channels),
        *(f"{c}_impressions" for c in channels),
        "expected_arrivals",
        "conversions",
        "revenue",
    ]


def meridian_columns(channels: list[str]) -> list[str]:
    return [
        "geo",
        "time",
        "replication",
        "population",
        *(f"{c}_impressions" for c in channels),
        *(f"{c}_spend" for c in channels),
        "expected_arrivals",
        "conversions",
        "revenue_per_conversion",
    ]


TRUTH_COLUMNS = [
    "replication",
    "date",
    "geo",
    "channel",
    "spend",
    "impressions",
    "incremental_conversions",
    "incremental_revenue",
]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return js.load_scenario(OVERRIDES)


@pytest.fixture(scope="module")
def daily(scenario: Scenario) -> pd.DataFrame:
    return counterfactual_days(scenario)


@pytest.fixture(scope="module")
def exported(scenario: Scenario, daily: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for period in ("day", "week"):
        d = tmp_path_factory.mktemp(period)
        write_export(d, scenario, daily, period=period, formats=("pymc", "meridian"), start=START, start_from="test")
        out[period] = d
    return out


def test_the_files_load_into_the_documented_shapes(exported: dict[str, Path], scenario: Scenario) -> None:
    geos = list(scenario.population.names)
    assert len(geos) == 2  # population=mixed: geo = segment
    for period, n in (("day", 60), ("week", 8)):  # 60 days: 8 whole weeks, the trailing 4 days left out
        d = exported[period]
        pymc = pd.read_csv(d / "mmm_pymc.csv", parse_dates=["date"])
        meridian = pd.read_csv(d / "mmm_meridian.csv")
        truth = pd.read_csv(d / "truth.csv")
        assert list(pymc.columns) == pymc_columns(CHANNELS)
        assert list(meridian.columns) == meridian_columns(CHANNELS)
        assert list(truth.columns) == TRUTH_COLUMNS
        assert len(pymc) == n * 4 and pymc.groupby("replication").size().tolist() == [n] * 4
        assert not pymc.duplicated(["replication", "date"]).any()
        assert len(meridian) == n * 4 * 2 and sorted(meridian["geo"].unique()) == sorted(geos)
        assert len(truth) == n * 4 * 2 * (len(CHANNELS) + 2)
        step = 1 if period == "day" else 7
        assert pymc["date"].iloc[0] == pd.Timestamp(START)
        assert (pymc.groupby("replication")["date"].diff().dropna() == pd.Timedelta(days=step)).all()
        assert pymc.notna().all().all() and meridian.notna().all().all()
        doc = json.loads((d / "truth.json").read_text())
        assert doc["period"] == period and doc["dropped_days"] == (0 if period == "day" else 4)
        assert set(doc["channels"]) == set(CHANNELS)
        assert doc["channels"]["social"]["response"]["kind"] == "hill"
    raw = pd.read_parquet(exported["day"] / "daily.parquet")
    assert set(raw["variant"]) == {"run", "baseline", *(f"without {c}" for c in CHANNELS)}


def test_weekly_sums_equal_daily_sums(exported: dict[str, Path]) -> None:
    day = pd.read_csv(exported["day"] / "mmm_pymc.csv", parse_dates=["date"])
    week = pd.read_csv(exported["week"] / "mmm_pymc.csv", parse_dates=["date"])
    day = day[day["date"] < pd.Timestamp(START) + pd.Timedelta(days=56)]
    day["week"] = (day["date"] - pd.Timestamp(START)).dt.days // 7
    summed = day.groupby(["replication", "week"]).sum(numeric_only=True).reset_index()
    for col in week.columns.drop(["date", "replication"]):
        assert np.allclose(summed[col].to_numpy(), week[col].to_numpy(), rtol=1e-12, atol=1e-9), col
    assert (week["conversions"] > 0).all()


def test_geos_add_up_to_the_national_table(exported: dict[str, Path]) -> None:
    for period in ("day", "week"):
        pymc = pd.read_csv(exported[period] / "mmm_pymc.csv")
        meridian = pd.read_csv(exported[period] / "mmm_meridian.csv")
        national = meridian.groupby(["replication", "time"], sort=True).sum(numeric_only=True).reset_index()
        for c in CHANNELS:
            for kind in ("spend", "impressions"):
                assert np.allclose(national[f"{c}_{kind}"], pymc[f"{c}_{kind}"], rtol=1e-9), (c, kind)
        assert (national["conversions"].to_numpy() == pymc["conversions"].to_numpy()).all()


def test_truth_adds_up_to_the_run_minus_its_baseline(exported: dict[str, Path], daily: pd.DataFrame) -> None:
    truth = pd.read_csv(exported["day"] / "truth.csv")
    keys = ["replication", "date", "geo"]
    wide = truth.pivot_table(index=keys, columns="channel", values="incremental_conversions", aggfunc="sum")
    assert (wide[CHANNELS].sum(axis=1) + wide["interaction"] == wide["all_media"]).all()
    run = daily[daily["variant"] == "run"].groupby("replication")["purchases"].sum()
    base = daily[daily["variant"] == "baseline"].groupby("replication")["purchases"].sum()
    all_media = truth[truth["channel"] == "all_media"].groupby("replication")["incremental_conversions"].sum()
    assert (all_media == run - base).all()
    for c in CHANNELS:  # run minus the run without c, same customers
        without = daily[daily["variant"] == f"without {c}"].groupby("replication")["purchases"].sum()
        got = truth[truth["channel"] == c].groupby("replication")["incremental_conversions"].sum()
        assert (got == run - without).all()
    rev = truth.pivot_table(index=keys, columns="channel", values="incremental_revenue", aggfunc="sum")
    assert np.allclose(rev[CHANNELS].sum(axis=1) + rev["interaction"], rev["all_media"], rtol=1e-9, atol=1e-6)


def test_truth_equals_the_pipelines_removal_effects_and_the_run_is_the_runs_own(
    scenario: Scenario, daily: pd.DataFrame, exported: dict[str, Path]
) -> None:
    study = run_study(scenario, Baseline("no spend", Strategy(name="none"), channels=True), bottlenecks=False)
    assert check_realisation(daily, study.run.samples.reset_index()) == []
    truth = pd.read_csv(exported["day"] / "truth.csv")
    assert study.incrementality is not None
    removal = study.incrementality.channels
    for c in CHANNELS:
        ours = truth[truth["channel"] == c].groupby("replication")["incremental_conversions"].sum().to_numpy()
        theirs = removal[removal["channel"] == c]["removal_purchases"].to_numpy()
        assert np.array_equal(ours, theirs), c
    inc = study.incrementality.replications["incremental_purchases"].to_numpy()
    ours = truth[truth["channel"] == "all_media"].groupby("replication")["incremental_conversions"].sum()
    assert np.array_equal(ours.to_numpy(), inc)


def test_the_counterfactuals_keep_every_other_channels_money(daily: pd.DataFrame) -> None:
    """National money per day is the plan's (the split by segment follows each variant's own audiences)."""
    national = daily.groupby(["variant", "replication", "day"], sort=True).sum(numeric_only=True)
    run = national.loc["run"]
    for c in CHANNELS:
        without = national.loc[f"without {c}"]
        assert (without[f"spend.{c}"] == 0).all() and run[f"spend.{c}"].sum() > 0
        for other in CHANNELS:
            if other != c:
                assert np.allclose(without[f"spend.{other}"], run[f"spend.{other}"], rtol=1e-9, atol=1e-9)
    base = national.loc["baseline"]
    assert (base[[f"spend.{c}" for c in CHANNELS]] == 0).all().all()
    assert (base["expected_arrivals"].to_numpy() == run["expected_arrivals"].to_numpy()).all()


def test_a_tampered_realisation_is_reported(daily: pd.DataFrame) -> None:
    run = daily[daily["variant"] == "run"].groupby("replication")[["purchases", "revenue"]].sum().reset_index()
    assert check_realisation(daily, run) == []
    run.loc[1, "purchases"] += 1
    (problem,) = check_realisation(daily, run)
    assert problem.setting == "RUN_DIR" and "replication 1" in problem.problem


def _documented(section: str) -> set[str]:
    """Backticked names in the first cell of the column table under a `### <section>` heading of docs/exports.md,
    with `<channel>` written as the channel placeholder."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "exports.md").read_text()
    body = text.split(f"### `{section}`", 1)[1].split("\n### ", 1)[0]
    names: set[str] = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def test_every_exported_column_is_documented(exported: dict[str, Path]) -> None:
    def generic(columns: list[str]) -> set[str]:
        out = set()
        for col in columns:
            for c in CHANNELS:
                col = col.replace(f"{c}_", "<channel>_")
            out.add(col)
        return out

    d = exported["week"]
    for name in ("mmm_pymc.csv", "mmm_meridian.csv", "truth.csv"):
        columns = list(pd.read_csv(d / name, nrows=1).columns)
        assert generic(columns) == _documented(name), name
