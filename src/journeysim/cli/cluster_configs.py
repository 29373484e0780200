"""Config schemas of the Ray and SLURM batch launchers (`cli.cluster_batches`), registered with Hydra's store.

Registered (by the `hydra_plugins.journeysim_cluster_launchers` plugin) only where the matching extra is installed,
so without it the `ray_batch`, `ray_cluster_batch`, `slurm_batch` and `slurm_local_batch` presets fail to compose
exactly as the per-job `ray_*` and `slurm*` presets do. The SLURM schemas extend hydra-submitit-launcher's own,
so every sbatch setting it takes is taken here too.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from journeysim.study.batch import STACK

PLUGIN = "hydra_plugins.journeysim_cluster_launchers"


def installed(module: str) -> bool:
    """Whether `module` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@dataclass
class RaySettings:
    """`ray.init` and `ray.remote` keyword arguments, as hydra-ray-launcher takes them."""

    init: dict[str, Any] = field(default_factory=lambda: {"address": None})
    remote: dict[str, Any] = field(default_factory=dict)


@dataclass
class RayBatchConf:
    """One Ray task per batch of jobs."""

    _target_: str = f"{PLUGIN}.RayBatchLauncher"
    ray: RaySettings = field(default_factory=RaySettings)
    n_jobs: int = -1  # batches; -1: one per task slot (the cluster's CPUs / ray.remote.num_cpus)
    stack: int = STACK
    reports: bool = False
    comparison: bool = False


def _submitit_schemas() -> tuple[type, type]:
    """hydra-submitit-launcher's local and SLURM schemas with the batch launcher's settings added."""
    from hydra_plugins.hydra_submitit_launcher.config import LocalQueueConf, SlurmQueueConf

    @dataclass
    class LocalBatchConf(LocalQueueConf):  # type: ignore[misc]
        """One local subprocess (a submitit job) per batch of jobs."""

        _target_: str = f"{PLUGIN}.LocalBatchLauncher"
        n_jobs: int = -1  # batches; -1: one per CPU core
        stack: int = STACK
        reports: bool = False
        comparison: bool = False

    @dataclass
    class SlurmBatchConf(SlurmQueueConf):  # type: ignore[misc]
        """One SLURM job-array element per batch of jobs."""

        _target_: str = f"{PLUGIN}.SlurmBatchLauncher"
        n_jobs: int = -1  # batches; -1: array_parallelism
        stack: int = STACK
        reports: bool = False
        comparison: bool = False

    return LocalBatchConf, SlurmBatchConf


def register() -> None:
    """Store the schemas (`hydra/launcher` group) for the extras that are installed."""
    store = ConfigStore.instance()
    if installed("hydra_plugins.hydra_ray_launcher"):
        store.store(group="hydra/launcher", name="journeysim_ray_batch", node=RayBatchConf, provider="journeysim")
    if installed("hydra_plugins.hydra_submitit_launcher"):
        local, slurm = _submitit_schemas()
        store.store(group="hydra/launcher", name="journeysim_submitit_local_batch", node=local, provider="journeysim")
        store.store(group="hydra/launcher", name="journeysim_submitit_slurm_batch", node=slurm, provider="journeysim")
