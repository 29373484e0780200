"""Every shipped config composes, converts to a valid Scenario and runs tiny; schemas stay out of the choices."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml
from hydra.core.config_store import ConfigStore

from journeysim.config import (
    SCHEMAS,
    compose,
    load_scenario,
    resolved_container,
    scenario_from_container,
    shipped_config_dir,
)
from journeysim.errors import ConfigError
from journeysim.model import Journey
from journeysim.study.run import run

CONF = shipped_config_dir()
REPO_CONF = Path(__file__).resolve().parents[2] / "conf"


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


#: The repeat-buying presets go in pairs (journey=bgnbd population=bgnbd): their cohort starts in `active`, a stage
#: only their journeys have; tests/engine/test_engine_heterogeneity.py runs them.
BTYD = ("bgnbd", "paretonbd")
JOURNEYS = [o for o in options("journey") if o not in BTYD]
POPULATIONS = [o for o in options("population") if o not in BTYD]
TINY = ["population.scale=0.02", "sim.horizon_days=60", "sim.replications=2"]


def test_the_shipped_presets_are_the_ones_documented() -> None:
    assert CONF == REPO_CONF  # an editable install reads the repository's conf/
    assert JOURNEYS == ["buyer_to_customer", "customer_journey", "marketing_funnel", "sales_funnel_b2b"]
    assert POPULATIONS == ["b2b", "b2c", "mixed"]
    assert set(options("journey")) - set(JOURNEYS) == set(options("population")) - set(POPULATIONS) == set(BTYD)
    assert options("sim") == ["default", "quick"]
    assert set(options("experiment")) >= {"b2b_pipeline", "quick_check"}


@pytest.mark.parametrize(("journey", "population"), list(itertools.product(JOURNEYS, POPULATIONS)))
def test_every_journey_with_every_population_runs_tiny(journey: str, population: str) -> None:
    scenario = load_scenario([f"journey={journey}", f"population={population}", *TINY])
    assert scenario.journey.name == journey
    assert scenario.name == f"{journey}-{population}"
    result = run(scenario)
    purchases = result.metrics["purchases"]
    assert purchases.replications == 2 and purchases.mean > 0  # plausible rates: people do buy
    assert 0 < result.metrics["conversion_rate"].mean < 1


def _strategy_cases() -> list:
    return [
        pytest.param(strategy, wom, id=f"{strategy}-{wom}")
        for strategy, wom in itertools.product(options("strategy"), options("word_of_mouth"))
    ]


@pytest.fixture(scope="module")
def default_config() -> dict:
    return resolved_container(compose([]))


@pytest.mark.parametrize("group", ["strategy", "word_of_mouth", "channels"])
def test_every_intervention_preset_composes(group: str) -> None:
    for option in options(group):
        assert load_scenario([f"{group}={option}"]).name == "customer_journey-b2c"


@pytest.mark.parametrize(("strategy", "word_of_mouth"), _strategy_cases())
def test_every_strategy_with_every_word_of_mouth_preset_validates(
    strategy: str, word_of_mouth: str, default_config: dict
) -> None:
    # Hydra composition of each option is tested above; here the model checks every pairing (fast: no Hydra)
    data = dict(default_config)
    data["strategy"] = yaml.safe_load((CONF / "strategy" / f"{strategy}.yaml").read_text())
    data["word_of_mouth"] = yaml.safe_load((CONF / "word_of_mouth" / f"{word_of_mouth}.yaml").read_text())
    if strategy == "retention" and word_of_mouth == "none":
        # the retention preset pays a referral programme: without referrals that is a configuration error
        with pytest.raises(ConfigError, match=r"lifts referrals but word_of_mouth\.referrals is off"):
            scenario_from_container(data)
        return
    scenario = scenario_from_container(data)
    assert set(scenario.channels) == set(default_config["channels"])


@pytest.mark.parametrize("strategy", options("strategy"))
def test_every_strategy_runs_tiny(strategy: str) -> None:
    # a full year (flights are set in days of the year), a hundredth of the customers
    wom = "referrals" if strategy == "retention" else "none"
    result = run(
        load_scenario([f"strategy={strategy}", f"word_of_mouth={wom}", "population.scale=0.01", "sim.replications=2"])
    )
    spend = result.metrics["spend"].mean
    assert (spend == 0) == (strategy == "none")


@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_experiment_composes_and_runs_tiny(experiment: str) -> None:
    # experiments keep their flights (some end on day 180), so only the population and replications shrink
    scenario = load_scenario([f"+experiment={experiment}", "population.scale=0.01", "sim.replications=2"])
    assert scenario.name == experiment
    assert run(scenario).metrics["customers"].mean > 0


def test_experiments_set_what_they_promise() -> None:
    b2b = load_scenario(["+experiment=b2b_pipeline"])
    assert (b2b.journey.name, b2b.population.names) == ("sales_funnel_b2b", ("businesses",))
    assert (b2b.settings.horizon_days, b2b.settings.replications) == (730, 10)
    quick = load_scenario(["+experiment=quick_check", "journey=marketing_funnel"])
    assert quick.journey.name == "marketing_funnel"  # the journey stays the user's choice
    assert quick.settings.horizon_days == 90
    assert quick.population.segments[0].initial["awareness"] == 2000  # 0.1 x 20000


def test_sim_default_matches_the_documented_settings() -> None:
    s = load_scenario([]).settings
    assert (s.horizon_days, s.replications, s.seed, s.engine, s.event_log) == (365, 5, 42, "fast", False)
    assert s.discount_rate_annual == pytest.approx(0.1)


@pytest.mark.parametrize("journey", JOURNEYS)
def test_journey_files_are_plain_data_the_model_reads(journey: str) -> None:
    data = yaml.safe_load((CONF / "journey" / f"{journey}.yaml").read_text())
    assert Journey.from_dict(data).name == journey  # no Hydra keys (defaults, _target_) inside


def test_journeys_have_the_stages_the_domain_names() -> None:
    stages = {j: tuple(yaml.safe_load((CONF / "journey" / f"{j}.yaml").read_text())["stages"]) for j in JOURNEYS}
    assert stages["marketing_funnel"][:7] == (
        "awareness",
        "interest",
        "consideration",
        "intent",
        "conversion",
        "loyalty",
        "advocacy",
    )
    assert stages["sales_funnel_b2b"][:4] == ("awareness", "interest", "decision", "action")
    assert stages["buyer_to_customer"][:3] == ("awareness", "consideration", "decision")
    assert {"retention", "satisfaction", "loyalty", "advocacy"} <= set(stages["buyer_to_customer"])


def test_population_scale_multiplies_counts_and_arrivals() -> None:
    full = load_scenario(["population=mixed"]).population.segments
    tenth = load_scenario(["population=mixed", "population.scale=0.1"]).population.segments
    for a, b in zip(full, tenth, strict=True):
        assert b.arrivals_per_day == pytest.approx(0.1 * a.arrivals_per_day)
        assert all(b.initial[s] == round(0.1 * n) for s, n in a.initial.items())


def test_schemas_are_registered_but_are_not_group_options() -> None:
    repo = ConfigStore.instance().repo
    for name in SCHEMAS:
        assert f"{name}.yaml" in repo
    for group in ("journey", "population", "sim", "experiment"):
        assert not [o for o in options(group) if "schema" in o]


def test_the_schema_types_overrides() -> None:
    cfg = compose(["sim.horizon_days=30", "journey.rates.awareness.interest=0.2"])
    assert cfg.sim.horizon_days == 30 and isinstance(cfg.journey.rates.awareness.interest, float)


def test_default_run_size_is_a_few_hundred_thousand_customers() -> None:
    # keeps `journeysim` alone at a second or two on a laptop
    pop = load_scenario([]).population.segments
    expected = sum(sum(s.initial.values()) + float(np.sum(s.intensity(365))) for s in pop)
    assert 1e5 < expected < 5e5
