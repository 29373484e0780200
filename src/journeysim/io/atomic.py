"""Atomic file writes: write a temporary file in the target directory, flush it to disk, then `os.replace`.

A reader (or a crash) never sees a half-written output file: either the old file, the new one, or none.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to fill a temporary sibling of `path`, then move it into place; returns `path`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | Path, data: Any) -> Path:
    """Write strict JSON (no NaN / Infinity) atomically, indented for people."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


_TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp$")


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def stale_temporaries(root: str | Path) -> list[Path]:
    """Temporary files of `atomic_write` under `root` left by a writer that was killed (its process is gone)."""
    out = []
    for path in Path(root).rglob(".*.tmp"):
        match = _TEMPORARY.match(path.name)
        if match and path.is_file() and not _alive(int(match.group(1))):
            out.append(path)
    return sorted(out)


def remove_stale_temporaries(root: str | Path) -> int:
    """Delete `stale_temporaries(root)`; returns how many were removed."""
    removed = 0
    for path in stale_temporaries(root):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
