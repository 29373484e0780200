"""The league table: each method's credit per channel against the true incremental conversions of that channel
(the scenario minus the scenario without it, re-simulated on the same random numbers), per replication.

bias = credited - true, per (method, channel, replication); the table gives its mean and 95% CI over replications,
per channel and, as channel `(all)`, the sum over channels of |bias|. Methods share every touched conversion, so
when every channel is over-credited that sum is the same for all of them; the league therefore ranks by the
share error: half the sum over channels of |credited share - true share| (0: the method splits credit in the
proportions of the true incremental purchases; 1: entirely wrong), the error that misallocates a budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from journeysim.metrics.summary import summarise_one
from journeysim.study.attribution.methods import rule_credit, table_markov, table_rule
from journeysim.study.attribution.paths import path_table

ALL = "(all)"
#: the engine's own one-step attribution: conversions whose purchase move fell in a channel's thinning band
CAUSED = "caused_purchase"
TRUTH = "removal_purchases"
COLUMNS = (
    "method", "channel", "credited", "true_incremental", "bias", "bias_ci_low", "bias_ci_high", "relative_bias",
    "credited_share", "true_share", "share_error", "share_error_ci_low", "share_error_ci_high", "replications",
)  # fmt: skip


def caused_credit(touches: pd.DataFrame, n_channels: int) -> np.ndarray:
    """Per channel: purchases whose own move a channel caused (its caused touch at the purchase's time)."""
    hit = touches["caused"].to_numpy(dtype=bool) & touches["converted"].to_numpy(dtype=bool)
    hit &= (touches["time"] == touches["conversion_time"]).to_numpy()
    code = touches["channel"].cat.codes.to_numpy()[hit]
    return np.bincount(code, minlength=n_channels)[:n_channels].astype(float)


def credits(
    touches: pd.DataFrame, segments: pd.DataFrame, channels: Sequence[str], methods: Sequence[str], sample: float = 1.0
) -> pd.DataFrame:
    """One row per (method, replication, channel): conversions credited, scaled up by 1 / `sample`."""
    rows = []
    reps = sorted(set(segments["replication"].tolist()) | set(touches["replication"].tolist()))
    for rep in reps:
        t = touches[touches["replication"] == rep]
        table = path_table(segments[segments["replication"] == rep])
        per: dict[str, np.ndarray] = {}
        for m in methods:
            per[m] = table_markov(table, channels) if m == "markov" else rule_credit(t, m, len(channels))
        per[CAUSED] = caused_credit(t, len(channels))
        for m, values in per.items():
            for c, name in enumerate(channels):
                rows.append({"method": m, "replication": rep, "channel": name, "credited": values[c] / sample})
    return pd.DataFrame(rows, columns=["method", "replication", "channel", "credited"])


def table_credits(
    paths: pd.DataFrame, channels: Sequence[str], methods: Sequence[str], sample: float = 1.0
) -> pd.DataFrame:
    """`credits` from a path table alone (path, total_conversions, total_null; `replication` optional, else 0):
    no touch times, so time decay counts one step as one day. A table of a sampled run (`sample` < 1: the share of
    customers logged) holds that share of the paths: credits are scaled up by 1 / `sample`, like `credits`."""
    table = paths if "replication" in paths.columns else paths.assign(replication=0)
    rows = []
    for rep, t in table.groupby("replication", sort=True):
        for m in methods:
            values = table_markov(t, channels) if m == "markov" else table_rule(t, m, channels)
            for c, name in enumerate(channels):
                rows.append({"method": m, "replication": rep, "channel": name, "credited": float(values[c]) / sample})
    return pd.DataFrame(rows, columns=["method", "replication", "channel", "credited"])


def league(credit: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The league table (`COLUMNS`) from `credits` and the truth (replication, channel, removal_purchases)."""
    both = credit.merge(truth[["replication", "channel", TRUTH]], on=["replication", "channel"], how="inner")
    both["bias"] = both["credited"] - both[TRUTH]
    keys = ["method", "replication"]
    both["credited_share"] = both["credited"] / both.groupby(keys)["credited"].transform("sum")
    both["true_share"] = both[TRUTH] / both.groupby(keys)[TRUTH].transform("sum")
    both["share_error"] = (both["credited_share"] - both["true_share"]).abs()
    rows = []
    for (method, channel), g in both.groupby(["method", "channel"], sort=False):
        rows.append(_row(str(method), str(channel), g))
    for method, g in both.groupby("method", sort=False):
        cols = ["credited", TRUTH, "abs_bias", "credited_share", "true_share", "share_error"]
        per_rep = g.assign(abs_bias=g["bias"].abs()).groupby("replication")[cols].sum()
        per_rep["share_error"] /= 2.0
        per_rep = per_rep.rename(columns={"abs_bias": "bias"}).reset_index()
        rows.append(_row(str(method), ALL, per_rep))
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    total = out[out["channel"] == ALL].set_index("method")["share_error"]
    out["rank"] = out["method"].map(total.rank(method="min")).astype(int)
    return out.sort_values(["rank", "method", "channel"], kind="stable").reset_index(drop=True)


def _row(method: str, channel: str, g: pd.DataFrame) -> dict[str, object]:
    s = summarise_one(g["bias"].to_numpy(dtype=float))
    e = summarise_one(g["share_error"].to_numpy(dtype=float))
    truth = float(g[TRUTH].mean())
    return {
        "method": method,
        "channel": channel,
        "credited": float(g["credited"].mean()),
        "true_incremental": truth,
        "bias": s.mean,
        "bias_ci_low": s.ci_low,
        "bias_ci_high": s.ci_high,
        "relative_bias": s.mean / truth if truth != 0 else float("nan"),
        "credited_share": float(g["credited_share"].mean()),
        "true_share": float(g["true_share"].mean()),
        "share_error": e.mean,
        "share_error_ci_low": e.ci_low,
        "share_error_ci_high": e.ci_high,
        "replications": s.replications,
    }
