"""The tidy table of a set of variants' studies (shared by `grid.run_grid` and `batch.run_many`).

A variant is either a mapping of dotted keys to values, applied to the `Scenario` dataclasses (`study/keys.py`:
`settings.seed`, `journey.rates.awareness.interest`, `strategy.plans.0.budget`), or a function `Scenario -> Scenario`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from journeysim.model.scenario import Scenario
from journeysim.study.keys import ALIASES, Variant, apply, value_at
from journeysim.study.pipeline import StudyResult

__all__ = ["ALIASES", "SUMMARY", "Variant", "apply", "tidy_table", "value_at"]

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


def tidy_table(
    variants: Sequence[Variant], scenarios: Sequence[Scenario], studies: Sequence[StudyResult]
) -> pd.DataFrame:
    """One row per variant and metric: `variant` (its position), `scenario`, one column per overridden key (each
    variant's value there, the base's where it sets none), `transform` (when any variant is one), then `metric`,
    mean, std, ci_low, ci_high and replications."""
    keys = list(dict.fromkeys(k for v in variants if not callable(v) for k in v))
    transforms = any(callable(v) for v in variants)
    rows: list[dict[str, Any]] = []
    for i, (variant, scenario, study) in enumerate(zip(variants, scenarios, studies, strict=True)):
        params: dict[str, Any] = {"variant": i, "scenario": scenario.name}
        params.update({k: value_at(scenario, k) for k in keys})
        if transforms:
            params["transform"] = _label(variant)
        rows += [{**params, **row} for row in _rows(study)]
    columns = ["variant", "scenario", *keys, *(["transform"] if transforms else []), "metric", *SUMMARY]
    return pd.DataFrame(rows, columns=columns)
