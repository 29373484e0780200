"""Validation of composed configs: unknown keys, missing values, types, model errors, sweeps, user config dirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf, open_dict

from journeysim.config import InvalidConfig, compose, load_scenario, sweep_jobs, validate
from journeysim.config.compose import BASIC_SWEEPER
from journeysim.config.scaling import scaled_population
from journeysim.config.validate import missing_values, type_problems, unknown_keys
from journeysim.errors import ConfigError


def problems_of(overrides: list[str], **kw) -> list[str]:
    with pytest.raises(InvalidConfig) as info:
        load_scenario(overrides, **kw)
    return [str(p) for p in info.value.problems]


def test_force_added_unknown_keys_get_a_did_you_mean() -> None:
    (p,) = problems_of(["+sim.horizn=5"])
    assert p.startswith("sim.horizn: unknown setting 'horizn' (did you mean 'horizon_days'?)")
    assert "remove the override '+sim.horizn=5', or set sim.horizon_days=<value>" in p


def test_unknown_keys_are_found_in_segments_and_order_values_too() -> None:
    found = problems_of(
        ["+population.segments.consumers.arrival_per_day=3", "+population.segments.consumers.order_value.margn=0.1"]
    )
    assert any("arrival_per_day" in p and "arrivals_per_day" in p for p in found)
    assert any("order_value.margn" in p and "'margin'" in p for p in found)


def test_unknown_keys_in_plain_mappings() -> None:
    data = {"name": "x", "sim": {"sed": 1}, "journey": {"rates": {"a": {"b": 1.0}}}, "hydra": {"anything": 1}}
    found = unknown_keys(data)
    assert [p.setting for p in found] == ["sim.sed"]  # rates keys are free; the hydra node is not ours
    assert "did you mean 'seed'" in found[0].problem


def test_every_missing_value_at_once(tmp_path: Path) -> None:
    (tmp_path / "journey").mkdir()
    (tmp_path / "journey" / "draft.yaml").write_text(
        "name: draft\nstages: [seen, bought, gone]\nentry: seen\nconversion: [bought]\nterminal: [gone]\n"
        "rates:\n  seen:\n    bought: ???\n    gone: 0.1\n  bought:\n    gone: ???\n"
    )
    found = problems_of(["journey=draft", "sim.seed=???"], config_dir=tmp_path)
    assert found == [
        "journey.rates.bought.gone: is missing (???)\n    fix: set it, e.g. journey.rates.bought.gone=<value>",
        "journey.rates.seen.bought: is missing (???)\n    fix: set it, e.g. journey.rates.seen.bought=<value>",
        "sim.seed: is missing (???)\n    fix: set it, e.g. sim.seed=<value>",
    ]


def test_a_group_with_nothing_chosen_is_one_problem_naming_the_options() -> None:
    cfg = compose(["~journey"])
    (p,) = missing_values(cfg, {"journey": ["customer_journey", "marketing_funnel"]})
    assert (p.setting, p.problem) == ("journey", "no journey is chosen")
    assert p.fix == "add journey=customer_journey (options: customer_journey, marketing_funnel)"


def test_model_errors_name_the_setting_and_the_fix() -> None:
    (p,) = problems_of(["journey.entry=purchase_typo"])
    assert p.startswith("journey.entry: unknown stage 'purchase_typo'")
    assert "fix: use one of the journey's stages" in p


def test_values_hidden_in_nested_mappings_are_type_checked() -> None:
    assert [str(p) for p in type_problems({"journey": {"rates": {"a": {"b": "fast"}}}})] == [
        "journey.rates.a.b: 'fast' is not a number\n    fix: give journey.rates.a.b a number"
    ]
    assert type_problems({"journey": {"rates": {"a": {"b": 1, "c": "0.5"}}}}) == []  # ints and numeric text are fine
    assert [p.setting for p in type_problems({"population": {"segments": {"x": {"initial": {"a": True}}}}})] == [
        "population.segments.x.initial.a"
    ]


def test_hydra_composition_errors_become_invalid_config() -> None:
    (p,) = problems_of(["journey=nope"])
    assert "Could not find 'journey/nope'" in p


def test_config_dir_must_exist(tmp_path: Path) -> None:
    (p,) = problems_of([], config_dir=tmp_path / "missing")
    assert "does not exist" in p


def test_user_config_dir_adds_options_and_a_personal_primary_config(tmp_path: Path) -> None:
    (tmp_path / "journey").mkdir()
    (tmp_path / "journey" / "tiny.yaml").write_text(
        "name: tiny\nstages: [seen, bought, gone]\nentry: seen\nconversion: [bought]\nterminal: [gone]\n"
        "rates:\n  seen: {bought: 0.1, gone: 0.1}\n  bought: {gone: 1.0}\n"
    )
    (tmp_path / "population").mkdir()
    (tmp_path / "population" / "few.yaml").write_text("name: few\nsegments:\n  people:\n    initial: {seen: 10}\n")
    (tmp_path / "my_study.yaml").write_text(
        "defaults:\n  - config\n  - override journey: tiny\n  - override population: few\n  - _self_\n"
        "name: my_study\nsim:\n  replications: 2\n"
    )
    s = load_scenario(["journey=tiny", "population=few"], config_dir=tmp_path)
    assert (s.journey.name, s.population.names) == ("tiny", ("people",))
    mine = load_scenario([], config_dir=tmp_path, config_name="my_study")
    assert (mine.name, mine.journey.name, mine.settings.replications, mine.settings.seed) == ("my_study", "tiny", 2, 42)


def test_validate_ignores_the_hydra_node_and_its_sweep_interpolations() -> None:
    cfg = compose([])
    with open_dict(cfg):
        cfg.hydra = {"sweep": {"subdir": "${hydra.job.num}"}}  # unresolvable outside a sweep
    assert validate(cfg).name == "customer_journey-b2c"


def test_scale_must_be_positive() -> None:
    with pytest.raises(ConfigError, match=r"population\.scale"):
        scaled_population({"scale": -1, "segments": {}})
    assert scaled_population({"scale": 1.0, "segments": {"a": {"initial": {"x": 3}}}}) == {
        "segments": {"a": {"initial": {"x": 3}}}
    }


def test_sweep_jobs_expand_like_the_basic_sweeper() -> None:
    cfg = OmegaConf.create(
        {
            "hydra": {
                "sweeper": {"_target_": BASIC_SWEEPER, "params": {"sim.seed": "1,2"}},
                "overrides": {"task": ["population=b2c,b2b", "sim=quick"]},
            }
        }
    )
    assert sweep_jobs(cfg) == [
        ["sim.seed=1", "population=b2c", "sim=quick"],
        ["sim.seed=1", "population=b2b", "sim=quick"],
        ["sim.seed=2", "population=b2c", "sim=quick"],
        ["sim.seed=2", "population=b2b", "sim=quick"],
    ]
    other = OmegaConf.create({"hydra": {"sweeper": {"_target_": "some.OtherSweeper"}, "overrides": {"task": []}}})
    assert sweep_jobs(other) is None
