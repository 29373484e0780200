"""`journeysim bottlenecks`: the ranked table of the composed scenario, analytic and instant; writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeysim.config import load_scenario
from journeysim.study.bottleneck import ranked


def test_prints_the_top_transitions_with_what_they_are_worth(journeysim_inproc, tree) -> None:
    res = journeysim_inproc("bottlenecks", "journey=marketing_funnel", "--top", "3")
    assert res.code == 0, res.err
    assert "Bottlenecks of marketing_funnel-b2c: each rate raised by 10%" in res.out
    table, notes = ranked(load_scenario(["journey=marketing_funnel"]))  # the engine's table, warnings as notes
    for row in table.head(3).itertuples():
        assert f"{row._2} -> {row.to}" in res.out  # `from` is a keyword: itertuples renames it
    fourth = table.iloc[3]
    assert f"{fourth['from']} -> {fourth['to']} " not in res.out  # --top 3
    assert f"- {table['text'][0][:60]}" in res.out  # the sentence to read first
    assert notes and f"note: {notes[0]}" in res.out  # word of mouth is ignored, and the user is told
    assert tree(Path.cwd()) == []


def test_improvement_and_ranking_are_options(journeysim_inproc) -> None:
    res = journeysim_inproc("bottlenecks", "--improvement", "0.2", "--rank-by", "revenue", "--top", "2")
    assert res.code == 0, res.err
    table, _ = ranked(load_scenario([]), improvement=0.2, rank_by="revenue")
    assert "each rate raised by 20%" in res.out
    assert f"{table['from'][0]} -> {table['to'][0]}" in res.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--improvement", "0"], "--improvement: 0.0 is not a fraction > 0"),
        (["--top", "0"], "--top: 0 is not >= 1"),
        (["journey=nope"], "Could not find 'journey/nope'"),
        (["+sim.horizn=5"], "did you mean 'horizon_days'?"),
        (["--rank-by", "buyer"], "invalid choice: 'buyer'"),
    ],
)
def test_bad_input_exits_2(journeysim_inproc, tree, args: list[str], message: str) -> None:
    res = journeysim_inproc("bottlenecks", *args)
    assert res.code == 2 and message in res.err and "Traceback" not in res.err
    assert tree(Path.cwd()) == []
