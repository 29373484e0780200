"""Hydra discovers launchers in the `hydra_plugins` namespace: journeysim's batch launchers on Ray and SLURM
(`journeysim.cli.cluster_batches`), and their config schemas (`journeysim.cli.cluster_configs`)."""

from __future__ import annotations

from journeysim.cli.cluster_batches import (
    RayBatchLauncher as _Ray,
)
from journeysim.cli.cluster_batches import (
    SubmititLocalBatchLauncher as _Local,
)
from journeysim.cli.cluster_batches import (
    SubmititSlurmBatchLauncher as _Slurm,
)
from journeysim.cli.cluster_configs import register

__all__ = ["LocalBatchLauncher", "RayBatchLauncher", "SlurmBatchLauncher"]


class RayBatchLauncher(_Ray):
    """`hydra/launcher=ray_batch`, `ray_cluster_batch` (see `journeysim.cli.cluster_batches`)."""


class LocalBatchLauncher(_Local):
    """`hydra/launcher=slurm_local_batch`."""


class SlurmBatchLauncher(_Slurm):
    """`hydra/launcher=slurm_batch`."""


register()
