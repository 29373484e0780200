"""A decision from the fitted model, with its uncertainty, through journeysim's own path: which stage to improve?

Option A lifts intent -> conversion by 20% (offers and reminders to people with intent); option B lifts
loyalty -> conversion by 20% (a loyalty programme): `population.segments.consumers.transition_multipliers`.
Outcome: purchases over the 182 days after the data ends, from the last observed week (the fitted population).
Three sweeps of the two options through the `journeysim` console script, each followed by `journeysim compare`
(B is the reference; both options share seeds, so differences are paired):

1. `uncertain`: `sim.parameter_uncertainty=fit/parameters.csv`, DRAWS draws x 2 replications: compare's p_better
   (with parameter uncertainty), p_better_noise (noise only), the variance split and the EVPPI per parameter;
2. `fixed`: the fitted point estimates, DRAWS replications: what the fit says when its rates are taken as exact;
3. `truth`: the rates that generated the counts (`data/truth.csv`), as overrides, DRAWS replications: the check.

Writes `results/decision.csv` (compare's purchases row of each) and `results/value_of_information.csv`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
OPTION = "population.segments.consumers.transition_multipliers"
A, B = "{intent:{conversion:1.2}}", "{loyalty:{conversion:1.2}}"
COLUMNS = [
    "difference",
    "ci_low",
    "ci_high",
    "p_better",
    "p_better_noise",
    "p_value",
    "p_best_A_noise_t",
    "uncertainty_low",
    "uncertainty_high",
    "var_parameters",
    "var_simulation",
    "share_parameters",
    "draws",
    "per_draw",
    "most_valuable_parameter",
    "evppi",
]


def journeysim(args: list[str], cwd: Path) -> None:
    exe = shutil.which("journeysim") or "journeysim"
    proc = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"journeysim {' '.join(args[:3])} ... failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def sweep_and_compare(name: str, work: Path, replications: int, extra: list[str]) -> pd.DataFrame:
    """Run A and B as one sweep, compare A against B; return compare's differences.csv rows."""
    fit = HERE / "fit"
    journeysim(
        [
            "-m",
            "--config-dir",
            str(fit),
            "journey=marketing_funnel_fitted",
            "population=marketing_funnel_fitted",
            "strategy=none",
            "sim.horizon_days=182",
            f"sim.replications={replications}",
            "sim.seed=7",
            *extra,
            f"+{OPTION}={A},{B}",
            f"hydra.sweep.dir={work / name}",
        ],
        work,
    )
    cmp = work / f"{name}_compare"
    journeysim(
        [
            "compare",
            str(work / name),
            "--reference",
            f"{OPTION}={B}",
            "--rank-by",
            "purchases",
            "--metrics",
            "purchases",
            "--out",
            str(cmp),
        ],
        work,
    )
    diffs = pd.read_csv(cmp / "differences.csv")
    ranking = pd.read_csv(cmp / "ranking.csv").set_index("scenario")
    diffs["p_best_A_noise_t"] = float(ranking.loc[f"{OPTION}={A}", "p_best_t"])
    return diffs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=40, help="parameter draws (and fixed-rate replications)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--work", type=Path, default=HERE / "runs", help="where the sweeps go (not committed)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    ensemble = HERE / "fit" / "parameters.csv"
    truth = pd.read_csv(HERE / "data" / "truth.csv")
    truth_overrides = [
        f"{k.replace('segments.0.', 'segments.consumers.')}={v}"
        for k, v in zip(truth["key"], truth["value"], strict=True)
    ]
    answers = {
        "parameter uncertainty (fit/parameters.csv, 2 replications per draw)": (
            2 * args.draws,
            [f"sim.parameter_uncertainty={ensemble}"],
        ),
        "fitted point estimates (rates taken as exact)": (args.draws, []),
        "ground truth rates (check)": (args.draws, truth_overrides),
    }
    rows = []
    voi = pd.DataFrame()
    for i, (label, (reps, extra)) in enumerate(answers.items()):
        diffs = sweep_and_compare(f"answer{i}", args.work, reps, extra)
        row = diffs[diffs["metric"] == "purchases"].iloc[0]
        rows.append({"answer": label, "replications": reps, **{c: row.get(c) for c in COLUMNS if c in row}})
        if i == 0:
            table = pd.read_csv(args.work / f"answer{i}_compare" / "value_of_information.csv")
            voi = table[table["metric"] == "purchases"].drop(columns=["scenario", "reference", "metric"])
            voi = voi.sort_values("evppi", ascending=False)
    args.out.mkdir(parents=True, exist_ok=True)
    decision = pd.DataFrame(rows)
    decision.to_csv(args.out / "decision.csv", index=False)
    voi.to_csv(args.out / "value_of_information.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(decision.drop(columns=["ci_low", "ci_high"]).to_string(index=False))
        print(voi.head(5).to_string(index=False))


if __name__ == "__main__":
    main()
