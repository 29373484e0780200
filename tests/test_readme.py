"""The README's commands work as written: set-up commands match CI, the tour's commands validate (fast) and run
verbatim (slow), the Python example runs, and the bad-input transcript is what journeysim really prints."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import journeysim as js
from journeysim.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(lang: str) -> list[str]:
    """Bodies of the README's fenced code blocks in one language."""
    return [body for kind, body in re.findall(r"```(\w+)\n(.*?)```", README, re.S) if kind == lang]


def commands(block: str) -> list[str]:
    """Shell commands of a block; a here-document stays attached to its command."""
    out: list[str] = []
    lines = iter(block.splitlines())
    for line in lines:
        if not line.strip():
            continue
        if "<<'EOF'" in line:
            body = [line]
            for more in lines:
                body.append(more)
                if more == "EOF":
                    break
            out.append("\n".join(body))
        else:
            out.append(line)
    return out


TOUR = [c for b in blocks("bash") for c in commands(b)]
JOURNEYSIM = [c for c in TOUR if c.startswith("journeysim")]


def in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def prepare_files(cwd: Path) -> None:
    """Run the tour's file-making commands (mkdir, cat > ... <<'EOF') so --config-dir examples find their files."""
    for cmd in TOUR:
        if cmd.startswith(("mkdir", "cat")):
            subprocess.run(["bash", "-euo", "pipefail", "-c", cmd], cwd=cwd, check=True)


def earlier_runs(args: list[str]) -> list[str]:
    """The tour commands that write the run directories `args` continue from (`population.from_run=DIR`)."""
    dirs = [a.split("=", 1)[1] for a in args if a.startswith("population.from_run=")]
    return [c for d in dirs for c in JOURNEYSIM if f"hydra.run.dir={d}" in shlex.split(c, comments=True)]


def test_setup_commands_are_the_ones_ci_runs() -> None:
    install_and_run, install_and_test = (c.strip() for b in blocks("sh") for c in commands(b))
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert install_and_run == venv + "pip install -e . && journeysim"
    assert install_and_test == venv + 'pip install -e ".[test]" && pytest'
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "pytest" in [line.strip() for line in ci], ".ci/run must run the README's test command"
    assert any('pip install -e ".[dev]"' in line for line in ci)  # dev = test + linters


def test_the_tour_covers_presets_outputs_sweeps_and_own_configs() -> None:
    assert len(JOURNEYSIM) >= 10
    assert any(" -m " in c for c in JOURNEYSIM)
    assert any("--config-dir" in c for c in JOURNEYSIM) and any("--config-name" in c for c in JOURNEYSIM)
    assert any(c.startswith("journeysim check") for c in JOURNEYSIM)


@pytest.mark.parametrize("command", JOURNEYSIM)
def test_every_journeysim_command_in_the_tour_validates(command: str, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["journeysim"])
    prepare_files(tmp_path)
    args = shlex.split(command, comments=True)[1:]
    for earlier in earlier_runs(args):  # `population.from_run=DIR` continues the tour's run that wrote DIR
        assert in_process(shlex.split(earlier, comments=True)[1:], capsys)[0] == 0
    # `check` composes and validates every job without running anything
    check = args if args[:1] == ["check"] or "--cfg" in args else ["check", *args]
    code, _, err = in_process(check, capsys)
    assert code == 0, err
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "multirun").exists()


def test_the_python_example_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (code,) = blocks("python")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "conversion_rate" in out and "stage_conversion_rate" in out
    assert "from_stage" in out and "to_stage" in out  # the ground-truth event log


def transcripts() -> list[tuple[str, str]]:
    """($ command, expected output) pairs from the README's console blocks."""
    pairs: list[tuple[str, str]] = []
    for block in blocks("console"):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            pairs.append((command, output))
    return pairs


@pytest.mark.parametrize(("command", "expected"), transcripts())
def test_the_bad_input_transcript_is_exact(command: str, expected: str, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["journeysim"])
    code, out, err = in_process(shlex.split(command)[1:], capsys)
    assert code == 2
    assert out + err == expected
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_tour_runs_verbatim(tmp_path: Path) -> None:
    """Every tour command, as written, in one shell from an empty directory (installing is .ci/run's job)."""
    script = "\n".join(["set -euo pipefail", *(c for c in TOUR if not c.startswith("pip "))])
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tour = tmp_path / "tour"  # the tour runs in one scratch directory (issue 15, item 18)
    assert (tour / "runs" / "first" / "metrics.json").is_file()
    assert len(list((tour / "multirun").rglob("status.json"))) >= 6 + 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tour"]
    assert "Traceback" not in proc.stderr


def test_the_tour_runs_in_one_ignored_scratch_directory() -> None:
    """The tour starts in `tour/`, which git ignores, so following it leaves nothing else in a checkout."""
    assert TOUR[0] == "mkdir -p tour && cd tour"
    assert "tour/" in (ROOT / ".gitignore").read_text().splitlines()
    assert not any(".." in shlex.split(c, comments=True) or " /" in c for c in TOUR if c.startswith("journeysim"))


def test_the_scaled_tour_numbers_reproduce() -> None:
    """The README's numbers for a fifth of the market (budgets scaled with it) and the quick run's clip note."""
    study = js.run_study(["strategy=conversion_push", "population.scale=0.2"])
    assert study.incrementality is not None
    inc = study.incrementality.metrics
    iroas, profit = inc["iroas"], inc["incremental_profit"]
    assert f"iROAS {iroas.mean:.2f} [{iroas.ci_low:.2f}, {iroas.ci_high:.2f}]" in README
    k = [f"{v / 1000:.1f}k" for v in (profit.mean, profit.ci_low, profit.ci_high)]
    assert f"incremental profit +{k[0]} [{k[1]}, {k[2]}]" in README.replace("\n", " ")
    assert study.warnings == []
    (note,) = js.load_scenario(["strategy=conversion_push", "sim=quick", "population.scale=0.1"]).strategy.notes
    assert note.split("; search")[0].replace("\n", " ") in README.replace("\n", " ")
