"""Budget response: read the sweep of `+experiment=budget_response` and draw the strategy's response curve.

    journeysim -m +experiment=budget_response
    python experiments/budget_response/analyse.py [SWEEP_DIR] [--out DIR]

Every budget is paired per replication with the budget-0 job (the no-spend baseline, same seed) for the
incremental curve, and with the next lower budget for the marginal return of each budget step. Writes into
`results/`: `response_curve.csv` (one row per budget), `break_even.csv` (the budgets where the marginal and the
average return cross break-even), `response_curve.png` and `run.json` (seed, replications, machine time).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sweep_results import Sweep, cli, mean_ci, paired_column, provenance, ratio_ci, write_csv, write_json

NAME = "budget_response"
COMMAND = "journeysim -m +experiment=budget_response"
OUTCOMES = ("new_prospects", "new_buyers", "purchases", "revenue", "margin", "spend", "profit")


def budgets(sweep: Sweep) -> pd.Series:
    """Scenario label -> the strategy budget of its job, sorted by budget."""
    found = {s: float(cfg["strategy"]["budget"]) for s, cfg in sweep.configs.items()}
    return pd.Series(found).sort_values()


def response_curve(samples: pd.DataFrame, by_budget: pd.Series) -> pd.DataFrame:
    """One row per budget: spend, paired increments over budget 0 (mean and 95% CI), iROAS and incremental ROI,
    and the marginal ROAS / ROI of the step from the next lower budget (paired ratio of means, delta-method CI)."""
    if by_budget.iloc[0] != 0:
        raise SystemExit("the sweep needs a budget-0 job: it is the no-spend baseline every budget is paired with")
    base = str(by_budget.index[0])
    rows = []
    previous: str | None = None
    for label, budget in by_budget.items():
        row: dict[str, float | str] = {"budget": budget, "scenario": str(label)}
        d = {c: paired_column(samples, str(label), base, c) for c in OUTCOMES}
        row["n"] = float(len(d["revenue"]))
        for c in OUTCOMES:
            m, lo, hi = mean_ci(d[c])
            row[f"incremental_{c}"], row[f"incremental_{c}_ci_low"], row[f"incremental_{c}_ci_high"] = m, lo, hi
        for name, (num, den) in {"iroas": ("revenue", "spend"), "incremental_roi": ("profit", "spend")}.items():
            row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = ratio_ci(d[num], d[den])
        if previous is None:
            for name in ("marginal_roas", "marginal_roi"):
                row[name] = row[f"{name}_ci_low"] = row[f"{name}_ci_high"] = math.nan
        else:
            step = {c: paired_column(samples, str(label), previous, c) for c in ("revenue", "profit", "spend")}
            for name, num in {"marginal_roas": "revenue", "marginal_roi": "profit"}.items():
                row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = ratio_ci(step[num], step["spend"])
        rows.append(row)
        previous = str(label)
    out = pd.DataFrame(rows)
    out["n"] = out["n"].astype(int)
    if (out["budget"] == out["budget"].round()).all():
        out["budget"] = out["budget"].astype(int)
    return out


def _crossing(x: np.ndarray, y: np.ndarray, level: float) -> tuple[float, str]:
    """The first x where the piecewise-linear curve y(log x) falls through `level`, and a note when it does not
    cross within the budgets run (NaN budget then)."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return math.nan, "no estimate"
    if y[0] < level:
        return math.nan, f"below {x[0]:,.0f}: already under the threshold at the smallest budget"
    for i in range(1, len(x)):
        if y[i - 1] >= level > y[i]:
            lx = np.log(x[i - 1]) + (level - y[i - 1]) / (y[i] - y[i - 1]) * (np.log(x[i]) - np.log(x[i - 1]))
            return float(np.exp(lx)), "interpolated on log budget"
    return math.nan, f"above {x[-1]:,.0f}: still over the threshold at the largest budget"


def step_midpoints(budgets: np.ndarray) -> np.ndarray:
    """Where each budget step's marginal return is placed: the geometric mean of its two budgets (the arithmetic
    mean for the first step from 0)."""
    lows, highs = budgets[:-1], budgets[1:]
    return np.where(lows > 0, np.sqrt(np.maximum(lows, 1e-12) * highs), highs / 2)


