"""A plain in-process grid: one base scenario, a list of variants, one tidy table of results.

A variant is either a mapping of dotted keys to values, applied to the `Scenario` dataclasses (`settings.seed`,
`sim.replications` (`sim` is the config's name for `settings`), `journey.rates.awareness.interest`,
`strategy.plans.0.budget`: dataclass fields, mapping keys and tuple indices), or a function `Scenario -> Scenario`.
Every variant is built (and so validated) before the first one runs, so a typo fails at once. Each runs through
`journeysim.study.pipeline.run_study` on the base scenario's seeds, so variants are compared on common random
numbers. The seed of a later batch runner; sweeps over the configs stay with `journeysim -m`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from journeysim.model.scenario import Scenario
from journeysim.study.keys import ALIASES, Variant, apply, value_at
from journeysim.study.pipeline import BaselineSpec, StudyResult, run_study

__all__ = ["ALIASES", "SUMMARY", "Variant", "apply", "run_grid", "value_at"]

#: The summary columns of each metric row.
SUMMARY = ("mean", "std", "ci_low", "ci_high", "replications")


def _label(variant: Variant) -> str:
    return getattr(variant, "__name__", repr(variant)) if callable(variant) else ""


def _rows(study: StudyResult) -> list[dict[str, Any]]:
    """One row per metric of the run (metrics.json), then per incrementality metric when there is a baseline."""
    metrics = dict(study.metrics)
    if study.incrementality is not None:
        metrics.update(study.incrementality.metrics)
    return [{"metric": name, **{c: getattr(m, c) for c in SUMMARY}} for name, m in metrics.items()]


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
    are rows too. `progress(done, total)` is called after each variant.
    """
    scenarios = [apply(base, v) for v in variants]  # all built (and checked) before anything runs
    keys = list(dict.fromkeys(k for v in variants if not callable(v) for k in v))
    transforms = any(callable(v) for v in variants)
    rows: list[dict[str, Any]] = []
    for i, (variant, scenario) in enumerate(zip(variants, scenarios, strict=True)):
        study = run_study(scenario, baseline, bottlenecks=False)
        params: dict[str, Any] = {"variant": i, "scenario": scenario.name}
        params.update({k: value_at(scenario, k) for k in keys})
        if transforms:
            params["transform"] = _label(variant)
        rows += [{**params, **row} for row in _rows(study)]
        if progress is not None:
            progress(i + 1, len(variants))
    columns = ["variant", "scenario", *keys, *(["transform"] if transforms else []), "metric", *SUMMARY]
    return pd.DataFrame(rows, columns=columns)
