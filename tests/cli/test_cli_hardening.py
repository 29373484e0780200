"""Hardening (issue 16): hostile, huge or malformed input exits 2 naming the setting, runs nothing, leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest


def _assert_rejected(res, fragments: list[str]) -> None:
    assert res.code == 2, (res.code, res.out, res.err)
    text = res.err + res.out
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "Traceback" not in text


INTERPOLATIONS = [
    ("sim.horizon_days=${oc.env:HOME}", "sim.horizon_days"),
    ("sim.horizon_days=${oc.env:JOURNEYSIM_SURELY_UNSET}", "sim.horizon_days"),
    ("sim.seed=${nosuchresolver:1}", "sim.seed"),
    ("sim.seed=${sim.seed}", "sim.seed"),
]


@pytest.mark.parametrize("multirun", [False, True], ids=["run", "sweep"])
@pytest.mark.parametrize(("override", "setting"), INTERPOLATIONS, ids=[i[0] for i in INTERPOLATIONS])
def test_interpolation_errors_name_the_setting(journeysim_inproc, tree, tiniest, override, setting, multirun) -> None:
    args = ["-m"] if multirun else []
    res = journeysim_inproc(*args, *tiniest, override)
    _assert_rejected(res, [f"{setting}: ", "fix: "])
    assert tree(Path.cwd()) == []


def _bomb(levels: int = 12) -> str:
    """A "billion laughs" YAML document: 10**levels strings from a few hundred bytes."""
    lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_in_a_config_dir_is_refused_quickly(journeysim_inproc, tree, tmp_path: Path, tiniest) -> None:
    user = tmp_path / "my_conf"
    (user / "journey").mkdir(parents=True)
    (user / "journey" / "bomb.yaml").write_text(_bomb())
    res = journeysim_inproc("--config-dir", str(user), "journey=bomb", *tiniest)
    _assert_rejected(res, ["bomb.yaml", "expands to more than 1,000,000 nodes"])
    assert tree(Path.cwd()) == []


HOOKS = [
    ("experiment/evil.yaml", "# @package _global_\nhydra:\n  callbacks:\n    x:\n      _target_: os.makedirs\n"),
    ("strategy/evil.yaml", "name: evil\nbudget: {_target_: os.makedirs, name: x}\n"),
    ("hydra/launcher/evil.yaml", "_target_: os.makedirs\n"),
    ("hydra/job_logging/evil.yaml", "version: 1\nhandlers:\n  h: {'()': os.makedirs}\n"),
    ("experiment/log.yaml", "# @package _global_\nhydra:\n  job_logging:\n    handlers: {h: {class: os.makedirs}}\n"),
    ("experiment/path.yaml", "# @package _global_\nhydra:\n  searchpath: [file:///elsewhere]\n"),
]


@pytest.mark.parametrize(("name", "text"), HOOKS, ids=[h[0] for h in HOOKS])
def test_a_config_dir_cannot_name_code_to_run(journeysim_inproc, tree, tmp_path: Path, tiniest, name, text) -> None:
    user = tmp_path / "my_conf"
    (user / name).parent.mkdir(parents=True)
    (user / name).write_text(text.replace("name: x", f"name: {tmp_path / 'pwned'}"))
    res = journeysim_inproc("--config-dir", str(user), *tiniest)
    _assert_rejected(res, [name, "never name code to run"])
    assert tree(Path.cwd()) == []
    assert not (tmp_path / "pwned").exists()


def _swept(journeysim_inproc, tiniest) -> Path:
    res = journeysim_inproc("-m", *tiniest, "sim.seed=1,2", "hydra.sweep.dir=sw")
    assert res.code == 0, res.err
    return Path.cwd() / "sw"


def test_resume_refuses_code_hooks_replayed_from_multirun_yaml(journeysim_inproc, tmp_path: Path, tiniest) -> None:
    sweep = _swept(journeysim_inproc, tiniest)
    record = sweep / "multirun.yaml"
    marker = tmp_path / "pwned"
    text = record.read_text().replace(
        "    task:\n",
        f"    task:\n    - +hydra.callbacks.x._target_=os.makedirs\n    - +hydra.callbacks.x.name={marker}\n",
        1,
    )
    record.write_text(text)
    res = journeysim_inproc("resume", str(sweep))
    _assert_rejected(res, ["multirun.yaml", "would run code"])
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe not utf-8", b"hydra: [unclosed", b"just a string\n", _bomb().encode()],
    ids=["non-utf8", "broken", "not-a-mapping", "alias-bomb"],
)
def test_resume_on_a_broken_multirun_yaml_exits_2(journeysim_inproc, tree, content: bytes) -> None:
    sweep = Path.cwd() / "sw"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_bytes(content)
    res = journeysim_inproc("resume", str(sweep))
    _assert_rejected(res, ["DIR", "multirun.yaml"])
    assert tree(Path.cwd()) == ["sw", "sw/multirun.yaml"]


OVERFLOWS = [
    (["journey.rates.awareness.interest=1e308", "journey.rates.awareness.lost=1e308"], "journey.rates.awareness"),
    (["journey.rates.awareness.interest=9e14", "journey.rates.awareness.lost=9e14"], "journey.rates.awareness: "),
    (["strategy=balanced", "strategy.budget=1e300"], "strategy.budget"),
    (["population.segments.consumers.rate_multiplier=1e200"], "rate_multiplier"),
]


@pytest.mark.parametrize(("args", "setting"), OVERFLOWS, ids=[" ".join(o[0]) for o in OVERFLOWS])
def test_numbers_beyond_exact_float_arithmetic_are_refused(journeysim_inproc, tree, tiniest, args, setting) -> None:
    res = journeysim_inproc("journey=marketing_funnel", *tiniest, *args)
    _assert_rejected(res, [setting, "largest", "1e+15"])
    assert tree(Path.cwd()) == []


def test_the_api_refuses_them_too() -> None:
    from journeysim.config.compose import load_scenario
    from journeysim.config.validate import InvalidConfig

    with pytest.raises(InvalidConfig, match=r"journey\.rates\.awareness"):
        load_scenario(["journey=marketing_funnel", "journey.rates.awareness.interest=1e308"])


SIZES = [
    (["population.scale=1e7"], "population.scale"),
    (["population.segments.consumers.initial.awareness=1000000000000"], "population.scale"),
    (["population.segments.consumers.arrivals_per_day=1e12"], "arrivals_per_day"),
    (["sim.horizon_days=1000000000"], "sim.horizon_days"),
    (["sim.replications=1000000000"], "sim.replications"),
    (
        ["journey=marketing_funnel", "journey.rates.loyalty.conversion=1e12", "journey.rates.conversion.loyalty=1e12"],
        "journey.rates",
    ),
]


@pytest.mark.parametrize(("args", "setting"), SIZES, ids=[" ".join(s[0]) for s in SIZES])
def test_sizes_that_cannot_fit_or_finish_are_refused_before_allocating(journeysim_inproc, tree, args, setting) -> None:
    res = journeysim_inproc(*args)
    _assert_rejected(res, [setting, "the run cannot", "customers", "transitions"])
    assert tree(Path.cwd()) == []


def test_a_long_run_is_announced_with_its_estimate(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from journeysim.cli import callbacks
    from journeysim.config.compose import load_scenario
    from journeysim.study.estimate import LONG_RUN_SECONDS, estimate

    needs = estimate(load_scenario(["sim.replications=20000", "sim.horizon_days=365"]))
    assert needs.seconds > LONG_RUN_SECONDS
    callbacks._warn_if_long(needs.seconds, "this run")
    assert "will take long" in capsys.readouterr().err


def test_the_default_scenario_fits_and_is_not_announced() -> None:
    from journeysim.config.compose import load_scenario
    from journeysim.config.size import size_problems
    from journeysim.study.estimate import LONG_RUN_SECONDS, estimate

    scenario = load_scenario([])
    needs = estimate(scenario)
    assert 2e5 < needs.customers < 1e6 and needs.seconds < LONG_RUN_SECONDS
    assert size_problems(scenario) == []


MESSAGES = [
    (["strategy=balanced", "+strategy.flights.social=[50,10]"], "strategy.flights.social[0]: 50 is not a flight"),
    (["strategy=balanced", "+strategy.allocation.tiktok=0.1"], "strategy.allocation.tiktok: unknown channel 'tiktok'"),
    (
        ["population=mixed", "population.segments.businesses.order_value.margin=2"],
        "population.segments.businesses.order_value.margin",
    ),
]


@pytest.mark.parametrize(("args", "fragment"), MESSAGES, ids=[m[1].split(":")[0] for m in MESSAGES])
def test_messages_name_the_exact_setting(journeysim_inproc, tree, tiniest, args, fragment) -> None:
    res = journeysim_inproc(*tiniest, *args)
    _assert_rejected(res, [fragment])
    assert tree(Path.cwd()) == []


def test_a_blank_option_file_is_named_as_blank(journeysim_inproc, tmp_path: Path, tiniest) -> None:
    user = tmp_path / "my_conf"
    (user / "journey").mkdir(parents=True)
    (user / "journey" / "blank.yaml").write_text("")
    res = journeysim_inproc("--config-dir", str(user), "journey=blank", *tiniest)
    _assert_rejected(res, ["journey option 'blank' sets none of its required settings"])


def _tables(tmp_path: Path, events: str, customers: str) -> list[str]:
    (tmp_path / "e.csv").write_text(events)
    (tmp_path / "c.csv").write_text(customers)
    return ["--events", str(tmp_path / "e.csv"), "--customers", str(tmp_path / "c.csv")]


_CUSTOMERS = "customer,start_stage,entry_time\n1,awareness,5\n"
_HEADER = "customer,time,from_stage,to_stage\n"
CALIBRATE = [
    (_HEADER + "1,50,awareness,interest\n", _CUSTOMERS, ["--end", "10"], "after the end of observation"),
    (_HEADER + "1,5,awareness,interest\n", _CUSTOMERS, ["--end", "nan"], "--end"),
    (_HEADER + "1,soon,awareness,interest\n", _CUSTOMERS, ["--end", "10"], "events.time"),
    (_HEADER, _CUSTOMERS, ["--end", "10"], "the events table has no rows"),
    (_HEADER + "1,-3,awareness,interest\n", _CUSTOMERS, ["--end", "10"], "events.time"),
    (_HEADER + "1,2,awareness,interest\n", _CUSTOMERS, ["--end", "10"], "before entering at day 5"),
]


@pytest.mark.parametrize(("events", "customers", "extra", "fragment"), CALIBRATE, ids=[c[3] for c in CALIBRATE])
def test_calibrate_checks_its_tables(journeysim_inproc, tmp_path: Path, events, customers, extra, fragment) -> None:
    res = journeysim_inproc("calibrate", *_tables(tmp_path, events, customers), "--journey", "marketing_funnel", *extra)
    _assert_rejected(res, [fragment])
    assert "customers the table lacks" not in res.err


def test_calibrate_on_a_run_with_a_non_utf8_config(journeysim_inproc, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.parquet").write_bytes(b"")
    (run / "config.yaml").write_bytes(b"\xff\xfe")
    res = journeysim_inproc("calibrate", str(run), "--end", "10")
    _assert_rejected(res, ["RUN_DIR", "config.yaml"])


def test_resume_touches_nothing_of_kept_jobs_and_removes_killed_temporaries(journeysim_inproc, tiniest) -> None:
    import subprocess
    import sys

    sweep = _swept(journeysim_inproc, tiniest)
    kept = sorted(p for p in (sweep / "0").rglob("*") if p.is_file())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in kept}
    (sweep / "1" / "status.json").unlink()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = sweep / "1" / f".timeseries.parquet.{int(dead.stdout)}.tmp"
    stale.write_bytes(b"half a file")
    res = journeysim_inproc("resume", str(sweep))
    assert res.code == 0, res.err
    assert not stale.exists()
    assert sorted(p for p in (sweep / "0").rglob("*") if p.is_file()) == kept
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in kept} == before
    assert (sweep / "1" / "status.json").is_file()
