"""The Ray and SLURM batch presets run real sweeps: each worker receives a batch, and every job's files, status,
the sweep table, failures and resume are the same as with the local batch launcher (`hydra/launcher=batch`).

One four-job budget sweep, two batches: the local batch launcher (the reference), `ray_batch` on a local Ray
instance bound to 127.0.0.1 and `slurm_local_batch` (submitit's local executor, the SLURM batch preset's code
path), all started at once. In the Ray and submitit sweeps job 1 fails on purpose (`JOURNEYSIM_FAIL_JOB`);
`journeysim resume` then finishes them. Nothing leaves the machine.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SWEEP = [
    "strategy=balanced",
    "sim=quick",
    "population.scale=0.01",
    "sim.seed=11",
    "strategy.budget=0,5000,20000,60000",
]
JOBS = 4

#: Launcher -> (overrides, plugin module it needs, extra that installs it).
CLUSTER = {
    "ray_batch": (
        ["hydra/launcher=ray_batch", "hydra.launcher.ray.init.num_cpus=2"],
        "hydra_plugins.hydra_ray_launcher",
        "ray",
    ),
    "slurm_local_batch": (
        ["hydra/launcher=slurm_local_batch", "hydra.launcher.n_jobs=2"],
        "hydra_plugins.hydra_submitit_launcher",
        "slurm",
    ),
}

#: Ray on 127.0.0.1 only, no usage statistics, a throwaway auth token (as in tests/scale/test_launchers.py).
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}

#: Counts the Ray tasks the driver submits and prints the count at exit (a sweep with a failed job exits 1).
RAY_COUNT = (
    "import atexit\nimport ray.remote_function as _rf\n_tasks = []\n_submit = _rf.RemoteFunction._remote\n"
    "def _counted(self, *a, **k):\n    _tasks.append(self._function_name)\n    return _submit(self, *a, **k)\n"
    "_rf.RemoteFunction._remote = _counted\n"
    "atexit.register(lambda: print('RAY_TASKS', len(_tasks), sorted(set(_tasks)), flush=True))\n"
)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _needs(launcher: str) -> pytest.MarkDecorator:
    """Skip (before any sweep runs) where the launcher's extra is missing."""
    _, module, extra = CLUSTER[launcher]
    reason = f"the {extra} extra is not installed (pip install -e '.[{extra}]'); CI installs it"
    return pytest.mark.skipif(not _installed(module), reason=reason)


LAUNCHERS = [pytest.param(name, marks=_needs(name), id=name) for name in CLUSTER]


@pytest.fixture(scope="module")
def ray_temp():
    """Ray's session files under a short path (its socket paths must stay < 108 bytes); removed afterwards."""
    temp = tempfile.mkdtemp(prefix="jsrayb", dir="/tmp")
    yield temp
    shutil.rmtree(temp, ignore_errors=True)


def _before_resume(sweep: Path) -> dict[str, object]:
    """What a sweep left before its resume: each job's status, the failed jobs, job 0's metrics.json time stamp."""
    failures = list(csv.DictReader(io.StringIO((sweep / "failures.csv").read_text())))
    return {
        "statuses": [json.loads((sweep / str(j) / "status.json").read_text())["status"] for j in range(JOBS)],
        "failed": [row["job"] for row in failures],
        "job0": (sweep / "0" / "metrics.json").stat().st_mtime_ns,
    }


def _env(launcher: str, token: str, fail: bool) -> dict[str, str]:
    env = {**RAY_ENV, "RAY_AUTH_TOKEN": token} if launcher == "ray_batch" else {}
    return {**env, "JOURNEYSIM_FAIL_JOB": "1"} if fail else env


@pytest.fixture(scope="module")
def runs(journeysim, ray_temp, tmp_path_factory):
    """Every sweep, then the resumes: name -> (first outcome, sweep dir, resume outcome, what was there before)."""
    where = tmp_path_factory.mktemp("cluster_batches")
    token = secrets.token_hex(16)
    started = {"batch": journeysim.start(["-m", *SWEEP, "hydra/launcher=batch", "hydra.sweep.dir=batch"], cwd=where)}
    for name, (overrides, module, _) in CLUSTER.items():
        if not _installed(module):
            continue
        extra, prelude = [], ""
        if name == "ray_batch":
            extra, prelude = [f"+hydra.launcher.ray.init._temp_dir={ray_temp}"], RAY_COUNT
        args = ["-m", *SWEEP, *overrides, *extra, f"hydra.sweep.dir={name}"]
        started[name] = journeysim.start(args, cwd=where, env=_env(name, token, fail=True), prelude=prelude)
    first = {name: journeysim.wait(proc) for name, proc in started.items()}
    before = {n: _before_resume(where / n) for n in first if n != "batch"}
    resumed = {
        n: journeysim.start(["resume", n], cwd=where, env=_env(n, token, fail=False)) for n in first if n != "batch"
    }
    again = {n: journeysim.wait(proc) for n, proc in resumed.items()}
    return {n: (first[n], where / n, again.get(n), before.get(n)) for n in first}


