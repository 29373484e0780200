"""The touch-log switches (`outputs.touches`, `outputs.touch_sample`): checked, and read as the share logged."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from journeysim.config.problems import Problem


def touch_problems(data: Mapping[str, Any]) -> list[Problem]:
    """`outputs.touch_sample` must be a share in (0, 1]."""
    share = (data.get("outputs") or {}).get("touch_sample", 1.0)
    ok = isinstance(share, (int, float)) and not isinstance(share, bool) and math.isfinite(share) and 0 < share <= 1
    if ok:
        return []
    return [
        Problem(
            "outputs.touch_sample",
            f"{share!r} is not a share in (0, 1]",
            "give the share of customers whose touches are logged, e.g. outputs.touch_sample=0.1",
        )
    ]


def touch_share(outputs: Mapping[str, Any]) -> float | None:
    """The share of customers whose touches a run logs; None when `outputs.touches` is off."""
    if not outputs.get("touches", False):
        return None
    return float(outputs.get("touch_sample", 1.0))
