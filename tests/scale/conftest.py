"""Fixtures for the scale-out tests: run journeysim in fresh interpreters and read a sweep's job results.

Sweeps run as subprocesses of this interpreter (`python -c "... journeysim.cli.app.main()"`), so they see the
same installed plugins as the test and Hydra's global state never leaks between tests.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Outcome:
    """Exit status and captured output of one journeysim invocation."""

    code: int
    out: str
    err: str


class Cli:
    """The console script in fresh interpreters: `start` several invocations, then `wait` for each.

    Invocations started together run concurrently (most of a small sweep's time is interpreter start-up, Ray's
    start-up and submitit's polling), which keeps these tests short on two cores.
    """

    def start(
        self, args: list[str], cwd: Path, env: dict[str, str] | None = None, prelude: str = "", postlude: str = ""
    ) -> subprocess.Popen[str]:
        """Start `journeysim ARGS` in `cwd`. `prelude` is Python run before the CLI (e.g. to change what jobs
        return), `postlude` after it returns (e.g. to ask the still-running Ray instance about itself)."""
        code = f"{prelude}\nimport sys\nfrom journeysim.cli.app import main\nmain(sys.argv[1:])\n{postlude}\n"
        base = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "RAY_ADDRESS")}
        return subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=cwd,
            env={**base, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self, proc: subprocess.Popen[str]) -> Outcome:
        """Wait for a started invocation (10 minutes at most) and return its exit status and output."""
        try:
            out, err = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        return Outcome(proc.returncode, out, err)

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str] | None = None, prelude: str = "", postlude: str = ""
    ) -> Outcome:
        """Start and wait."""
        return self.wait(self.start(args, cwd, env, prelude, postlude))


@pytest.fixture(scope="session")
def journeysim() -> Cli:
    """Run the console script in fresh interpreters of this Python (so with the plugins the tests see)."""
    return Cli()


@pytest.fixture(scope="module")
def tiny_sweep() -> list[str]:
    """Two small jobs with fixed seeds: a hundredth of the customers, one quarter, no spend and with spend."""
    return ["population.scale=0.01", "sim=quick", "sim.seed=11", "strategy=none,balanced", "baseline=null"]


@pytest.fixture(scope="module")
def job_results() -> Callable[[Path], list[dict[str, object]]]:
    """Per job of a sweep directory, in job order: status, metrics.json and funnel.csv (bytes)."""

    def read(sweep: Path) -> list[dict[str, object]]:
        jobs = sorted((p for p in sweep.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
        return [
            {
                "status": json.loads((job / "status.json").read_text())["status"],
                "metrics": json.loads((job / "metrics.json").read_text()),
                "funnel": (job / "funnel.csv").read_bytes(),
            }
            for job in jobs
        ]

    return read


#: Keeps a test's Ray instance on 127.0.0.1 (Ray's node IP is then the loopback address and its servers bind
#: to it), sends no usage statistics, and uses token authentication with a throwaway token (no ~/.ray/auth_token).
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}


@pytest.fixture
def ray_head() -> Iterator[tuple[str, dict[str, str]]]:
    """A one-node Ray cluster on 127.0.0.1 (`ray start --head`, token authentication): (address, driver env).

    Started in its own process group and stopped by signalling that group only, so nothing else is touched.
    """
    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
        pytest.skip("the ray extra is not installed (pip install -e '.[ray]'); CI installs it")
    # Ray's session files under a short path (its socket paths must stay < 108 bytes)
    temp = tempfile.mkdtemp(prefix="jsrayh", dir="/tmp" if os.path.isdir("/tmp") else None)
    env = {**os.environ, **RAY_ENV, "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    env.pop("RAY_ADDRESS", None)
    port = 30000 + secrets.randbelow(20000)
    log = Path(temp) / "head.log"
    ray = Path(sys.executable).with_name("ray")
    argv = [str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}"]
    argv += ["--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"]
    with log.open("w") as out:
        head = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        yield f"127.0.0.1:{port}", {k: env[k] for k in (*RAY_ENV, "RAY_AUTH_TOKEN")}
    finally:  # signal the head's process group only: `ray start` and the processes it started
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGINT)  # as Ctrl-C: all of them stop within seconds
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # whatever of the group did not stop in time
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def sbatch_stand_in(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A stand-in `sbatch` (and `srun`, which submitit only checks exists) first on PATH: it copies the script it
    is given to a file and refuses the submission. (the env to run journeysim with, that file)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    captured = tmp_path / "submitted.sh"
    for name, text in (
        ("srun", "#!/bin/sh\nexit 1\n"),
        ("sbatch", f'#!/bin/sh\ncp "$1" "{captured}"\necho "sbatch: test stand-in" >&2\nexit 1\n'),
    ):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, captured
