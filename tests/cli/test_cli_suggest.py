"""journeysim's own "did you mean" for misspelt settings without `+` and misspelt options (issue 15, item 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeysim.cli.suggest import override_problems

FUNNEL_OPTIONS = "bgnbd, buyer_to_customer, customer_journey, marketing_funnel, paretonbd, sales_funnel_b2b"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["jouney=marketing_funnel"], "jouney: unknown setting 'jouney' (did you mean 'journey'?)\n"
         "    fix: set journey=marketing_funnel"),
        (["sim.replication=3"], "sim.replication: unknown setting 'replication' (did you mean 'replications'?)\n"
         "    fix: set sim.replications=3"),
        (["population.segments.consumers.arivals_per_day=3"], "population.segments.consumers.arivals_per_day: unknown "
         "setting 'arivals_per_day' (did you mean 'arrivals_per_day'?)\n"
         "    fix: set population.segments.consumers.arrivals_per_day=3"),
        (["journey=marketng_funnel"], "journey: unknown journey option 'marketng_funnel' (did you mean "
         f"'marketing_funnel'?)\n    fix: use one of: {FUNNEL_OPTIONS} (or add journey/marketng_funnel.yaml to a "
         "--config-dir)"),
        (["-m", "strategy=none,nurtre"], "strategy: unknown strategy option 'nurtre' (did you mean 'nurture'?)"),
        (["+experiment=b2b_pipelin"], "experiment: unknown experiment option 'b2b_pipelin' (did you mean "
         "'b2b_pipeline'?)"),
    ],
)  # fmt: skip
def test_misspellings_get_a_suggestion(args: list[str], expected: str) -> None:
    (problem,) = override_problems(args)
    assert str(problem).startswith(expected)


def test_what_is_right_or_not_ours_to_judge_passes() -> None:
    fine = [
        "sim.replications=3",
        "journey=marketing_funnel,customer_journey",
        "hydra.run.dir=x",
        "hydra/launcher=parallel",
        "+sim.horizn=5",  # `+` keys: the validation's own did-you-mean
        "strategy.budget=5",  # a free mapping: the model checks it
        "journey.rates.awareness.interest=1",
        "sim.horizon_days=range(1,3)",
        "baseline=nurture",
        "outputs.tables=true",
        "population.scale_budgets=false",
        "--config-dir",
        "some/dir",
    ]
    assert override_problems(fine) == []
    assert override_problems(["--config-name", "mine", "jouney=x"]) == []  # another primary config


def test_options_of_a_config_dir_count(tmp_path: Path) -> None:
    (tmp_path / "journey").mkdir()
    (tmp_path / "journey" / "webinar_funnel.yaml").write_text("name: webinar_funnel\n")
    assert override_problems(["--config-dir", str(tmp_path), "journey=webinar_funnel"]) == []
    (problem,) = override_problems(["--config-dir", str(tmp_path), "journey=webinar_funel"])
    assert "did you mean 'webinar_funnel'" in problem.problem


def test_the_console_script_suggests_before_hydra(journeysim_inproc, tree) -> None:
    res = journeysim_inproc("jouney=marketing_funnel")
    assert res.code == 2 and "did you mean 'journey'?" in res.err and "+jouney" not in res.err
    res = journeysim_inproc("journey=marketng_funnel")
    assert res.code == 2 and "did you mean 'marketing_funnel'?" in res.err
    assert "search path" not in res.err.lower() and "Primary config" not in res.err
    assert tree(Path.cwd()) == []
