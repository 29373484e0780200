"""A decision from the fitted model, with its uncertainty: which stage to improve over the next 26 weeks?

Option A lifts intent -> conversion by 20% (offers and reminders to people with intent); option B lifts
loyalty -> conversion by 20% (a loyalty programme). Outcome: purchases over the 182 days after the data ends,
starting from the last observed week (the fitted population option). Three answers:

1. simulation noise only: the fitted point estimates, 40 paired replications (common random numbers);
2. with parameter uncertainty: one paired replication per parameter draw of `fit/parameters.csv` (40 draws),
   run here through the study APIs (`grid.apply` + `run.simulate`) because `sim.parameter_uncertainty` is not on
   main yet; the variance of the difference is split into parameter and noise parts, and each parameter's
   share of the difference's variance (squared correlation with its log draw) says which rate is worth measuring;
3. the ground truth (the rates that generated the counts), for checking.

Writes `results/decision.csv` and `results/value_of_information.csv`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

import journeysim as js
from journeysim.interventions.strategy import RateMultiplier
from journeysim.model.scenario import Scenario
from journeysim.study.grid import apply
from journeysim.study.run import simulate

HERE = Path(__file__).parent
HORIZON = 182
OPTIONS = {
    "A: intent->conversion x1.2": ("intent", "conversion"),
    "B: loyalty->conversion x1.2": ("loyalty", "conversion"),
}
N = 40


def with_option(scenario: Scenario, edge: tuple[str, str]) -> Scenario:
    lift = RateMultiplier(edge[0], edge[1], 1.2, 0, HORIZON)
    return dataclasses.replace(scenario, strategy=dataclasses.replace(scenario.strategy, rate_multipliers=(lift,)))


def purchases(scenario: Scenario, seed: np.random.SeedSequence) -> float:
    return float(simulate(scenario, seed).purchases_per_day().sum())


def paired(scenarios: list[Scenario], seeds: list[np.random.SeedSequence]) -> np.ndarray:
    """Per run: purchases under A minus under B, on the same seed (common random numbers)."""
    a, b = OPTIONS.values()
    return np.array(
        [
            purchases(with_option(s, a), q) - purchases(with_option(s, b), q)
            for s, q in zip(scenarios, seeds, strict=True)
        ]
    )


def summary(label: str, diff: np.ndarray) -> dict[str, object]:
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    lo, hi = np.quantile(diff, [0.025, 0.975])
    return {
        "answer": label,
        "runs": diff.size,
        "mean_A_minus_B": diff.mean(),
        "se_of_mean": se,
        "spread_2.5%": lo,
        "spread_97.5%": hi,
        "P(A beats B)": float((diff > 0).mean()),
    }


def main() -> None:
    fitted = js.load_scenario(
        [
            "journey=marketing_funnel_fitted",
            "population=marketing_funnel_fitted",
            "strategy=none",
            f"sim.horizon_days={HORIZON}",
        ],
        config_dir=HERE / "fit",
    )
    draws = pd.read_csv(HERE / "fit" / "parameters.csv").iloc[:N]
    seeds = np.random.SeedSequence(7).spawn(N)
    noise = paired([fitted] * N, seeds)
    drawn = [apply(fitted, {k: float(v) for k, v in row.items() if k != "draw"}) for _, row in draws.iterrows()]
    both = paired(drawn, seeds)
    truth_rates = pd.read_csv(HERE / "data" / "truth.csv")
    truth = apply(fitted, dict(zip(truth_rates["key"], truth_rates["value"], strict=True)))
    true_diff = paired([truth] * N, seeds)
    rows = [
        summary("simulation noise only (point estimates)", noise),
        summary("parameter uncertainty + noise (one draw per run)", both),
        summary("ground truth rates (check)", true_diff),
    ]
    table = pd.DataFrame(rows)
    parameter_share = max(0.0, 1 - noise.var(ddof=1) / both.var(ddof=1))
    table["parameter_share_of_variance"] = [np.nan, parameter_share, np.nan]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    table.to_csv(out / "decision.csv", index=False)
    logs = np.log(draws.drop(columns="draw"))
    voi = pd.DataFrame(
        {
            "parameter": logs.columns,
            "share_of_difference_variance": [float(np.corrcoef(logs[c], both)[0, 1] ** 2) for c in logs],
        }
    )
    voi = voi.sort_values("share_of_difference_variance", ascending=False)
    voi.to_csv(out / "value_of_information.csv", index=False)
    print(table.to_string(index=False))
    print(voi.head(5).to_string(index=False))


if __name__ == "__main__":
    main()
