"""Survey metrics: Net Promoter Score and its shares as a survey of current customers would measure them.

Each customer's satisfaction (the customer-table column `effect_satisfaction`, `journey.satisfaction`) gives its
0-10 likelihood to recommend (`model.satisfaction.survey_score`); every current customer is surveyed: those whose
stage at the horizon is a conversion or post-purchase stage. All are NaN when satisfaction is off.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.records import Records
from journeysim.metrics.common import in_stages, ratio
from journeysim.model.satisfaction import SATISFACTION, survey_score


def surveyed_scores(records: Records) -> NDArray[np.float64] | None:
    """The 0-10 scores of the current customers at the horizon; None when the run has no satisfaction."""
    s = records.customers.effects.get(SATISFACTION)
    if s is None:
        return None
    current = tuple(i for i, p in enumerate(records.positions) if p == "post_purchase") + records.conversion
    return survey_score(s[in_stages(records.customers.final_stage, current)])


def _share(records: Records, low: float, high: float) -> float:
    scores = surveyed_scores(records)
    if scores is None:
        return math.nan
    return ratio(int(((scores >= low) & (scores <= high)).sum()), scores.size)


def promoter_share(records: Records) -> float:
    """Share of surveyed current customers scoring 9 or 10."""
    return _share(records, 9, 10)


def passive_share(records: Records) -> float:
    """Share of surveyed current customers scoring 7 or 8."""
    return _share(records, 7, 8)


def detractor_share(records: Records) -> float:
    """Share of surveyed current customers scoring 0 to 6."""
    return _share(records, 0, 6)


def nps(records: Records) -> float:
    """Net Promoter Score: 100 x (promoter_share - detractor_share), in [-100, 100]."""
    return 100.0 * (promoter_share(records) - detractor_share(records))
