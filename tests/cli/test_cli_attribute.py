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


def _sampled_run(run: Path, sample: float) -> None:
    """A run directory of a sampled touch log by hand: channels a and b, truth a = 2, b = 3 incremental purchases."""
    run.mkdir()
    (run / "config.yaml").write_text(f"outputs:\n  touches: true\n  touch_sample: {sample}\n")
    channel = pd.Categorical(["a", "b"], categories=["a", "b"])
    pd.DataFrame({"replication": [0, 0], "customer": [0, 0], "time": [1.0, 2.0], "channel": channel}).to_parquet(
        run / "touches.parquet"
    )
    pd.DataFrame({"replication": [0], "customer": [0], "path_segment": [0], "path": ["a > b"]}).to_parquet(
        run / "path_segments.parquet"
    )
    truth = {"removal_new_buyers": 0.0, "removal_revenue": 0.0, "removal_margin": 0.0, "removal_spend": 0.0}
    pd.DataFrame(
        [{"replication": 0, "channel": "a", "removal_purchases": 2.0, **truth},
         {"replication": 0, "channel": "b", "removal_purchases": 3.0, **truth}]
    ).to_csv(run / "channel_removal.csv", index=False)  # fmt: skip


def test_a_path_table_of_a_sampled_run_is_scaled_to_the_whole_population(journeysim_inproc) -> None:
    # paths of half the customers: a > b (1 conversion), a (1 null), b (1 conversion)
    # first touch: a 1, b 1 -> scaled by 1 / 0.5: a 2, b 2; bias a 0, b -1 against the truth (2, 3)
    # markov (the hand-worked example in tests/study/test_attribution.py): (2/3, 4/3) -> (4/3, 8/3)
    _sampled_run(Path("run"), 0.5)
    Path("p.csv").write_text("path,total_conversions,total_null\na > b,1,0\na,0,1\nb,1,0\n")
    res = journeysim_inproc("attribute", "run", "--paths", "p.csv", "--methods", "first_touch,markov")
    assert res.code == 0, res.err
    assert "credits scaled by 1 / 0.5" in res.out
    table = pd.read_csv("run/attribution.csv").set_index(["method", "channel"])
    assert table.loc[("first_touch", "a"), "credited"] == pytest.approx(2.0)
    assert table.loc[("first_touch", "b"), "credited"] == pytest.approx(2.0)
    assert table.loc[("first_touch", "b"), "bias"] == pytest.approx(-1.0)
    assert table.loc[("first_touch", "(all)"), "bias"] == pytest.approx(1.0)  # |0| + |-1|
    assert table.loc[("markov", "a"), "credited"] == pytest.approx(4 / 3)
    assert table.loc[("markov", "b"), "credited"] == pytest.approx(8 / 3)
    # the same table from a run that logged everyone is not scaled
    _sampled_run(Path("full"), 1.0)
    res = journeysim_inproc("attribute", "full", "--paths", "p.csv", "--methods", "first_touch")
    assert res.code == 0, res.err and "scaled" not in res.out
    full = pd.read_csv("full/attribution.csv").set_index(["method", "channel"])
    assert full.loc[("first_touch", "a"), "credited"] == pytest.approx(1.0)
