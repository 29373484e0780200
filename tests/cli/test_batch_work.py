"""`cli.batch_job.run_lean` on a reused view (`keep`): the task sees the job's config without `hydra` and the job's
Hydra config; afterwards the view is whole again (same keys in the same order, same values, same flags)."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.callbacks import Callbacks
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf

from journeysim.cli.batch_job import JobRecords, run_lean
from journeysim.cli.jobs import JobConfigs, numbered
from journeysim.config import register_schemas, shipped_config_dir

register_schemas()


def test_a_kept_view_is_whole_again_after_its_lean_run(tmp_path: Path) -> None:
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3"):
        master = compose("config", overrides=[f"hydra.sweep.dir={tmp_path}"], return_hydra_config=True)
        configs = JobConfigs(GlobalHydra.instance().config_loader(), master)
        configs.get(["strategy.budget=1"])
        view = numbered(configs.view(["strategy.budget=2"]), 7)
        keys, flag = list(view), view.hydra._get_node_flag("readonly")
        seen: dict[str, object] = {}

        def task(cfg: DictConfig) -> float:
            seen["keys"], seen["budget"] = list(cfg), cfg.strategy.budget
            seen["task"], seen["num"] = list(HydraConfig.get().overrides.task), HydraConfig.get().job.num
            return 1.0

        context = HydraContext(config_loader=GlobalHydra.instance().config_loader(), callbacks=Callbacks())
        ret = run_lean(context, task, view, JobRecords("config\n", "hydra\n", "overrides\n"), keep=True)
        after = OmegaConf.to_container(view, resolve=False)
        assert ret.return_value == 1.0
        assert "hydra" not in seen["keys"] and seen["budget"] == 2 and seen["num"] == 7  # type: ignore[operator]
        assert seen["task"] == ["strategy.budget=2"]
        assert list(view) == keys and keys[0] == "hydra"  # back in its place, not appended
        assert view.hydra._get_node_flag("readonly") == flag
        assert after["hydra"]["runtime"]["output_dir"] == str(tmp_path / "7")  # type: ignore[index]
        assert (tmp_path / "7" / ".hydra" / "hydra.yaml").read_text() == "hydra\n"
        again = configs.view(["strategy.budget=3"])  # the view takes the next job's values
        assert (
            again is view and again.strategy.budget == 3 and list(again.hydra.overrides.task) == ["strategy.budget=3"]
        )
