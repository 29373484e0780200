"""`cli.jobs.JobConfigs`: a job derived from a checked one gets the resolved config resolving it gives; a view of a
job is the config `get` makes for it."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from journeysim.cli.jobs import JobConfigs
from journeysim.config import register_schemas, shipped_config_dir
from journeysim.config.validate import resolved_container, validated

register_schemas()


def _configs(base: list[str]) -> JobConfigs:
    master = compose("config", overrides=base, return_hydra_config=True)
    return JobConfigs(GlobalHydra.instance().config_loader(), master)


def test_derived_jobs_resolve_as_their_own_config_does() -> None:
    base = ["strategy=balanced", "sim.replications=1"]
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3"):
        configs = _configs(base)
        jobs = [[*base, f"strategy.budget={b}", "sim.seed=3"] for b in (0, 1500, 2.5e5)]
        jobs.append([*base, "strategy.budget=7", "sim.seed=4"])  # two values change
        first = configs.get(jobs[0])
        assert configs.resolved(jobs[0]) is None  # composed, not derived
        configs.checked[tuple(jobs[0])] = (None, validated(first, overrides=jobs[0])[1])
        for job in jobs[1:]:
            full = resolved_container(configs.get(job))
            fast = configs.resolved(job)
            assert fast is not None
            assert fast == full and repr(fast) == repr(full)  # the same values and types (1500 -> 1500.0)


def test_a_value_that_an_interpolation_reads_is_resolved_in_full() -> None:
    base = ["strategy=balanced"]
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3"):
        configs = _configs(base)
        jobs = [[*base, f"journey.name={n}"] for n in ("a", "b")]  # `name: ${journey.name}-${population.name}`
        configs.checked[tuple(jobs[0])] = (None, validated(configs.get(jobs[0]), overrides=jobs[0])[1])
        configs.get(jobs[1])
        assert configs.resolved(jobs[1]) is None
        same = [*base, "strategy.budget=5"], [*base, "strategy.budget=6"]  # the budget: no interpolation reads it
        configs.checked[tuple(same[0])] = (None, validated(configs.get(same[0]), overrides=same[0])[1])
        configs.get(same[1])
        assert configs.resolved(same[1]) is not None


def test_a_view_is_the_jobs_own_config_without_a_copy_per_job() -> None:
    """`view` sets one scratch copy per template to each job's values: the same config `get` makes, job after job,
    also where a later job goes back to the template's value at a position an earlier one changed."""
    base = ["strategy=balanced", "sim.replications=1"]
    budgets_seeds = [(0, 3), (1500, 3), (7, 4), (0, 3), (2.5e5, 3), (1500, 5)]
    jobs = [[*base, f"strategy.budget={b}", f"sim.seed={s}"] for b, s in budgets_seeds]
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3"):
        viewed, made = _configs(base), _configs(base)
        views = [OmegaConf.to_container(viewed.view(job), resolve=False) for job in jobs]
        owns = [OmegaConf.to_container(made.get(job), resolve=False) for job in jobs]
        assert views == owns
        assert [v["strategy"]["budget"] for v in views] == [0, 1500, 7, 0, 2.5e5, 1500]  # type: ignore[index]
        assert views[1]["hydra"]["overrides"]["task"] == jobs[1]  # type: ignore[index]
        assert viewed.composed == 1 and viewed.view(jobs[2]) is viewed.view(jobs[4])  # one scratch, reset per job
        assert viewed.resolved(jobs[4]) is None  # nothing checked yet: resolving is the caller's
        OmegaConf.set_readonly(viewed.view(jobs[1]).hydra, True)  # as Hydra's `run_job` leaves a config it ran
        assert OmegaConf.select(viewed.view(jobs[5]), "sim.seed") == 5
        assert list(viewed.view(jobs[5]).hydra.overrides.task) == jobs[5]


def test_a_value_the_config_refuses_is_composed_and_reported_as_hydra_does() -> None:
    base = ["strategy=balanced"]
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3"):
        configs = _configs(base)
        configs.view([*base, "sim.seed=1"])
        with pytest.raises(ConfigCompositionException):
            configs.view([*base, "sim.seed=abc"])
        assert OmegaConf.select(configs.view([*base, "sim.seed=2"]), "sim.seed") == 2  # the scratch is still good
