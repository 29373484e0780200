"""The metric catalogue: every metric journeysim writes, defined once (function, unit, label, format, direction).

Tables, the console, comparisons, sweeps and objectives read names, labels, formats, directions and their default
selections from here. Adding a metric: its function in its family module plus one `_add(Metric(...))` line below
(and a row in docs/metrics.md, which a test checks). Formulas in words: docs/metrics.md, docs/comparison.md.
"""

from __future__ import annotations

import math

from journeysim.metrics import acquisition, lifecycle, lifetime, spend, survey, value
from journeysim.metrics.entry import Direction, Metric
from journeysim.metrics.funnel import stage_advances
from journeysim.metrics.views import VIEWS, words
from journeysim.registry import Registry

#: families whose metrics are scalars of metrics.json; "incremental" and "channel" live in incrementality.json
RUN_FAMILIES = ("acquisition", "funnel", "lifecycle", "value", "spend", "lifetime", "survey")
FAMILIES = (*RUN_FAMILIES, "incremental", "channel")
REACH_PREFIX = "reach."

CATALOGUE: Registry[Metric] = Registry("metric")


def _add(m: Metric) -> None:
    if m.family not in FAMILIES:
        raise ValueError(f"metric {m.name!r}: unknown family {m.family!r}")
    CATALOGUE.add(m.name, m)


A, F, L, V, S, INC, CH = "acquisition", "funnel", "lifecycle", "value", "spend", "incremental", "channel"
LT, SV = "lifetime", "survey"
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
        "advocacy_balance",
        L,
        "points (-100..100)",
        HI,
        "buyers ending as promoters minus buyers lost (churned), per 100 buyers; not a survey NPS",
        lifecycle.advocacy_balance,
        label="advocacy balance (promoters - churned, not NPS)",
    )
)
_add(Metric("stage_advances", F, "stages", HI, "sum of the funnel table's advanced column", stage_advances))
_add(Metric(f"{REACH_PREFIX}<stage>", A, SHARE, HI, "prospects who ever visited the stage / prospects"))
_add(Metric("spend", S, MONEY, LO, "media spend", label="marketing spend"))
_add(Metric("cpl", S, "money / customer", LO, "spend / new prospects", spend.cpl))
_add(Metric("cpa", S, "money / purchase", LO, "spend / purchases", spend.cpa, label="cost per acquisition"))
_add(Metric("cac", S, "money / customer", LO, "spend / new buyers", spend.cac))
_NOT_INC = "(not incremental)"
_add(
    Metric(
        "roas",
        S,
        "money / money",
        HI,
        "revenue / spend",
        spend.roas,
        label="ROAS",
        labels={"console": f"ROAS {_NOT_INC}"},
    )
)
_add(Metric("profit", S, MONEY, HI, "margin - spend", spend.profit))
_add(
    Metric(
        "roi",
        S,
        "money / money",
        HI,
        "(margin - spend) / spend",
        spend.roi,
        label="ROI",
        labels={"console": f"ROI {_NOT_INC}"},
    )
)
_add(Metric("cost_per_stage_advance", S, "money / stage", LO, "spend / stage advances", spend.cost_per_stage_advance))
_add(Metric("wasted_spend", S, MONEY, LO, "spend on impressions bought but not delivered (caps)", spend.wasted_spend))

# --- lifetime: value after the horizon in closed form (analytic.lifetime), last in metrics.json -------------------
_POS = (0.0, math.inf)
_add(
    Metric(
        "future_margin",
        LT,
        MONEY,
        HI,
        "expected margin after the horizon, discounted to it",
        lifetime.future_margin,
        bounds=_POS,
    )
)
_add(
    Metric(
        "clv_lifetime",
        LT,
        "money / customer",
        HI,
        "clv plus the new buyers' expected discounted margin after the horizon",
        lifetime.clv_lifetime,
        label="CLV per new buyer (lifetime)",
        bounds=_POS,
    )
)
_add(Metric("ltv_to_cac", LT, "money / money", HI, "clv_lifetime / cac", lifetime.ltv_to_cac, "LTV / CAC", bounds=_POS))
_add(Metric("payback_days", LT, "days", LO, "days from first purchase until margin covers CAC", lifetime.payback_days))

# --- survey: likelihood to recommend of current customers (journey.satisfaction; NaN when off) ------------------
_add(Metric("nps", SV, "points (-100..100)", HI, "100 x (promoters - detractors) / surveyed", survey.nps, "NPS"))
_add(Metric("promoter_share", SV, SHARE, HI, "surveyed current customers scoring 9-10", survey.promoter_share))
_add(Metric("passive_share", SV, SHARE, HI, "surveyed current customers scoring 7-8", survey.passive_share))
_add(Metric("detractor_share", SV, SHARE, LO, "surveyed current customers scoring 0-6", survey.detractor_share))

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
_add(Metric("incremental_future_margin", INC, MONEY, HI, "future_margin(scenario) - future_margin(baseline)"))
_add(
    Metric(
        "incremental_lifetime_margin",
        INC,
        MONEY,
        HI,
        "incremental margin (in the horizon) + incremental future margin (after it)",
        label="incremental lifetime margin",
    )
)
_add(Metric("incremental_lifetime_roi", INC, "money / money", HI, "(lifetime margin - spend) / spend, incremental"))

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


for _view, _name in [(v, n) for v, names in VIEWS.items() for n in names]:  # every view names known metrics
    CATALOGUE.get(_name, f"VIEWS[{_view!r}]")
del _x, _unit, _view, _name


#: the range of a run metric by unit (counts and times are never negative); money and ratios name their own
_UNIT_BOUNDS: dict[str, tuple[float, float]] = {
    SHARE: (0.0, 1.0),
    "points (-100..100)": (-100.0, 100.0),
    CUST: (0.0, math.inf),
    PURCH: (0.0, math.inf),
    "days": (0.0, math.inf),
    "stages": (0.0, math.inf),
    "purchases / customer": (0.0, math.inf),
}
#: run metrics whose unit does not say their range: amounts and cost ratios that are never negative
_NON_NEGATIVE = words("revenue margin spend wasted_spend aov clv cpl cpa cac roas cost_per_stage_advance")


def range_of(name: str) -> tuple[float, float]:
    """The range a metric's value (and so its confidence interval) lives in: (-inf, inf) when unbounded.

    Run metrics take their entry's `bounds`, else their unit's (shares [0, 1], points [-100, 100], counts and
    days >= 0); incremental and per-channel differences are unbounded; `roi` is >= -1 (margin is never negative).
    """
    m = find(name)
    if m is None or m.family not in RUN_FAMILIES:
        return (-math.inf, math.inf)
    if m.bounds is not None:
        return m.bounds
    if m.name in _NON_NEGATIVE:
        return (0.0, math.inf)
    if m.name == "roi":
        return (-1.0, math.inf)
    return _UNIT_BOUNDS.get(m.unit, (-math.inf, math.inf))


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
