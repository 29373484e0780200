"""Bad input: exit status 2, a message naming the setting and the fix, no traceback, nothing left on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

# (what, arguments, fragments the message must contain)
CASES = [
    ("hydra type error", ["sim.horizon_days=abc"], ["sim.horizon_days", "could not be converted to Integer"]),
    # journeysim's own messages, before Hydra's (which advised `+` and printed its search path; issue 15, item 14)
    ("unknown option", ["journey=nope"], ["journey: unknown journey option 'nope'", "marketing_funnel"]),
    (
        "unknown key without +",
        ["sim.horizn=5"],
        ["sim.horizn: unknown setting 'horizn' (did you mean 'horizon_days'?)", "set sim.horizon_days=5"],
    ),
    (
        "force-added unknown key",
        ["+sim.horizn=5"],
        ["sim.horizn: unknown setting 'horizn' (did you mean 'horizon_days'?)", "remove the override '+sim.horizn=5'"],
    ),
    ("force-added unknown top-level key", ["+budgte=5"], ["budgte: unknown setting 'budgte'", "+budgte=5"]),
    (
        "model: negative rate",
        ["journey.rates.awareness.interest=-1"],
        ["journey.rates.awareness.interest", "not a finite non-negative per-day hazard", "fix: give a rate >= 0"],
    ),
    (
        "model: unknown stage",
        ["+journey.rates.awareness.purchse=0.1"],
        ["journey.rates.awareness.purchse: unknown stage 'purchse' (did you mean 'purchase'?)"],
    ),
    (
        "model: initial counts in a stage the journey lacks",
        ["journey=sales_funnel_b2b", "+population.segments.consumers.initial.consideration=10"],
        ["population.segments.consumers.initial.consideration: unknown stage"],
    ),
    ("not a number inside rates", ["journey.rates.awareness.interest=lots"], ["'lots' is not a number"]),
    ("population scale", ["population.scale=0"], ["population.scale", "not a number > 0"]),
    ("settings range", ["sim.replications=0"], ["sim.replications", "sim.replications=10"]),
    ("override syntax", ["sim.seed=["], ["no viable alternative"]),
    ("sweep value without -m", ["sim.seed=1,2"], ["To sweep over it, add --multirun"]),
    ("config dir that does not exist", ["--config-dir", "no/such/dir"], ["no/such/dir", "not found"]),
    (
        "unknown baseline preset",
        ["strategy=balanced", "baseline=balnced"],
        ["baseline: unknown baseline 'balnced' (did you mean 'balanced'?)", "auto, null, "],
    ),
    (
        "baseline preset that does not fit the scenario",
        ["strategy=awareness_push", "baseline=conversion_push", "channels.retargeting.positions=[]"],
        [
            "baseline: strategy preset 'conversion_push' does not fit",
            "channels.retargeting.stages: the channel reaches",
        ],
    ),
    (
        "unknown objective metric",
        ["objective=proft"],
        ["objective: unknown metric 'proft' (did you mean 'profit'?)", "objective=profit"],
    ),
    (
        "incremental objective without a baseline",
        ["objective=iroas", "baseline=null"],
        ["objective: 'iroas' needs a counterfactual run, but baseline is null", "baseline=auto"],
    ),
]


def _assert_rejected(res, fragments: list[str]) -> None:
    assert res.code == 2, (res.code, res.out, res.err)
    text = res.err + res.out
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "Traceback" not in text


@pytest.mark.parametrize(("what", "args", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_a_message_and_leaves_nothing(journeysim_inproc, tree, what, args, fragments) -> None:
    res = journeysim_inproc(*args)
    _assert_rejected(res, fragments)
    assert tree(Path.cwd()) == [], "a rejected run must not create a run directory"


def test_every_missing_value_is_listed_at_once(journeysim_inproc, tree, tmp_path: Path) -> None:
    user = tmp_path / "my_conf"
    (user / "journey").mkdir(parents=True)
    (user / "journey" / "half_done.yaml").write_text(
        "name: half_done\nstages: [seen, bought, gone]\nentry: seen\nconversion: [bought]\nterminal: [gone]\n"
        "rates:\n  seen:\n    bought: ???\n    gone: 0.1\n  bought:\n    seen: ???\n"
    )
    res = journeysim_inproc("--config-dir", str(user), "journey=half_done", "~population")
    _assert_rejected(
        res,
        [
            "3 problems",
            "population: no population is chosen",
            "add population=b2b (options: b2b, b2c, bgnbd, mixed, paretonbd)",
            "journey.rates.seen.bought: is missing (???)",
            "journey.rates.bought.seen=<value>",
        ],
    )
    assert tree(Path.cwd()) == []


def test_yaml_syntax_error_in_a_user_config(journeysim_inproc, tree, tmp_path: Path) -> None:
    user = tmp_path / "my_conf"
    (user / "journey").mkdir(parents=True)
    (user / "journey" / "broken.yaml").write_text("name: broken\nrates:\n  a: {b: ???}\n")
    res = journeysim_inproc("--config-dir", str(user), "journey=broken")
    _assert_rejected(res, ["broken.yaml:3:", "YAML syntax error"])
    assert tree(Path.cwd()) == []


def test_a_bad_sweep_job_stops_the_sweep_before_any_job_starts(journeysim_inproc, tree, tiny) -> None:
    res = journeysim_inproc("-m", *tiny, "sim.seed=1,-2", "sim.horizon_days=10,20")
    _assert_rejected(
        res,
        [
            "sim=quick sim.seed=-2 sim.horizon_days=10]",
            "sim.seed: -2 is not a whole number >= 0",
            "2 of 4 sweep jobs are invalid; no job was started",
        ],
    )
    assert tree(Path.cwd()) == []  # no multirun/ directory either


def test_check_rejects_bad_input_the_same_way(journeysim_inproc) -> None:
    res = journeysim_inproc("check", "+sim.horizn=5")
    _assert_rejected(res, ["did you mean 'horizon_days'"])


def test_console_script_reports_bad_input_without_traceback(tmp_path: Path, journeysim_cli, tree) -> None:
    res = journeysim_cli(["+sim.horizn=5"], cwd=tmp_path)
    _assert_rejected(res, ["journeysim: invalid configuration; nothing was run.", "did you mean 'horizon_days'"])
    bad = journeysim_cli(["journey=nope"], cwd=tmp_path)
    _assert_rejected(bad, ["journey: unknown journey option 'nope'"])
    assert tree(tmp_path) == []