def break_even(curve: pd.DataFrame, margin_rate: float) -> pd.DataFrame:
    """The budgets where returns cross break-even, interpolated on a log-budget axis.

    A step's marginal return is placed at `step_midpoints`. Thresholds: marginal ROI = 0 (marginal ROAS = 1 /
    margin rate: the profit-maximising budget), marginal ROAS = 1 (the last unit of money no longer returns its
    own revenue), and incremental ROI = 0 (the campaign as a whole stops paying for itself). With noisy steps the
    first crossing is reported.
    """
    steps = curve.iloc[1:]
    mid = step_midpoints(curve["budget"].to_numpy(float))
    spent = curve[curve["budget"] > 0]
    best = float(curve["budget"].iloc[int(np.argmax(curve["incremental_profit"].to_numpy(float)))])
    marginal = steps["marginal_roas"].to_numpy(float)
    rows = [
        (
            "marginal ROI = 0 (marginal ROAS = 1 / margin rate): the profit-maximising budget",
            1.0 / margin_rate,
            *_crossing(mid, marginal, 1.0 / margin_rate),
        ),
        (
            "marginal ROAS = 1: beyond it the last unit of money returns less than itself in revenue",
            1.0,
            *_crossing(mid, marginal, 1.0),
        ),
        (
            "incremental ROI = 0: beyond it the whole campaign loses money",
            math.nan,
            *_crossing(spent["budget"].to_numpy(float), spent["incremental_roi"].to_numpy(float), 0.0),
        ),
        ("largest incremental profit among the budgets run", math.nan, best, "observed"),
    ]
    return pd.DataFrame(rows, columns=["threshold", "marginal_roas_level", "budget", "note"])


def plot(curve: pd.DataFrame, margin_rate: float, path: Path) -> None:
    """Incremental revenue and profit against budget, and the marginal ROAS of each step (a small PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=80)
    k = curve["budget"] / 1000
    for col, label in (("incremental_revenue", "incremental revenue"), ("incremental_profit", "incremental profit")):
        ax1.plot(k, curve[col] / 1000, marker="o", label=label)
        ax1.fill_between(k, curve[f"{col}_ci_low"] / 1000, curve[f"{col}_ci_high"] / 1000, alpha=0.2)
    ax1.axhline(0, color="grey", lw=0.8)
    ax1.set(xlabel="budget (thousands)", ylabel="thousands", title="response curve (vs no spend)")
    ax1.legend(fontsize=8)
    steps = curve.iloc[1:]
    roas = steps["marginal_roas"]
    ax2.errorbar(
        step_midpoints(curve["budget"].to_numpy(float)) / 1000,
        roas,
        yerr=[roas - steps["marginal_roas_ci_low"], steps["marginal_roas_ci_high"] - roas],
        marker="o",
        capsize=3,
        label="marginal ROAS of each budget step (at its midpoint)",
    )
    ax2.axhline(1 / margin_rate, color="tab:red", ls="--", lw=1, label=f"break-even on margin (1/{margin_rate:.2f})")
    ax2.axhline(1, color="grey", ls=":", lw=1, label="ROAS = 1")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set(xlabel="budget (thousands, log)", ylabel="marginal ROAS (log)", title="saturation")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def analyse(sweep: Sweep, out: Path) -> None:
    """Write the response curve, the break-even budgets and the chart; print the curve."""
    samples = sweep.samples.copy()
    samples["profit"] = samples["margin"] - samples["spend"]
    by_budget = budgets(sweep)
    curve = response_curve(samples, by_budget)
    margin_rate = float(samples["margin"].sum() / samples["revenue"].sum())
    even = break_even(curve, margin_rate)
    write_csv(curve, out / "response_curve.csv")
    write_csv(even, out / "break_even.csv")
    plot(curve, margin_rate, out / "response_curve.png")
    write_json({**provenance(sweep, COMMAND), "margin_rate": round(margin_rate, 4)}, out / "run.json")
    cols = [
        "budget",
        "incremental_new_buyers",
        "incremental_purchases",
        "incremental_revenue",
        "incremental_profit",
        "iroas",
        "incremental_roi",
        "marginal_roas",
        "marginal_roi",
    ]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:,.3g}".format):
        print(curve[cols].to_string(index=False))
        print(f"\nmargin rate {margin_rate:.3f}: break-even marginal ROAS {1 / margin_rate:.2f}")
        print(even.to_string(index=False))
    print(f"\nwrote {out}/response_curve.csv, break_even.csv, response_curve.png, run.json")


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `analyse.py [SWEEP_DIR] [--out DIR]`."""
    cli(NAME, __doc__.splitlines()[0] if __doc__ else NAME, analyse, argv)


if __name__ == "__main__":
    main()
