"""A plain in-process grid: one base scenario, a list of variants, one tidy table of results.

Variants are those of `study.variants` (dotted keys or transforms). Every variant is built (and so validated)
before the first one runs, so a typo fails at once; variants run on the base scenario's seeds (common random
numbers). It is `batch.run_many` in this process: the same stacked passes and shared baselines, the table only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from journeysim.model.scenario import Scenario
from journeysim.study.batch import run_many
from journeysim.study.pipeline import BaselineSpec
from journeysim.study.variants import ALIASES, SUMMARY, Variant, apply, value_at

__all__ = ["ALIASES", "SUMMARY", "Variant", "apply", "run_grid", "value_at"]


def run_grid(
    base: Scenario,
    variants: Sequence[Variant],
    *,
    baseline: BaselineSpec = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run every variant of `base` and return a tidy table: one row per variant and metric, with columns `variant`
    (its position), `scenario`, one column per overridden key (each variant's value there, the base's where it
    sets none), `transform` (the function's name, when any variant is one), then `metric`, mean, std, ci_low,
    ci_high and replications. With a baseline (default: no spend when a variant spends) the incrementality metrics
    are rows too. `progress(done, total)` is called as variants finish.
    """
    return run_many(base, variants, baseline=baseline, progress=progress).table
