"""One entry of the metric catalogue: how a metric is computed, its unit, label, format and direction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["higher", "lower"]

#: console format per unit, for metrics whose entry names none
_UNIT_FORMATS = {
    "share": "{:.2%}",
    "money": "{:,.0f}",
    "money / money": "{:.2f}",
    "days": "{:.1f}",
    "points (-100..100)": "{:.1f}",
    "purchases / customer": "{:.3f}",
}


@dataclass(frozen=True)
class Metric:
    """One metric: how it is computed (None: derived elsewhere), its unit, how people read it, which way is better.

    `labels` / `formats` override `label` / `fmt` in one view (e.g. "collect"), kept where views differ today.
    """

    name: str
    family: str
    unit: str
    direction: Direction
    description: str
    function: Callable[..., float] | None = None
    label: str = ""
    fmt: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    bounds: tuple[float, float] | None = None  # the range the value lives in; None: the unit's (`range_of`)

    def label_in(self, view: str | None = None) -> str:
        """The label in `view` (its override, else the label, else the name with spaces)."""
        return self.labels.get(view or "", self.label or self.name.replace("_", " "))

    def fmt_in(self, view: str | None = None) -> str:
        """The `str.format` pattern in `view` (its override, else the entry's, else the unit's, else 2 decimals)."""
        own = self.fmt or _UNIT_FORMATS.get(self.unit) or ("{:,.2f}" if self.unit.startswith("money") else "{:,.0f}")
        return self.formats.get(view or "", own)

    @property
    def higher_is_better(self) -> bool:
        """True when more of it is better (revenue), False for costs, times and losses."""
        return self.direction == "higher"
