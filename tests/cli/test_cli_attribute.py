"""`journeysim attribute`: the league table of a run made with its touch log and per-channel counterfactuals, and
bad input (unknown methods or channels, a run without touches or counterfactuals, a bad path file): exit 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

RUN = ["strategy=balanced", "baseline_channels=true", "outputs.touches=true", "outputs.report=false"]


@pytest.mark.slow
def test_a_run_with_touches_is_scored_and_bad_input_is_refused(journeysim_inproc, tiny) -> None:
    made = journeysim_inproc(*tiny, *RUN, "hydra.run.dir=arena")
    assert made.code == 0, made.err
    res = journeysim_inproc("attribute", "arena", "--methods", "first_touch,markov")
    assert res.code == 0, res.err
    table = pd.read_csv("arena/attribution.csv")
    assert set(table["method"]) == {"first_touch", "markov", "caused_purchase"}
    assert Path("arena/attribution.html").is_file() and "ranked by share error" in res.out
    truth = pd.read_csv("arena/channel_removal.csv").groupby("channel")["removal_purchases"].mean()
    got = table[(table["method"] == "markov") & (table["channel"] != "(all)")].set_index("channel")
    assert ((got["true_incremental"] - truth.reindex(got.index)).abs() < 1e-9).all()
    assert (got["bias"] - (got["credited"] - got["true_incremental"])).abs().max() < 1e-9

    bad = journeysim_inproc("attribute", "arena", "--methods", "markof,first_touch,shapley", "--channels", "serch")
    assert bad.code == 2 and "Traceback" not in bad.err
    assert "did you mean 'markov'" in bad.err and "'shapley'" in bad.err
    Path("p.csv").write_text("path,total_conversions,total_null\nsearch >> email,1,0\nsearch > tv,1,2\nsearch,1,1\n")
    bad = journeysim_inproc("attribute", "arena", "--paths", "p.csv")
    assert bad.code == 2 and "row 2" in bad.err and "row 3" in bad.err and "row 4" not in bad.err
    mine = journeysim_inproc("attribute", "arena", "--paths", "arena/paths.csv", "--out", "mine")
    assert mine.code == 0, mine.err and Path("mine/attribution.csv").is_file()

    plain = journeysim_inproc(*tiny, "strategy=balanced", "outputs.report=false", "hydra.run.dir=plain")
    assert plain.code == 0, plain.err
    bad = journeysim_inproc("attribute", "plain")
    assert bad.code == 2 and bad.err.count("  - outputs.touches") == 2 and "baseline_channels" in bad.err
    assert not Path("plain/attribution.csv").exists()


def test_a_bad_touch_sample_is_refused_before_running(journeysim_inproc, tiny) -> None:
    res = journeysim_inproc(*tiny, "outputs.touches=true", "outputs.touch_sample=1.5", "hydra.run.dir=x")
    assert res.code == 2 and "outputs.touch_sample" in res.err and not Path("x").exists()
