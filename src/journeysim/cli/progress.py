"""Rich progress bars for a run's phases, fed by the runner's `progress(done, total)` callback: what runs (the
phase, and within the baseline phase each variant), done of total, elapsed and remaining time, and in a sweep the
sweep's own progress and time left (`SweepClock`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class PhaseUpdate(Protocol):
    """`update(done, total)`, or `update(done, total, what)` naming what runs now."""

    def __call__(self, done: int, of: int, what: str | None = None) -> None: ...


@dataclass
class SweepClock:
    """The sweep this process runs one job after another: how many jobs, since when, how many finished."""

    jobs: int
    started: float = field(default_factory=time.monotonic)
    finished: int = 0

    def left(self, current: float = 0.0) -> float | None:
        """Seconds left at the mean pace so far, `current` the share of the running job done (None before any)."""
        done = self.finished + min(max(current, 0.0), 1.0)
        if done <= 0:
            return None
        return (time.monotonic() - self.started) / done * max(self.jobs - done, 0.0)

    def text(self, current: float = 0.0) -> str:
        """`sweep 2/6 jobs done, ~0:00:41 left` (the estimate once a job has made progress)."""
        left = self.left(current)
        eta = "" if left is None else f", ~{time.strftime('%H:%M:%S', time.gmtime(left))} left"
        return f"sweep {self.finished}/{self.jobs} jobs done{eta}"


@contextmanager
def replication_progress(
    total: int, label: str, console: Console | None = None, sweep: SweepClock | None = None
) -> Iterator[PhaseUpdate]:
    """Yield an `update(done, total[, what])` callback; the bar shows only on a terminal, for several steps or
    inside a sweep (where it also shows the sweep's jobs done and time left)."""
    console = console or Console(stderr=True)
    enabled = (total > 1 or sweep is not None) and console.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[sweep]}"),
        console=console,
        transient=True,
        disable=not enabled,
    ) as bar:
        task = bar.add_task(label, total=total, sweep=sweep.text() if sweep else "")

        def update(done: int, of: int, what: str | None = None) -> None:
            description = label if what is None else f"{label}: {what}"
            progress_text = "" if sweep is None else f"· {sweep.text(done / of if of else 0.0)}"
            bar.update(task, completed=done, total=of, description=description, sweep=progress_text, refresh=True)

        yield update
