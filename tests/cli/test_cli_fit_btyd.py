"""`journeysim fit-btyd`: a transaction table in, estimates and journeysim options out; bad tables exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

TRUTH = {"r": 0.5, "alpha": 20.0, "a": 1.2, "b": 3.0}  # per day


def _transactions(path: Path, n: int = 1500, seed: int = 7) -> None:
    """A BG/NBD cohort over 200 days, first purchases in the first 60 days, as a transaction table."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUTH["r"], 1 / TRUTH["alpha"], n)
    p = rng.beta(TRUTH["a"], TRUTH["b"], n)
    rows = []
    for c in range(n):
        t = start = float(rng.uniform(0, 60))
        rows.append((f"c{c}", round(start, 6), 20.0))
        while True:
            t += rng.exponential(1 / lam[c])
            if t > 200:
                break
            rows.append((f"c{c}", round(t, 6), 25.0))
            if rng.random() < p[c]:
                break
    pd.DataFrame(rows, columns=["customer", "day", "value"]).to_csv(path, index=False)


def test_fit_btyd_writes_estimates_customers_report_and_options(journeysim_inproc) -> None:
    _transactions(Path("tx.csv"))
    res = journeysim_inproc("fit-btyd", "tx.csv", "--model", "bgnbd", "--end", "200", "--out", "fit", "--name", "mine")
    assert res.code == 0, res.err
    assert "converged" in res.out and "journeysim --config-dir fit journey=mine population=mine" in res.out
    est = pd.read_csv("fit/estimates.csv").set_index("parameter")
    z = (est["estimate"] - pd.Series(TRUTH)) / est["se"]
    assert (z.abs() < 4).all(), z
    customers = pd.read_csv("fit/customers.csv")
    assert len(customers) == 1500 and customers["p_alive"].between(0, 1).all()
    assert json.loads(Path("fit/fit.json").read_text())["convergence"]["converged"] is True
    journey = yaml.safe_load(Path("fit/journey/mine.yaml").read_text())
    assert journey["rates"]["active"]["purchase"] == pytest.approx(
        est.loc["r", "estimate"] / est.loc["alpha", "estimate"]
    )
    effects = yaml.safe_load(Path("fit/population/mine.yaml").read_text())["segments"]["customers"]["heterogeneity"]
    assert effects["purchase_rate"]["shape"] == pytest.approx(est.loc["r", "estimate"])
    assert effects["dropout"]["a"] == pytest.approx(est.loc["a", "estimate"])


def test_weeks_scale_the_rate_parameters_only(journeysim_inproc) -> None:
    _transactions(Path("tx.csv"), n=800)
    days = journeysim_inproc("fit-btyd", "tx.csv", "--end", "200", "--out", "d")
    weeks = journeysim_inproc("fit-btyd", "tx.csv", "--end", "200", "--unit", "weeks", "--out", "w")
    assert days.code == 0 and weeks.code == 0, days.err + weeks.err
    d = pd.read_csv("d/estimates.csv").set_index("parameter")["estimate"]
    w = pd.read_csv("w/estimates.csv").set_index("parameter")["estimate"]
    assert w["alpha"] == pytest.approx(d["alpha"] / 7, rel=1e-3) and w["a"] == pytest.approx(d["a"], rel=1e-3)
    dj = yaml.safe_load(Path("d/journey/bgnbd_fitted.yaml").read_text())["rates"]["active"]["purchase"]
    wj = yaml.safe_load(Path("w/journey/bgnbd_fitted.yaml").read_text())["rates"]["active"]["purchase"]
    assert wj == pytest.approx(dj, rel=1e-3)  # options are always per day


@pytest.mark.parametrize(
    "rows,args,says",
    [
        ("customer,day,value\na,0,1\nb,1,-5\nb,3,2\n", [], "transactions.value"),
        ("customer,day\na,0\nb,1\n", [], "none of the 2 customers bought more than once"),
        ("customer,day\na,0\na,9\n", ["--end", "5"], "fall after the end of observation"),
        ("who,day\na,0\n", [], "transactions.customer"),
        ("customer,day\na,0\na,9\n", ["--model", "pareto"], "did you mean 'paretonbd'"),
    ],
)
def test_bad_tables_exit_2_with_the_fix_and_write_nothing(
    journeysim_inproc, rows: str, args: list[str], says: str
) -> None:
    Path("tx.csv").write_text(rows)
    res = journeysim_inproc("fit-btyd", "tx.csv", *args, "--out", "fit")
    assert res.code == 2 and says in res.err and "fix:" in res.err and "Traceback" not in res.err
    assert not Path("fit").exists()


def test_the_readme_customers_section_runs_as_written(journeysim_inproc) -> None:
    """The README's "Customers who differ" commands in order, verbatim, then a run with the fitted options."""
    import re
    import shlex

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Customers who differ", 1)[1].split("\n### ", 1)[0]
    commands = [line for body in re.findall(r"```shell\n(.*?)```", section, re.S) for line in body.splitlines() if line]
    assert len(commands) == 2 and all(c.startswith("journeysim ") for c in commands)
    for command in commands:
        res = journeysim_inproc(*shlex.split(command)[1:])
        assert res.code == 0, (command, res.err)
    est = pd.read_csv("my_btyd/estimates.csv").set_index("parameter")
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert ((est["estimate"] - pd.Series(truth)).abs() < 4 * est["se"]).all()
    refit = "journeysim --config-dir my_btyd journey=bgnbd_fitted population=bgnbd_fitted"
    assert refit in " ".join(section.split())
    res = journeysim_inproc(*shlex.split(refit)[1:], "sim=quick", "hydra.run.dir=runs/refit")
    assert res.code == 0, res.err
