"""The shipped launcher presets run real sweeps, and every launcher gives byte-identical results for one config.

Basic (in-process), joblib (two worker processes), Ray (a local instance on 127.0.0.1 started by the test) and
submitit (local subprocesses, the SLURM preset's code path) run the same two-job sweep; the SLURM preset is checked
up to the sbatch script it would submit (a stand-in `sbatch` captures it). Nothing leaves the machine.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

#: Launcher -> (overrides, plugin module, extra that installs it).
LAUNCHERS: dict[str, tuple[list[str], str | None, str]] = {
    "basic": ([], None, ""),
    "joblib": (["hydra/launcher=parallel", "hydra.launcher.n_jobs=2"], "hydra_plugins.hydra_joblib_launcher", "joblib"),
    "ray": (
        ["hydra/launcher=ray_local", "hydra.launcher.ray.init.num_cpus=2"],
        "hydra_plugins.hydra_ray_launcher",
        "ray",
    ),
    "submitit": (["hydra/launcher=slurm_local"], "hydra_plugins.hydra_submitit_launcher", "slurm"),
}

#: Keeps the test's Ray instance on 127.0.0.1 (Ray's node IP is then the loopback address and its servers bind
#: to it), sends no usage statistics, and uses token authentication with a throwaway token (no ~/.ray/auth_token).
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}

#: Run after the sweep in the Ray driver, while its local instance is still up: the address of every node.
RAY_NODES = "import ray\nprint('RAY_NODES', sorted({n['NodeManagerAddress'] for n in ray.nodes()}))"


def _installed(module: str | None) -> bool:
    return module is None or importlib.util.find_spec(module) is not None


def _skip_unless_installed(launcher: str) -> None:
    _, module, extra = LAUNCHERS[launcher]
    if not _installed(module):
        pytest.skip(f"the {extra} extra is not installed (pip install -e '.[{extra}]'); CI installs it")


def _short_temp() -> str:
    """A temporary directory for Ray's session files with a short path (Ray's socket paths must stay < 108 bytes)."""
    return tempfile.mkdtemp(prefix="jsray", dir="/tmp" if os.path.isdir("/tmp") else None)


@pytest.fixture(scope="module")
def ray_temp() -> Iterator[str]:
    """Where the local Ray instance of the sweeps keeps its session files; removed afterwards."""
    temp = _short_temp()
    yield temp
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def sweeps(journeysim, tiny_sweep, job_results, ray_temp, tmp_path_factory) -> dict[str, tuple[object, Path]]:
    """The same two-job sweep through every installed launcher, all started at once: launcher -> (outcome, dir)."""
    started = {}
    for name, (overrides, module, _) in LAUNCHERS.items():
        if not _installed(module):
            continue
        where = tmp_path_factory.mktemp(name)
        env, postlude = None, ""
        if name == "ray":
            env = {**RAY_ENV, "RAY_AUTH_TOKEN": secrets.token_hex(16)}
            overrides = [*overrides, f"+hydra.launcher.ray.init._temp_dir={ray_temp}"]
            postlude = RAY_NODES
        args = ["-m", *overrides, *tiny_sweep, "hydra.sweep.dir=sweep"]
        started[name] = (journeysim.start(args, cwd=where, env=env, postlude=postlude), where / "sweep")
    return {name: (journeysim.wait(proc), sweep) for name, (proc, sweep) in started.items()}


@pytest.fixture(scope="module")
def basic(sweeps, job_results) -> list[dict[str, object]]:
    """The reference results: Hydra's basic launcher (one process, jobs in turn)."""
    outcome, sweep = sweeps["basic"]
    assert outcome.code == 0, outcome.err
    results = job_results(sweep)
    assert [r["status"] for r in results] == ["ok", "ok"]
    assert results[0]["metrics"] != results[1]["metrics"]  # the two jobs differ, so equality below means something
    return results


@pytest.mark.parametrize("launcher", ["joblib", "ray", "submitit"])
def test_every_launcher_gives_the_basic_launchers_results_byte_for_byte(launcher, sweeps, basic, job_results) -> None:
    _skip_unless_installed(launcher)
    outcome, sweep = sweeps[launcher]
    assert outcome.code == 0, outcome.err
    assert (sweep / "sweep.parquet").is_file()  # the sweep table is written at the end with every launcher
    assert job_results(sweep) == basic  # metrics.json and funnel.csv identical, status ok


def test_ray_runs_on_a_local_instance_bound_to_loopback(sweeps) -> None:
    _skip_unless_installed("ray")
    outcome, _ = sweeps["ray"]
    assert outcome.code == 0, outcome.err
    assert "Started a local Ray instance" in outcome.err + outcome.out
    assert "RAY_NODES ['127.0.0.1']" in outcome.out  # one node, on the loopback address
    assert "Ray Launcher is launching 2 jobs" in outcome.err + outcome.out


def test_the_cluster_preset_joins_a_running_cluster_by_address(
    journeysim, tiny_sweep, job_results, basic, ray_head, tmp_path
) -> None:
    address, env = ray_head
    sweep = tmp_path / "sweep"  # absolute, as a cluster needs
    args = ["-m", "hydra/launcher=ray_cluster", *tiny_sweep, f"hydra.sweep.dir={sweep}"]
    res = journeysim.run(args, cwd=tmp_path, env={**env, "RAY_ADDRESS": address}, postlude=RAY_NODES)
    assert res.code == 0, res.err
    assert f"Connecting to existing Ray cluster at address: {address}" in res.err + res.out
    assert "RAY_NODES ['127.0.0.1']" in res.out
    assert job_results(sweep) == basic  # joined (object_store_memory unset, as Ray requires) and identical


def test_submitit_ran_the_jobs_in_subprocesses(sweeps) -> None:
    _skip_unless_installed("submitit")
    outcome, sweep = sweeps["submitit"]
    assert outcome.code == 0, outcome.err
    assert len(list((sweep / ".submitit").glob("*/*_log.out"))) == 2  # one submitit job (and log) per sweep job


def test_the_slurm_preset_submits_one_job_array_with_its_resources(
    journeysim, tiny_sweep, sbatch_stand_in, tmp_path
) -> None:
    _skip_unless_installed("submitit")
    env, captured = sbatch_stand_in
    sweep = tmp_path / "sweep"  # absolute, as a cluster needs
    args = [
        "-m",
        "hydra/launcher=slurm",
        "hydra.launcher.partition=cpu",
        "hydra.launcher.array_parallelism=1",
        "hydra.launcher.setup=['source /shared/venv/bin/activate']",
        *tiny_sweep,
        f"hydra.sweep.dir={sweep}",
    ]
    res = journeysim.run(args, cwd=tmp_path, env=env)
    assert res.code != 0  # the stand-in refused the submission
    script = captured.read_text().splitlines()
    for line in (
        "#SBATCH --partition=cpu",
        "#SBATCH --array=0-1%1",  # both jobs in one array, at most array_parallelism at once
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem=4GB",
        "#SBATCH --time=60",
        "#SBATCH --job-name=journeysim",
        f"#SBATCH --output={sweep}/.submitit/%A_%a/%A_%a_0_log.out",
        "source /shared/venv/bin/activate",
    ):
        assert line in script, f"{line!r} not in the sbatch script:\n" + "\n".join(script)
    assert not list(sweep.glob("*/metrics.json"))  # nothing ran
