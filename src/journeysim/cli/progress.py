"""A rich progress bar over replications, fed by the runner's `progress(done, total)` callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def replication_progress(
    total: int, label: str, console: Console | None = None
) -> Iterator[Callable[[int, int], None]]:
    """Yield a `progress(done, total)` callback; the bar shows only on a terminal and for several replications."""
    console = console or Console(stderr=True)
    enabled = total > 1 and console.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not enabled,
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, of: int) -> None:
            bar.update(task, completed=done, total=of)

        yield update
