"""Hydra discovers launchers in the `hydra_plugins` namespace: journeysim's batch launcher, registered here."""

from __future__ import annotations

from journeysim.cli.batch_launcher import JourneysimBatchLauncher

__all__ = ["BatchLauncher"]


class BatchLauncher(JourneysimBatchLauncher):
    """`hydra/launcher=batch` (see `journeysim.cli.batch_launcher`)."""