@pytest.fixture(scope="module")
def reference(runs):
    """The local batch launcher's sweep: every job ok, and the jobs differ (so equality below means something)."""
    outcome, sweep, _, _ = runs["batch"]
    assert outcome.code == 0, outcome.err[-3000:]
    metrics = [(sweep / str(j) / "metrics.json").read_bytes() for j in range(JOBS)]
    assert len(set(metrics)) == JOBS
    return sweep


def _table(sweep: Path) -> list[dict[str, str]]:
    """The sweep table without its one timing column."""
    rows = list(csv.DictReader(io.StringIO((sweep / "sweep.csv").read_text())))
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_a_failed_job_stays_its_own_in_the_batch(launcher, runs) -> None:
    outcome, _, _, before = runs[launcher]
    assert outcome.code == 1, outcome.err[-3000:]  # the sweep went on and reported the failed job
    assert before["statuses"] == ["ok", "failed", "ok", "ok"]
    assert before["failed"] == ["1"]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_resume_keeps_completed_jobs_and_ends_as_the_local_batch_launcher(launcher, runs, reference, job_data) -> None:
    _, sweep, resumed, before = runs[launcher]
    assert resumed.code == 0, resumed.err[-3000:]
    assert f"3 of {JOBS} jobs completed before and are kept; 1 to run" in resumed.err
    assert (sweep / "0" / "metrics.json").stat().st_mtime_ns == before["job0"]  # not rerun, not rewritten
    for job in range(JOBS):
        mine, ref = sweep / str(job), reference / str(job)
        for name in job_data:
            assert (mine / name).exists() == (ref / name).exists(), f"job {job}: {name}"
            if (ref / name).exists():
                assert (mine / name).read_bytes() == (ref / name).read_bytes(), f"job {job}: {name}"
        status, ref_status = (json.loads((d / "status.json").read_text()) for d in (mine, ref))
        assert status["status"] == "ok" and status["files"] == ref_status["files"]
        assert not (mine / "report.html").exists()  # per-job reports only where asked, as in the batch launcher
    assert _table(sweep) == _table(reference)
    assert (sweep / "sweep.parquet").is_file()


@_needs("ray_batch")
def test_each_ray_task_receives_a_batch(runs) -> None:
    outcome, _, _, _ = runs["ray_batch"]
    text = outcome.out + outcome.err
    assert "Started a local Ray instance" in text
    assert f"RayBatchLauncher: {JOBS} jobs in 2 batches of 2,2" in text
    assert "RAY_TASKS 2 ['journeysim.cli.cluster_batches.run_batch_on_worker']" in outcome.out  # 2 tasks, not 4


@_needs("slurm_local_batch")
def test_each_submitit_job_receives_a_batch(runs) -> None:
    outcome, sweep, _, _ = runs["slurm_local_batch"]
    assert f"LocalBatchLauncher: {JOBS} jobs in 2 batches of 2,2" in outcome.err + outcome.out
    submitted = list((sweep / ".submitit").glob("*/*_submitted.pkl"))
    logs = list((sweep / ".submitit").glob("*/*_log.out"))
    assert len(submitted) == 2 * 2 and len(logs) == 2 * 2  # two batches in the sweep and two in its resume, not 4 + 4


@_needs("slurm_local_batch")
def test_the_slurm_batch_preset_submits_one_array_element_per_batch(
    journeysim, sbatch_stand_in, tmp_path: Path
) -> None:
    env, captured = sbatch_stand_in
    sweep = tmp_path / "sweep"  # absolute, as a cluster needs
    args = ["-m", "hydra/launcher=slurm_batch", "hydra.launcher.partition=cpu", "hydra.launcher.n_jobs=2"]
    args += ["hydra.launcher.setup=['source /shared/venv/bin/activate']", *SWEEP, f"hydra.sweep.dir={sweep}"]
    res = journeysim.run(args, cwd=tmp_path, env=env)
    assert res.code != 0  # the stand-in refused the submission
    script = captured.read_text().splitlines()
    for line in (
        "#SBATCH --partition=cpu",
        "#SBATCH --array=0-1%2",  # four jobs in two array elements (batches), not four
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem=4GB",
        "#SBATCH --time=60",
        f"#SBATCH --output={sweep}/.submitit/%A_%a/%A_%a_0_log.out",
        "source /shared/venv/bin/activate",
    ):
        assert line in script, f"{line!r} not in the sbatch script:\n" + "\n".join(script)
    assert not list(sweep.glob("*/metrics.json"))  # nothing ran


@_needs("ray_batch")
def test_the_cluster_batch_preset_joins_a_running_cluster(journeysim, runs, reference, ray_head, tmp_path) -> None:
    address, env = ray_head
    sweep = tmp_path / "sweep"  # absolute, as a cluster needs
    args = ["-m", "hydra/launcher=ray_cluster_batch", *SWEEP, f"hydra.sweep.dir={sweep}"]
    res = journeysim.run(args, cwd=tmp_path, env={**env, "RAY_ADDRESS": address})
    assert res.code == 0, res.err[-3000:]
    assert f"Connecting to existing Ray cluster at address: {address}" in res.err + res.out
    assert f"RayBatchLauncher: {JOBS} jobs in 2 batches of 2,2" in res.err + res.out  # the cluster's 2 CPUs
    for job in range(JOBS):
        assert (sweep / str(job) / "metrics.json").read_bytes() == (reference / str(job) / "metrics.json").read_bytes()
