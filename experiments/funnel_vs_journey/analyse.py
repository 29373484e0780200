"""Funnel vs journey: read the sweep of `+experiment=funnel_vs_journey` and explain why the two models differ.

    journeysim -m +experiment=funnel_vs_journey
    python experiments/funnel_vs_journey/analyse.py [SWEEP_DIR] [--out DIR]

Writes into `results/`: `metrics.csv` (headline metrics per journey and strategy, mean and 95% CI),
`incremental.csv` (the `balanced` strategy against no spend, paired per replication, per journey),
`structure.csv` (closed-form numbers of the customer journey with its non-linear edges removed one feature at a
time, down to a linear funnel, next to the shipped marketing funnel), `visits.csv` (expected visits per stage),
`decomposition.csv` (what a prospect is worth in closed form, and the incremental purchases split into those of
the extra prospects and those of the rate lifts) and `run.json` (seed, replications, machine time).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sweep_results import Sweep, cli, mean_ci, paired_column, provenance, ratio_ci, write_csv, write_json

from journeysim import analytic
from journeysim.model import Journey
from journeysim.study import compare

NAME = "funnel_vs_journey"
COMMAND = "journeysim -m +experiment=funnel_vs_journey"
STRATEGY = "balanced"
BASELINE = "none"

#: headline metrics compared between the two models (per scenario, mean and 95% CI)
HEADLINE = (
    "new_prospects",
    "prospects",
    "new_buyers",
    "conversion_rate",
    "sales_cycle_days_mean",
    "sales_cycle_days_median",
    "purchases",
    "purchases_per_buyer",
    "repeat_purchase_rate",
    "revenue",
    "margin",
    "clv",
    "retention_rate",
    "advocacy_balance",
    "spend",
    "roas",
)

#: outcomes differenced between the strategy and no spend (same journey, same seed)
INCREMENTAL = ("new_prospects", "new_buyers", "purchases", "revenue", "margin", "spend", "profit")

#: The customer journey's non-linear features, each as moves (from, to, redirected to): removing a feature sends
#: its hazard where a linear funnel would put the customer, so every stage keeps its mean stay (total rate).
FEATURES: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "back-transitions become drop-outs",  # a linear funnel has no way back: a step back is a loss
        (
            ("interest", "awareness", "churned"),
            ("consideration", "interest", "churned"),
            ("intent", "consideration", "churned"),
        ),
    ),
    ("no skipping intent", (("consideration", "purchase", "intent"),)),
    ("no re-evaluation (loyalty -> consideration is a loss)", (("loyalty", "consideration", "churned"),)),
    ("no repeat purchase straight after the first", (("post_purchase", "purchase", "loyalty"),)),
)


def redirect(journey: Journey, moves: Sequence[tuple[str, str, str]], name: str) -> Journey:
    """The journey with each (from, to) hazard moved to (from, redirected-to); other rates unchanged."""
    rates = {s: dict(r) for s, r in journey.rates.items()}
    for src, dst, new in moves:
        rate = rates[src].pop(dst)
        rates[src][new] = rates[src].get(new, 0.0) + rate
    return dataclasses.replace(journey, rates=rates, name=name)


def structure_table(journey: Journey, funnel: Journey, horizon: float) -> pd.DataFrame:
    """Closed-form numbers per customer entering at the top: the journey, each feature removed cumulatively, and
    the shipped funnel. Columns: model, conversion probability, days to purchase, purchases within the horizon,
    purchases per buyer, expected visits to the entry stage, expected days in the journey."""
    steps = [("customer_journey", journey)]
    current = journey
    for label, moves in FEATURES:
        current = redirect(current, moves, f"- {label}")
        steps.append((current.name, current))
    steps.append(("marketing_funnel (shipped)", funnel))
    rows = []
    for label, j in steps:
        s = analytic.summary(j, horizon=horizon)
        visits = analytic.expected_visits(j)
        rows.append(
            {
                "model": label,
                "conversion_probability": s["conversion_probability"],
                "expected_days_to_purchase": s["expected_days_to_purchase"],
                "expected_purchases_within_horizon": s["expected_purchases_within_horizon"],
                "purchases_per_buyer": s["purchases_per_buyer"],
                "entry_stage_visits": float(visits[j.entry]),
                "expected_lifetime_days": s["expected_lifetime_days"],
            }
        )
    return pd.DataFrame(rows)


def visits_table(journey: Journey, funnel: Journey) -> pd.DataFrame:
    """Expected visits (entries, the first one counted) per stage for one customer entering each model."""
    a = analytic.expected_visits(journey).rename("customer_journey")
    b = analytic.expected_visits(funnel).rename("marketing_funnel")
    return pd.concat([a, b], axis=1).reset_index()


def prospect_value(journey: Journey, horizon: int) -> tuple[float, float]:
    """(P(buying), expected purchases) within the horizon for a prospect arriving on a uniformly random day: the
    closed-form values for a prospect entering on day d with horizon - d - 1/2 days left, averaged over days."""
    left = [horizon - d - 0.5 for d in range(horizon)]
    conv = sum(analytic.conversion_probability(journey, horizon=t) for t in left) / horizon
    buys = sum(analytic.expected_purchases(journey, horizon=t) for t in left) / horizon
    return conv, buys


def decomposition_table(
    journeys: dict[str, Journey], horizon: int, inc: pd.DataFrame, metrics: pd.DataFrame
) -> pd.DataFrame:
    """Per journey: what a prospect is worth (closed form, next to the simulated no-spend conversion rate), and the
    strategy's incremental purchases split into those of its extra prospects (extra prospects x purchases per
    prospect, uniform arrivals assumed) and the rest, which its rate lifts won from people already in the journey."""
    rows = []
    for name, journey in journeys.items():
        conv, buys = prospect_value(journey, horizon)
        value = inc[inc["journey"] == name].set_index("metric")["mean"]
        simulated = metrics[(metrics["journey"] == name) & (metrics["strategy"] == BASELINE)].set_index("metric")
        extra = float(value["incremental_new_prospects"]) * buys
        rows.append(
            {
                "journey": name,
                "analytic_conversion_within_horizon": conv,
                "simulated_conversion_rate_no_spend": float(simulated["mean"]["conversion_rate"]),
                "analytic_purchases_per_prospect_within_horizon": buys,
                "incremental_new_prospects": float(value["incremental_new_prospects"]),
                "incremental_purchases": float(value["incremental_purchases"]),
                "purchases_from_extra_prospects": extra,
                "purchases_from_rate_lifts": float(value["incremental_purchases"]) - extra,
            }
        )
    return pd.DataFrame(rows)


def _label(sweep: Sweep, journey: str, strategy: str) -> str:
    for scenario, cfg in sweep.configs.items():
        if cfg["journey"]["name"] == journey and cfg["strategy"]["name"] == strategy:
            return scenario
    raise SystemExit(f"the sweep has no job with journey={journey} strategy={strategy}")


def incremental_table(samples: pd.DataFrame, pairs: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Per journey: paired increments of the strategy over no spend (mean, 95% CI) and the ratios iROAS,
    incremental CAC and ROI (ratio of means with a delta-method interval); n = paired replications."""
    rows = []
    for journey, (treated, base) in pairs.items():
        d = {c: paired_column(samples, treated, base, c) for c in INCREMENTAL}
        n = len(d["revenue"])
        for c in INCREMENTAL:
            m, lo, hi = mean_ci(d[c])
            rows.append((journey, f"incremental_{c}", m, lo, hi, n))
        ratios = {
            "iroas": (d["revenue"], d["spend"]),
            "incremental_cac": (d["spend"], d["new_buyers"]),
            "incremental_roi": (d["profit"], d["spend"]),
            "incremental_purchases_per_new_prospect": (d["purchases"], d["new_prospects"]),
        }
        for name, (num, den) in ratios.items():
            rows.append((journey, name, *ratio_ci(num, den), n))
    return pd.DataFrame(rows, columns=["journey", "metric", "mean", "ci_low", "ci_high", "n"])


