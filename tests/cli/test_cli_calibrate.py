"""`journeysim calibrate`: fit a journey to a run's ground truth, write it as a config option, and run with it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml


def test_a_run_with_its_event_log_is_fitted_and_the_fit_runs_as_a_journey_option(
    journeysim_inproc, tiny, tmp_path: Path
) -> None:
    made = journeysim_inproc(*tiny, "sim.event_log=true", "hydra.run.dir=truth")
    assert made.code == 0, made.err
    res = journeysim_inproc("calibrate", "truth", "--out", "cal", "--name", "fitted")
    assert res.code == 0, res.err
    assert "use: journeysim --config-dir cal journey=fitted" in res.out
    rates = pd.read_csv("cal/rates.csv")
    assert {"from_stage", "to_stage", "transitions", "exposure_days", "rate", "se", "ci_low", "ci_high"} <= set(rates)
    option = yaml.safe_load(Path("cal/journey/fitted.yaml").read_text())
    truth = yaml.safe_load(Path("truth/config.yaml").read_text())["journey"]
    assert option["stages"] == truth["stages"] and option["conversion"] == truth["conversion"]
    assert list(option["rates"]) == [s for s in truth["stages"] if s in option["rates"]]  # journey order
    big = rates[rates["transitions"] >= 200]
    true = [truth["rates"][a][b] for a, b in zip(big["from_stage"], big["to_stage"], strict=True)]
    assert len(big) >= 8 and ((big["rate"] - true).abs() < 4 * big["se"]).all()  # within 4 SE of the truth
    again = journeysim_inproc("--config-dir", "cal", "journey=fitted", *tiny, "hydra.run.dir=refit")
    assert again.code == 0, again.err


def test_calibrate_without_data_is_refused_with_the_fix(journeysim_inproc, tiny) -> None:
    plain = journeysim_inproc(*tiny, "hydra.run.dir=plain")
    assert plain.code == 0, plain.err
    res = journeysim_inproc("calibrate", "plain")
    assert res.code == 2 and "has no events.parquet" in res.err and "sim.event_log=true" in res.err
    res = journeysim_inproc("calibrate")
    assert res.code == 2 and "give a run directory, or --events and --customers" in res.err
    assert not Path("calibrations").exists()
