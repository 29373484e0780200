"""`run_many`: a budget grid in stacked passes gives every variant exactly what `run_study` gives it alone."""

from __future__ import annotations

import pandas as pd
import pytest

import journeysim as js
from journeysim.errors import ConfigError
from journeysim.study import batch
from journeysim.study.batch import VariantProblems, run_many, total_budget
from journeysim.study.pipeline import run_study


@pytest.fixture(scope="module")
def base():
    return js.load_scenario(["strategy=balanced", "sim.replications=2", "population.scale=0.03"])


def _same_study(a, b) -> None:
    assert repr(a.metrics) == repr(b.metrics)  # repr: NaN (an undefined CI) equals itself, floats exactly
    pd.testing.assert_frame_equal(a.run.funnel, b.run.funnel, check_exact=True)
    pd.testing.assert_frame_equal(a.run.timeseries, b.run.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(a.run.samples, b.run.samples, check_exact=True)
    assert (a.incrementality is None) == (b.incrementality is None)
    if a.incrementality is not None:
        assert repr(a.incrementality.metrics) == repr(b.incrementality.metrics)


def test_every_variant_is_byte_identical_to_running_it_alone(base) -> None:
    variants = [total_budget(b) for b in (0, 500, 2_000, 9_000)] + [{"sim.seed": 11}, {}]
    got = run_many(base, variants, stack=3)
    for variant, study in zip(variants, got.studies, strict=True):
        _same_study(study, run_study(batch.apply(base, variant), "auto", bottlenecks=False))
    spend = got.table[got.table["metric"] == "spend"].set_index("variant")["mean"]
    assert spend.loc[0] == 0 and spend.loc[1] < spend.loc[2] < spend.loc[3]  # the budgets really differ
    assert "iroas" in set(got.table["metric"])


def test_the_shared_baseline_is_simulated_once(base, monkeypatch) -> None:
    calls: list[int] = []
    real = batch.simulate_many
    monkeypatch.setattr(
        batch, "simulate_many", lambda sc, seed, stack, r=0: calls.append(len(sc)) or real(sc, seed, stack, r)
    )
    run_many(base, [total_budget(b) for b in (1_000, 2_000, 3_000)])
    assert calls[:2] == [1, 1]  # the no-spend baseline: one scenario, once per replication (2)
    assert calls[2:] == [3, 3]  # then the three variants together, per replication


def test_workers_give_the_same_table(base) -> None:
    variants = [total_budget(b) for b in (1_000, 4_000, 8_000)]
    pd.testing.assert_frame_equal(run_many(base, variants).table, run_many(base, variants, workers=2).table)


def test_bad_variants_fail_before_anything_runs_each_named(base, monkeypatch) -> None:
    monkeypatch.setattr(batch, "simulate_many", lambda *a, **k: pytest.fail("ran before checking every variant"))
    with pytest.raises(ConfigError, match=r"variants\[1\]\.strategy\.plans\.9"):
        run_many(base, [{}, {"strategy.plans.9.budget": 1.0}])
    with pytest.raises(VariantProblems) as info:
        run_many(base, [{"strategy.plans.9.budget": 1.0}, {}, {"sim.sed": 3}])
    assert [p.setting.split(".")[0] for p in info.value.problems] == ["variants[0]", "variants[2]"]
    assert len(str(info.value).splitlines()) == 2


def test_optimiser_candidates_in_a_batch_equal_each_simulated_alone(base) -> None:
    import numpy as np

    from journeysim.study.optimize import evaluate
    from journeysim.study.run import replication_seeds, simulate

    channels = [p.channel for p in base.strategy.plans]
    cands = [evaluate.with_budgets(base, channels, np.full(len(channels), b), f"c{b}") for b in (0.0, 5e3, 5e4)]
    cands.append(evaluate.counterfactual(base, channels))
    got = evaluate.simulate_plans(base, cands)
    alone = [
        {"candidate": k, "replication": r, **evaluate._row(simulate(sc, seed))}
        for k, sc in enumerate(cands)
        for r, seed in enumerate(replication_seeds(base))
    ]
    want = pd.DataFrame(alone, columns=["candidate", "replication", *evaluate.OUTCOMES])
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["spend"].iloc[0] == 0 and got["spend"].iloc[2] < got["spend"].iloc[4]  # budgets really differ