def analyse(sweep: Sweep, out: Path) -> None:
    """Write the result tables and print the headline comparison."""
    samples = sweep.samples.copy()
    samples["profit"] = samples["margin"] - samples["spend"]
    journeys = ("marketing_funnel", "customer_journey")
    labels = {(j, s): _label(sweep, j, s) for j in journeys for s in (BASELINE, STRATEGY)}
    summary = compare.summary_table(samples, [m for m in HEADLINE if m in samples.columns])
    by_label = {v: k for k, v in labels.items()}
    summary.insert(0, "strategy", [by_label[s][1] for s in summary["scenario"]])
    summary.insert(0, "journey", [by_label[s][0] for s in summary["scenario"]])
    metrics = summary.drop(columns=["scenario"])
    inc = incremental_table(samples, {j: (labels[j, STRATEGY], labels[j, BASELINE]) for j in journeys})

    cfg_j = sweep.configs[labels["customer_journey", BASELINE]]
    cfg_f = sweep.configs[labels["marketing_funnel", BASELINE]]
    journey, funnel = Journey.from_dict(cfg_j["journey"]), Journey.from_dict(cfg_f["journey"])
    horizon = int(cfg_j["sim"]["horizon_days"])
    structure = structure_table(journey, funnel, horizon)
    visits = visits_table(journey, funnel)
    parts = decomposition_table({"marketing_funnel": funnel, "customer_journey": journey}, horizon, inc, metrics)

    write_csv(metrics, out / "metrics.csv")
    write_csv(inc, out / "incremental.csv")
    write_csv(structure, out / "structure.csv")
    write_csv(visits, out / "visits.csv")
    write_csv(parts, out / "decomposition.csv")
    write_json(provenance(sweep, COMMAND), out / "run.json")

    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:,.4g}".format):
        wide = metrics[metrics["strategy"] == STRATEGY].pivot(index="metric", columns="journey", values="mean")
        print(f"{STRATEGY} strategy, mean of {int(metrics['n'].max())} replications:")
        print(wide.loc[[m for m in HEADLINE if m in wide.index], list(journeys)])
        print("\nincremental over no spend (paired, 95% CI):")
        wide_inc = inc.pivot(index="metric", columns="journey", values="mean")
        print(wide_inc.loc[list(dict.fromkeys(inc["metric"])), list(journeys)])
        print("\nclosed form, one customer entering at the top (analytic module):")
        print(structure.set_index("model"))
        print("\nwhere the incremental purchases come from:")
        print(parts.set_index("journey").T)
    print(f"\nwrote {out}/metrics.csv, incremental.csv, structure.csv, visits.csv, decomposition.csv, run.json")


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `analyse.py [SWEEP_DIR] [--out DIR]`."""
    cli(NAME, __doc__.splitlines()[0] if __doc__ else NAME, analyse, argv)


if __name__ == "__main__":
    main()
