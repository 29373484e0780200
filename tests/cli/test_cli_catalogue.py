"""Every row of the bad-input catalogue (tests/cli/bad_inputs.py) through the installed console script, in parallel."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("bad_inputs", Path(__file__).with_name("bad_inputs.py"))
assert _spec is not None and _spec.loader is not None
bad_inputs = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bad_inputs", bad_inputs)
_spec.loader.exec_module(bad_inputs)


def _run(row) -> str | None:
    """Run one row in a fresh directory; None when it behaved, else what went wrong."""
    work = Path(tempfile.mkdtemp(prefix="js-bad-"))
    try:
        args = list(row.args)
        if row.files:
            conf = work / "conf"
            for name, text in row.files.items():
                (conf / name).parent.mkdir(parents=True, exist_ok=True)
                (conf / name).write_bytes(text.encode("utf-8", "surrogateescape"))
            args = ["--config-dir", str(conf), *args]
        run = work / "run"
        run.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
        proc = subprocess.run(
            [shutil.which("journeysim") or "journeysim", *args],
            cwd=run,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        text = proc.stdout + proc.stderr
        wrong = []
        if proc.returncode != 2:
            wrong.append(f"exit {proc.returncode}")
        if "Traceback" in text:
            wrong.append("traceback")
        if row.setting not in text:
            wrong.append(f"'{row.setting}' not named")
        if any(run.iterdir()):
            wrong.append(f"left {sorted(p.name for p in run.iterdir())}")
        return None if not wrong else f"{row.id}: {', '.join(wrong)}\n{text[-600:]}"
    except subprocess.TimeoutExpired:
        return f"{row.id}: hung (timeout)"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_the_catalogue_has_at_least_150_rows() -> None:
    assert len(bad_inputs.ROWS) >= 150
    assert len({r.id for r in bad_inputs.ROWS}) == len(bad_inputs.ROWS)


@pytest.mark.slow
def test_every_bad_input_exits_2_names_the_setting_and_leaves_nothing() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f for f in pool.map(_run, bad_inputs.ROWS) if f is not None]
    assert not failures, f"{len(failures)} of {len(bad_inputs.ROWS)} rows misbehaved:\n" + "\n".join(failures)
