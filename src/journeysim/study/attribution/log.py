"""One replication's touch log and customer paths, as a run keeps them (`outputs.touches`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeysim.engine.dynamics import Dynamics
from journeysim.engine.records import Records
from journeysim.engine.touches import touch_log
from journeysim.model.scenario import Scenario
from journeysim.study.attribution.paths import replication_paths


def replication_touches(
    scenario: Scenario, rec: Records, seed: np.random.SeedSequence, sample: float, replication: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(touches, path segments) of replication `replication` run on `seed`, `sample` of its customers logged."""
    log = touch_log(rec, Dynamics.compile(scenario), seed, sample)
    values = np.array([seg.order_value.mean for seg in scenario.population.segments], dtype=float)
    return replication_paths(rec, log, values, replication)
