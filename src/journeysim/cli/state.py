"""What the console script knows across Hydra's call stack: the dry-run request and whether user code started.

Hydra exits with status 1 both when composing the config fails (bad input) and when a job fails; journeysim
reports bad input with status 2, so it records when validation passed and a job was allowed to start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from journeysim.cli.progress import SweepClock

#: Exit status for bad input (invalid config, overrides or command line); nothing was run or written.
EXIT_BAD_INPUT = 2


@dataclass
class CliState:
    """Per-process flags set by `main()`, the validation callback and the task function."""

    check_only: bool = False  # `journeysim check ...`: validate and print, never simulate
    check_full: bool = False  # `journeysim check --full ...`: also print the resolved config
    started: bool = False  # validation passed and a job (or the dry-run report) began
    sweep_problem: str | None = None  # set at the end of a sweep when jobs failed: the console script exits 1
    sweep_jobs: int | None = None  # jobs in this process's sweep (known where the sweep was checked), for progress
    sweep_clock: SweepClock | None = None  # started with the sweep's first job in this process: time left
    job_configs: Any = None  # the sweep's `cli.jobs.JobConfigs` (validation made them; the batch launcher reuses)
    prepared: dict[int, Any] = field(default_factory=dict)  # batch launcher: job number -> its simulated study
    batch_reports: bool | None = None  # batch launcher: per-job report.html only when asked (None: not a batch)


STATE = CliState()
