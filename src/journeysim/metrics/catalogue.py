"""The metric catalogue: every metric journeysim writes, defined once (function, unit, label, format, direction).

Tables, the console, comparisons, sweeps and objectives read names, labels, formats, directions and their default
selections from here. Adding a metric: its function in its family module plus one `_add(Metric(...))` line below
(and a row in docs/metrics.md, which a test checks). Formulas in words: docs/metrics.md, docs/comparison.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from journeysim.metrics import acquisition, lifecycle, spend, value
from journeysim.metrics.funnel import stage_advances
from journeysim.registry import Registry

Direction = Literal["higher", "lower"]

#: families whose metrics are scalars of metrics.json; "incremental" and "channel" live in incrementality.json
RUN_FAMILIES = ("acquisition", "funnel", "lifecycle", "value", "spend")
FAMILIES = (*RUN_FAMILIES, "incremental", "channel")
REACH_PREFIX = "reach."

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


CATALOGUE: Registry[Metric] = Registry("metric")


def _add(m: Metric) -> None:
    if m.family not in FAMILIES:
        raise ValueError(f"metric {m.name!r}: unknown family {m.family!r}")
    CATALOGUE.add(m.name, m)


A, F, L, V, S, INC, CH = "acquisition", "funnel", "lifecycle", "value", "spend", "incremental", "channel"
HI: Direction = "higher"
LO: Direction = "lower"
CUST, PURCH, SHARE, MONEY = "customers", "purchases", "share", "money"

# --- metrics.json, in its order: record metrics, reach.<stage>, spend and the spend-based metrics ---------------
_add(Metric("customers", A, CUST, HI, "everyone simulated: present at day 0 plus arrivals", acquisition.customers))
_add(
    Metric(
        "new_prospects", A, CUST, HI, "new prospects who arrived within the horizon (leads)", acquisition.new_prospects
    )
)
_add(Metric("prospects", A, CUST, HI, "customers whose start stage is pre-purchase", acquisition.prospects))
_add(
    Metric(
        "purchases", A, PURCH, HI, "entries into a conversion stage, repeat purchases included", acquisition.purchases
    )
)
_add(Metric("buyers", A, CUST, HI, "customers with at least one purchase", acquisition.buyers))
_add(
    Metric("new_buyers", A, CUST, HI, "prospects who bought at least once (acquired customers)", acquisition.new_buyers)
)
_add(
    Metric(
        "conversion_rate",
        A,
        SHARE,
        HI,
        "new buyers / prospects",
        acquisition.conversion_rate,
        label="conversion rate",
        labels={"collect": "conv. rate"},
    )
)
_add(
    Metric(
        "purchases_per_customer",
        L,
        "purchases / customer",
        HI,
        "purchases / customers",
        lifecycle.purchases_per_customer,
    )
)
_add(Metric("purchases_per_buyer", L, "purchases / customer", HI, "purchases / buyers", lifecycle.purchases_per_buyer))
_add(
    Metric(
        "repeat_purchase_rate",
        L,
        SHARE,
        HI,
        "buyers with two or more purchases / buyers",
        lifecycle.repeat_purchase_rate,
        label="repeat-purchase rate",
    )
)
_add(
    Metric(
        "sales_cycle_days_mean",
        A,
        "days",
        LO,
        "mean days from first contact to first purchase",
        acquisition.sales_cycle_days_mean,
        label="sales cycle, mean days",
    )
)
_add(
    Metric(
        "sales_cycle_days_median",
        A,
        "days",
        LO,
        "median days from first contact to first purchase",
        acquisition.sales_cycle_days_median,
    )
)
_add(
    Metric(
        "sales_cycle_days_p90",
        A,
        "days",
        LO,
        "90th percentile of days from first contact to first purchase",
        acquisition.sales_cycle_days_p90,
    )
)
_add(Metric("dropout_rate", A, SHARE, LO, "prospects who left without buying / prospects", acquisition.dropout_rate))
_add(
    Metric(
        "customer_churn_rate",
        L,
        SHARE,
        LO,
        "buyers who ended in a terminal stage / buyers",
        lifecycle.customer_churn_rate,
    )
)
_add(Metric("retention_rate", L, SHARE, HI, "1 - customer_churn_rate", lifecycle.retention_rate))
_add(Metric("revenue", V, MONEY, HI, "order values of all purchases", value.revenue))
_add(Metric("margin", V, MONEY, HI, "revenue x segment margin", value.margin))
_add(Metric("aov", V, "money / purchase", HI, "average order value: revenue / purchases", value.aov))
_add(
    Metric(
        "clv",
        V,
        "money / customer",
        HI,
        "discounted margin per acquired customer, within the horizon",
        value.clv,
        label="CLV per new buyer (horizon)",
    )
)
_add(
    Metric(
        "nps",
        L,
        "points (-100..100)",
        HI,
        "promoters minus detractors among buyers (a proxy, not a survey)",
        lifecycle.nps,
        label="NPS proxy",
    )
)
_add(Metric("stage_advances", F, "stages", HI, "sum of the funnel table's advanced column", stage_advances))
_add(Metric(f"{REACH_PREFIX}<stage>", A, SHARE, HI, "prospects who ever visited the stage / prospects"))
_add(Metric("spend", S, MONEY, LO, "media spend", label="marketing spend"))
_add(Metric("cpl", S, "money / customer", LO, "spend / new prospects", spend.cpl))
_add(Metric("cpa", S, "money / purchase", LO, "spend / purchases", spend.cpa, label="cost per acquisition"))
_add(Metric("cac", S, "money / customer", LO, "spend / new buyers", spend.cac))
_add(Metric("roas", S, "money / money", HI, "revenue / spend", spend.roas, label="ROAS"))
_add(Metric("profit", S, MONEY, HI, "margin - spend", spend.profit))
_add(Metric("roi", S, "money / money", HI, "(margin - spend) / spend", spend.roi, label="ROI"))
_add(Metric("cost_per_stage_advance", S, "money / stage", LO, "spend / stage advances", spend.cost_per_stage_advance))

# --- incrementality.json: the scenario against its baseline on the same seeds (study.incrementality) ----------
_add(Metric("incremental_purchases", INC, PURCH, HI, "purchases(scenario) - purchases(baseline)"))
_add(Metric("incremental_new_buyers", INC, CUST, HI, "new buyers(scenario) - new buyers(baseline)"))
_add(Metric("incremental_revenue", INC, MONEY, HI, "revenue(scenario) - revenue(baseline)"))
_add(Metric("incremental_margin", INC, MONEY, HI, "margin(scenario) - margin(baseline)"))
_add(Metric("incremental_spend", INC, MONEY, LO, "spend(scenario) - spend(baseline)"))
_add(
    Metric(
        "incremental_profit",
        INC,
        MONEY,
        HI,
        "incremental margin - incremental spend",
        label="incremental profit (margin - spend)",
    )
)
_add(
    Metric(
        "iroas",
        INC,
        "money / money",
        HI,
        "incremental revenue / incremental spend",
        label="iROAS",
        labels={"baseline": "iROAS (revenue / spend)"},
    )
)
_add(
    Metric(
        "incremental_cac",
        INC,
        "money / customer",
        LO,
        "incremental spend / incremental new buyers",
        label="incremental CAC (spend / new buyer)",
    )
)
_add(
    Metric(
        "incremental_roi",
        INC,
        "money / money",
        HI,
        "(incremental margin - incremental spend) / incremental spend",
        label="incremental ROI",
    )
)

# --- per channel: removal effect (without the channel) and marginal step (its budget x (1 + step)) ------------
for _x, _unit in (("purchases", PURCH), ("new_buyers", CUST), ("revenue", MONEY), ("margin", MONEY), ("spend", MONEY)):
    _add(
        Metric(
            f"removal_{_x}",
            CH,
            _unit,
            LO if _x == "spend" else HI,
            f"{_x}(scenario) - {_x}(scenario without the channel)",
            label=f"removal: {_x.replace('_', ' ')}",
        )
    )
_add(Metric("removal_iroas", CH, "money / money", HI, "removal revenue / removal spend", label="removal iROAS"))
for _x, _unit in (("spend", MONEY), ("purchases", PURCH), ("new_buyers", CUST), ("revenue", MONEY), ("margin", MONEY)):
    _add(
        Metric(
            f"marginal_{_x}",
            CH,
            _unit,
            LO if _x == "spend" else HI,
            f"{_x}(channel budget stepped up) - {_x}(scenario)",
        )
    )
_add(Metric("marginal_profit", CH, MONEY, HI, "marginal margin - marginal spend"))
_add(Metric("marginal_roas", CH, "money / money", HI, "marginal revenue / marginal spend", label="marginal ROAS"))
_add(Metric("marginal_roi", CH, "money / money", HI, "(marginal margin - marginal spend) / marginal spend"))


def _words(text: str) -> tuple[str, ...]:
    """Metric names written as one space-separated string (long view lists stay readable)."""
    return tuple(text.split())


#: default selections, in display order: which metrics each view shows when the user names none
VIEWS: dict[str, tuple[str, ...]] = {
    # `journeysim` run summary on the console (spend-family rows only when the strategy spends)
    "console": _words(
        "customers buyers purchases conversion_rate purchases_per_customer repeat_purchase_rate sales_cycle_days_mean "
        "retention_rate revenue clv nps spend cpa roas roi"
    ),
    # the run report's headline table (the meaning column is the entry's description)
    "report": _words(
        "customers new_prospects purchases new_buyers conversion_rate sales_cycle_days_median dropout_rate "
        "customer_churn_rate repeat_purchase_rate revenue margin aov clv nps spend cac cpa roas roi"
    ),
    # `journeysim compare` console tables
    "compare": ("purchases", "new_buyers", "conversion_rate", "revenue", "spend", "roi"),
    # comparison.html charts (then the report headline, up to 9)
    "comparison_page": ("purchases", "new_buyers", "conversion_rate", "revenue", "margin", "clv", "cac", "roas", "roi"),
    # `journeysim collect` sweep console table
    "collect": ("purchases", "conversion_rate", "revenue", "iroas"),
    # what a sweep job returns to Hydra when no objective is set (cli/task.py)
    "task": ("conversion_rate", "purchases", "revenue", "clv"),
    # the incrementality console table (ratios: pooled estimate) and its per-channel table (cli/baseline.py)
    "baseline": _words(
        "incremental_purchases incremental_new_buyers incremental_revenue incremental_spend incremental_profit iroas "
        "incremental_cac incremental_roi"
    ),
    "channel": ("removal_purchases", "removal_revenue", "removal_iroas", "marginal_roas"),
}
for _view, _names in VIEWS.items():
    for _name in _names:
        CATALOGUE.get(_name, f"VIEWS[{_view!r}]")
del _x, _unit, _view, _names, _name


def find(name: str) -> Metric | None:
    """The entry of `name` (`reach.<stage>` names resolve to the reach pattern), or None for unknown names."""
    if name.startswith(REACH_PREFIX):
        name = f"{REACH_PREFIX}<stage>"
    return CATALOGUE.get(name) if name in CATALOGUE else None


def metric(name: str, setting: str = "metric") -> Metric:
    """The entry of `name`; an unknown name is a `ConfigError` on `setting` with a did-you-mean."""
    found = find(name)
    return found if found is not None else CATALOGUE.get(name, setting)


def label(name: str, view: str | None = None) -> str:
    """How people read the metric's name (in `view`, where a view has its own text)."""
    return metric(name).label_in(view)


def fmt(name: str, value: object, view: str | None = None, missing: str = "n/a") -> str:
    """`value` formatted for the console (in `view`); `missing` for None, NaN, infinities and non-numbers."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return missing
    return metric(name).fmt_in(view).format(value)


def direction(name: str) -> Direction:
    """'higher' when more is better, 'lower' for costs, times and losses."""
    return metric(name).direction


def headline(view: str) -> tuple[str, ...]:
    """The metric names `view` shows by default, in display order."""
    return VIEWS[view]


def names(family: str | None = None) -> tuple[str, ...]:
    """Catalogue names (of one family, or all), in catalogue order; the reach family is its `reach.<stage>` pattern."""
    return tuple(n for n in CATALOGUE if family is None or CATALOGUE.get(n).family == family)


def run_metric_names(stages: tuple[str, ...] | list[str]) -> list[str]:
    """Every metric name metrics.json can hold for a journey with these stages, in file order."""
    out: list[str] = []
    for n in names():
        if CATALOGUE.get(n).family not in RUN_FAMILIES:
            continue
        out += [f"{REACH_PREFIX}{s}" for s in stages] if n.startswith(REACH_PREFIX) else [n]
    return out
