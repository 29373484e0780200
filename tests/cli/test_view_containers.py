"""`cli.view_containers.ViewContainers`: each view's container is the full conversion's, value for value and type
for type, and the shortcut turns itself off where a view differs outside the leaves it reads."""

from __future__ import annotations

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

from journeysim.cli.jobs import JobConfigs
from journeysim.cli.view_containers import ViewContainers, full_container
from journeysim.config import register_schemas, shipped_config_dir

register_schemas()
BASE = ["strategy=balanced", "sim.replications=1"]


def _jobs(configs: JobConfigs) -> list[list[str]]:
    jobs = [[*BASE, f"strategy.budget={b}", f"sim.seed={s}"] for b, s in ((0, 1), (1500, 1), (7, 2), (2.5e5, 3))]
    configs.get(jobs[0])  # the template
    return jobs


def test_each_views_container_is_its_full_conversion() -> None:
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3"):
        master = compose("config", overrides=BASE, return_hydra_config=True)
        configs = JobConfigs(GlobalHydra.instance().config_loader(), master)
        containers = ViewContainers()
        for num, job in enumerate(_jobs(configs)[1:]):
            view = configs.view(job)
            with open_dict(view.hydra):
                view.hydra.job.num = view.hydra.job.id = num
            got, full = containers.of(view, job), full_container(view)
            assert got == full and repr(got) == repr(full)  # 1500 -> 1500.0 as the float node holds it
        assert not containers._off  # the shortcut held throughout


def test_a_view_that_differs_elsewhere_turns_the_shortcut_off() -> None:
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3"):
        master = compose("config", overrides=BASE, return_hydra_config=True)
        configs = JobConfigs(GlobalHydra.instance().config_loader(), master)
        containers = ViewContainers()
        jobs = _jobs(configs)
        containers.of(configs.view(jobs[1]), jobs[1])
        view = configs.view(jobs[2])
        view.sim.horizon_days = 99  # set by no override: the copied first container would miss it
        got = containers.of(view, jobs[2])
        assert got["sim"]["horizon_days"] == 99 and repr(got) == repr(full_container(view))
        assert containers._off
