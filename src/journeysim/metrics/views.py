"""Default metric selections per view: which metrics the console, the report, compare, collect and a sweep job
show when the user names none, in display order. Every name is checked against the catalogue when it loads."""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    """Metric names written as one space-separated string (long view lists stay readable)."""
    return tuple(text.split())


#: plain ratios that count every sale, also those that would happen without the spend (the report tags them)
NOT_INCREMENTAL = ("roas", "roi")

#: default selections, in display order: which metrics each view shows when the user names none
VIEWS: dict[str, tuple[str, ...]] = {
    # `journeysim` run summary on the console (spend-family rows only when the strategy spends)
    "console": words(
        "customers new_buyers purchases conversion_rate purchases_per_customer repeat_purchase_rate "
        "sales_cycle_days_mean retention_rate revenue clv advocacy_balance spend cpa roas roi"
    ),
    # the run report's headline table (the meaning column is the entry's description)
    "report": words(
        "customers new_prospects purchases new_buyers conversion_rate sales_cycle_days_median dropout_rate "
        "customer_churn_rate repeat_purchase_rate revenue margin aov clv advocacy_balance spend cac cpa roas roi"
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
    "baseline": words(
        "incremental_purchases incremental_new_buyers incremental_revenue incremental_spend incremental_profit iroas "
        "incremental_cac incremental_roi"
    ),
    "channel": ("removal_purchases", "removal_revenue", "removal_iroas", "marginal_roas"),
    # the run report's lead when a baseline exists: what the strategy adds (report/incrementality.py)
    "report_incremental": ("iroas", "incremental_profit", "incremental_new_buyers", "incremental_cac"),
}
