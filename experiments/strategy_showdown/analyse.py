"""Strategy showdown: read the sweep of `+experiment=strategy_showdown`, pair every preset with no spend, rank.

    journeysim -m +experiment=strategy_showdown
    python experiments/strategy_showdown/analyse.py [SWEEP_DIR] [--out DIR]

All strategies ran on the same seed, so replication r of each saw the same customers (common random numbers) and
differences are paired per replication (`journeysim.study.compare`). Writes into `results/`: `summary.csv` (headline
metrics per strategy, mean and 95% CI), `paired_vs_none.csv` (every strategy minus no spend: difference, 95% CI,
p-value, and the interval an unpaired Welch test would give), `ranking.csv` (by incremental profit and by
incremental ROI, with the probability of being best) and `run.json` (seed, replications, machine time).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sweep_results import Sweep, cli, paired_column, provenance, ratio_ci, write_csv, write_json

from journeysim.study import compare

NAME = "strategy_showdown"
COMMAND = "journeysim -m +experiment=strategy_showdown"
BASELINE = "none"
HEADLINE = (
    "spend",
    "new_prospects",
    "new_buyers",
    "conversion_rate",
    "purchases",
    "revenue",
    "margin",
    "profit",
    "clv",
    "retention_rate",
    "advocacy_balance",
)
INCREMENTAL = ("new_prospects", "new_buyers", "purchases", "revenue", "margin", "spend", "profit")


def _strategy_labels(sweep: Sweep) -> dict[str, str]:
    """Scenario label -> strategy preset name."""
    return {s: str(cfg["strategy"]["name"]) for s, cfg in sweep.configs.items()}


def paired_table(samples: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Every strategy minus `reference`, paired per replication, plus the half-width an unpaired test would give
    (Welch) and their ratio: how much common random numbers tighten the comparison."""
    with warnings.catch_warnings():  # spend is (nearly) constant per strategy: its t-test is degenerate, not wrong
        warnings.simplefilter("ignore", RuntimeWarning)
        paired = compare.paired_differences(samples, reference, list(INCREMENTAL))
        welch = compare.paired_differences(samples, reference, list(INCREMENTAL), paired=False)
    paired["ci_half_width"] = (paired["ci_high"] - paired["ci_low"]) / 2
    paired["welch_ci_half_width"] = ((welch["ci_high"] - welch["ci_low"]) / 2).to_numpy()
    paired["crn_width_ratio"] = paired["ci_half_width"] / paired["welch_ci_half_width"]
    return paired


def ranking_table(samples: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Strategies ranked by incremental profit (margin - spend over no spend; `reference` included at 0) and, among
    the strategies that spend, by incremental ROI per replication; with `p_best` (share of replications won) and
    `p_best_normal` (probability that the true mean is best), plus pooled iROAS and iROI with 95% CIs."""
    scenarios = [str(s) for s in pd.unique(samples["scenario"])]
    wide = []
    for sc in scenarios:
        part = samples[samples["scenario"] == sc][["scenario", "replication", "seed"]].copy()
        for c in ("revenue", "profit", "spend"):
            part[f"incremental_{c}"] = paired_column(samples, sc, reference, c).reindex(part["replication"]).to_numpy()
        part["incremental_roi"] = part["incremental_profit"] / part["incremental_spend"].where(
            part["incremental_spend"] > 0
        )
        wide.append(part)
    inc = pd.concat(wide, ignore_index=True)
    by_profit = compare.rank_scenarios(inc, "incremental_profit")
    by_profit.insert(0, "ranked_by", "incremental_profit")
    spenders = inc[inc["scenario"] != reference]
    by_roi = compare.rank_scenarios(spenders, "incremental_roi")
    by_roi.insert(0, "ranked_by", "incremental_roi")
    table = pd.concat([by_profit, by_roi], ignore_index=True)
    extra = {}
    for sc in scenarios:
        rows = inc[inc["scenario"] == sc].set_index("replication")
        iroas = ratio_ci(rows["incremental_revenue"], rows["incremental_spend"])
        iroi = ratio_ci(rows["incremental_profit"], rows["incremental_spend"])
        extra[sc] = {
            "spend": float(rows["incremental_spend"].mean()),
            "iroas": iroas[0],
            "iroas_ci_low": iroas[1],
            "iroas_ci_high": iroas[2],
            "iroi": iroi[0],
            "iroi_ci_low": iroi[1],
            "iroi_ci_high": iroi[2],
        }
    return table.join(pd.DataFrame.from_dict(extra, orient="index"), on="scenario")


def analyse(sweep: Sweep, out: Path) -> None:
    """Write the summary, the paired differences and the ranking; print the ranking and the CRN gain."""
    samples = sweep.samples.copy()
    samples["profit"] = samples["margin"] - samples["spend"]
    names = _strategy_labels(sweep)
    samples["scenario"] = samples["scenario"].map(names)
    if BASELINE not in set(samples["scenario"]):
        raise SystemExit(f"the sweep has no '{BASELINE}' job: it is the baseline every strategy is paired with")
    summary = compare.summary_table(samples, [m for m in HEADLINE if m in samples.columns])
    paired = paired_table(samples, BASELINE)
    ranking = ranking_table(samples, BASELINE)
    write_csv(summary, out / "summary.csv")
    write_csv(paired, out / "paired_vs_none.csv")
    write_csv(ranking, out / "ranking.csv")
    write_json(provenance(sweep, COMMAND), out / "run.json")

    cols = ["rank", "scenario", "mean", "std", "p_best", "p_best_normal", "spend", "iroas", "iroi"]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:,.4g}".format):
        for key, part in ranking.groupby("ranked_by", sort=False):
            print(f"ranked by {key} (mean over {int(part['n'].max())} paired replications):")
            print(part[cols].to_string(index=False), "\n")
        p = paired[paired["metric"] == "profit"]
        print("incremental profit vs no spend: paired 95% CI half-width vs unpaired (Welch):")
        print(p[["scenario", "difference", "ci_half_width", "welch_ci_half_width", "crn_width_ratio"]].to_string())
    print(f"\nwrote {out}/summary.csv, paired_vs_none.csv, ranking.csv, run.json")


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `analyse.py [SWEEP_DIR] [--out DIR]`."""
    cli(NAME, __doc__.splitlines()[0] if __doc__ else NAME, analyse, argv)


if __name__ == "__main__":
    main()
