"""Resume: a sweep killed mid-job is finished by `journeysim resume DIR`, which runs only the missing jobs.

The kill is real (SIGKILL of the sweep's process while a job runs). Afterwards no file a later read trusts is corrupt:
the killed job has no status.json (collect lists it as incomplete), completed jobs keep their files byte for byte and
untouched, and the resumed sweep's results equal those of a sweep that was never interrupted.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SWEEP = ["-m", "sim.seed=5,6,7", "sim=quick", "population.scale=0.2", "baseline=null"]


def _files(job: Path) -> dict[str, tuple[int, bytes]]:
    """Every output file of a job (Hydra's records and the log aside): modification time and content."""
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes())
        for p in job.iterdir()
        if p.is_file() and p.name not in ("journeysim.log",)
    }


def _results(sweep: Path) -> list[tuple[str, bytes]]:
    return [
        (
            json.loads((sweep / str(n) / "status.json").read_text())["status"],
            (sweep / str(n) / "funnel.csv").read_bytes(),
        )
        for n in range(3)
    ] + [(str(n), (sweep / str(n) / "metrics.json").read_bytes()) for n in range(3)]


def test_a_killed_sweep_resumes_only_its_missing_jobs(journeysim, tmp_path: Path) -> None:
    whole = journeysim.start([*SWEEP, "hydra.sweep.dir=whole"], cwd=tmp_path)  # the reference: never interrupted
    victim = journeysim.start([*SWEEP, "hydra.sweep.dir=killed"], cwd=tmp_path)
    killed = tmp_path / "killed"
    deadline = time.monotonic() + 300
    while not (killed / "1" / ".hydra" / "hydra.yaml").is_file():  # job 0 is done and job 1 has started
        assert victim.poll() is None and time.monotonic() < deadline, "the sweep ended before it could be killed"
        time.sleep(0.01)
    victim.kill()  # SIGKILL: no handler runs, nothing is cleaned up
    victim.wait()
    assert journeysim.wait(whole).code == 0

    assert (killed / "0" / "status.json").is_file()
    statuses = [json.loads(p.read_text())["status"] for p in sorted(killed.glob("*/status.json"))]
    assert len(statuses) < 3 and set(statuses) == {"ok"}  # not every job finished; what finished is complete
    collected = journeysim.run(["collect", "killed"], cwd=tmp_path)
    assert collected.code == 0, collected.err
    assert "not started" in collected.out or "incomplete" in collected.out
    before = _files(killed / "0")

    resumed = journeysim.run(["resume", "killed"], cwd=tmp_path)
    assert resumed.code == 0, resumed.err
    assert "resuming killed: 1 of 3 jobs completed before and are kept; 2 to run" in resumed.err
    assert _files(killed / "0") == before  # the completed job was neither rerun nor rewritten
    assert _results(killed) == _results(tmp_path / "whole")  # and the sweep is as if never interrupted

    again = journeysim.run(["resume", "killed"], cwd=tmp_path)  # nothing left to do: every job is kept
    assert again.code == 0 and "3 of 3 jobs completed before and are kept; 0 to run" in again.err


def test_a_sweep_never_overwrites_completed_results_of_other_jobs(journeysim, tmp_path: Path) -> None:
    first = journeysim.run([*SWEEP[:2], "sim=quick", "population.scale=0.05", "hydra.sweep.dir=s"], cwd=tmp_path)
    assert first.code == 0, first.err
    before = {n: _files(tmp_path / "s" / str(n)) for n in range(3)}
    other = journeysim.run(["-m", "sim.seed=5,8", "sim=quick", "population.scale=0.05", "hydra.sweep.dir=s"], tmp_path)
    assert other.code == 2
    assert "hydra.sweep.dir: s/1 holds the completed result of another run" in other.err
    assert "no job was started" in other.err and "Traceback" not in other.err
    assert {n: _files(tmp_path / "s" / str(n)) for n in range(3)} == before
    single = journeysim.run(["sim=quick", "population.scale=0.05", "hydra.run.dir=s/2"], tmp_path)
    assert single.code == 2 and "hydra.run.dir: s/2 holds the completed result of another run" in single.err
    assert _files(tmp_path / "s" / "2") == before[2]


def test_resume_refuses_a_directory_that_is_not_a_sweep(journeysim, tmp_path: Path) -> None:
    res = journeysim.run(["resume", "nowhere"], cwd=tmp_path)
    assert res.code == 2 and "holds no multirun.yaml" in res.err and "Traceback" not in res.err


def _wait_for(path: Path, proc, what: str) -> None:
    deadline = time.monotonic() + 300
    while not path.is_file():
        assert proc.poll() is None and time.monotonic() < deadline, f"{what} ended before it could be killed"
        time.sleep(0.01)


LAUNCHERS = [
    pytest.param([], id="basic"),
    pytest.param(
        ["hydra/launcher=ray_local"],
        id="ray_local",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None,
            reason="the ray extra (hydra-ray-launcher) is not installed",
        ),
    ),
]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_a_killed_resume_resumes_again(journeysim, tmp_path: Path, launcher: list[str]) -> None:
    sweep = [*SWEEP[:1], "sim.seed=5,6,7,8", *SWEEP[2:], *launcher]
    whole = journeysim.start([*sweep, "hydra.sweep.dir=whole"], cwd=tmp_path)
    killed = tmp_path / "killed"
    victim = journeysim.start([*sweep, "hydra.sweep.dir=killed"], cwd=tmp_path)
    _wait_for(killed / "0" / "status.json", victim, "the sweep")
    victim.kill()
    victim.wait()
    resuming = journeysim.start(["resume", "killed"], cwd=tmp_path)
    done_before = len(list(killed.glob("*/status.json")))
    deadline = time.monotonic() + 300
    while len(list(killed.glob("*/status.json"))) <= done_before:  # resume finished one more job: kill it now
        assert resuming.poll() is None and time.monotonic() < deadline, "resume ended before it could be killed"
        time.sleep(0.01)
    resuming.kill()  # SIGKILL of resume itself
    resuming.wait()
    assert journeysim.wait(whole).code == 0
    final = journeysim.run(["resume", "killed"], cwd=tmp_path)
    assert final.code == 0, final.err
    for n in range(4):
        assert json.loads((killed / str(n) / "status.json").read_text())["status"] == "ok"
        assert (killed / str(n) / "metrics.json").read_bytes() == (
            tmp_path / "whole" / str(n) / "metrics.json"
        ).read_bytes()
        assert (killed / str(n) / "funnel.csv").read_bytes() == (
            tmp_path / "whole" / str(n) / "funnel.csv"
        ).read_bytes()
    assert not list(killed.rglob(".*.tmp"))
