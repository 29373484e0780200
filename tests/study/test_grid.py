"""`run_grid`: variants of one scenario (dotted overrides or transforms) in one tidy table."""

from __future__ import annotations

import dataclasses

import pytest

from journeysim.config import load_scenario
from journeysim.errors import ConfigError
from journeysim.study.grid import apply, run_grid, value_at
from journeysim.study.run import run

BASE = ["population.scale=0.01", "sim=quick", "strategy=balanced"]


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASE)


def test_dotted_overrides_reach_fields_mappings_and_tuples(base) -> None:
    v = apply(base, {"sim.seed": 7, "strategy.plans.0.budget": 0.0, "journey.rates.awareness.interest": 0.5})
    assert v.settings.seed == 7 and v.strategy.plans[0].budget == 0.0
    assert v.journey.rates["awareness"]["interest"] == 0.5
    assert value_at(v, "settings.seed") == 7 and base.settings.seed != 7  # the base is untouched
    with pytest.raises(ConfigError, match="did you mean 'seed'"):
        apply(base, {"sim.sed": 1})
    with pytest.raises(ConfigError, match=r"sim\.replications"):
        apply(base, {"sim.replications": 0})  # the model's own checks run on the rebuilt dataclass


def test_the_grid_is_one_tidy_table(base) -> None:
    def two_reps(s):
        return dataclasses.replace(s, settings=dataclasses.replace(s.settings, replications=3))

    table = run_grid(base, [{}, {"sim.seed": 7}, two_reps])
    assert list(table.columns[:4]) == ["variant", "scenario", "sim.seed", "transform"]
    assert set(table["variant"]) == {0, 1, 2}
    purchases = table[table["metric"] == "purchases"].set_index("variant")
    assert purchases.loc[0, "mean"] == run(base).metrics["purchases"].mean  # variant 0 is the base
    assert purchases.loc[1, "sim.seed"] == 7 and purchases.loc[0, "sim.seed"] == base.settings.seed
    assert purchases.loc[2, "transform"] == "two_reps" and purchases.loc[2, "replications"] == 3
    assert "iroas" in set(table["metric"])  # the baseline's incrementality rows (the base spends)


def test_a_bad_variant_fails_before_anything_runs(base, monkeypatch) -> None:
    import journeysim.study.batch as batch

    monkeypatch.setattr(batch.pipeline, "run_study", lambda *a, **k: pytest.fail("ran before checking every variant"))
    with pytest.raises(ConfigError):
        run_grid(base, [{}, {"strategy.plans.9.budget": 1.0}])
