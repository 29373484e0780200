"""Relationship metrics: repeat buying, churn and retention of buyers, and the advocacy balance (promoters minus
churned buyers; not a survey NPS)."""

from __future__ import annotations

from journeysim.engine.records import Records
from journeysim.metrics.acquisition import buyers, customers, purchases
from journeysim.metrics.common import buyer_mask, ended_terminal_mask, in_stages, ratio


def purchases_per_customer(records: Records) -> float:
    """Purchases / customers (all simulated customers)."""
    return ratio(purchases(records), customers(records))


def purchases_per_buyer(records: Records) -> float:
    """Purchases / buyers: purchase frequency of those who bought within the horizon."""
    return ratio(purchases(records), buyers(records))


def repeat_purchase_rate(records: Records) -> float:
    """Share of buyers with two or more purchases within the horizon."""
    return ratio(int((records.customers.purchases >= 2).sum()), buyers(records))


def customer_churn_rate(records: Records) -> float:
    """Share of buyers whose stage at the end of the horizon is terminal."""
    churned = buyer_mask(records) & ended_terminal_mask(records)
    return ratio(int(churned.sum()), buyers(records))


def retention_rate(records: Records) -> float:
    """1 - customer_churn_rate: share of buyers still active (in a non-terminal stage) at the horizon."""
    return 1.0 - customer_churn_rate(records)


def advocacy_balance(records: Records) -> float:
    """100 x (buyers ending in a promoter stage - buyers ending in a detractor stage) / buyers, in [-100, 100].

    Detractor stages default to the terminal ones, so every churned buyer counts against it: it measures how many
    buyers end as advocates against how many are lost within the horizon, not what a survey NPS would say.
    """
    b = buyer_mask(records)
    final = records.customers.final_stage
    promoters = int((b & in_stages(final, records.promoters)).sum())
    detractors = int((b & in_stages(final, records.detractors)).sum())
    return 100.0 * ratio(promoters - detractors, buyers(records))
