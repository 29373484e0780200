"""A tiny hand-made `Records`: 7 customers, 2 segments, 3 days, a 5-stage journey; every number worked by hand.

Stages (journey order): aware 0 (top), consider 1 (middle), buy 2 (conversion), loyal 3 (post-purchase,
promoter), lost 4 (terminal, detractor). Segments: b2c 0 (order value 100, margin 40%), b2b 1 (300, 50%).

customer  seg  start    entry  path (time: from -> to)                                  final    purchases
c0        b2c  aware    0      0.5 aware->consider, 1.2 consider->buy, 1.7 buy->loyal    loyal    1 (1.2)
c1        b2c  consider 0      0.3 consider->lost                                        lost     0
c2        b2b  consider 0      0.2 consider->buy, 0.9 buy->loyal                         loyal    1 (0.2)
c3        b2b  loyal    0      0.8 loyal->buy, 1.1 buy->loyal, 2.4 loyal->buy            buy      2 (0.8, 2.4)
c4        b2c  aware    0.6    0.6 arrives, 1.5 aware->buy (skips consider), 2.0 buy->lost lost   1 (1.5)
c5        b2b  aware    1.4    1.4 arrives, 2.2 aware->consider                          consider 0
c6        b2c  aware    2.5    2.5 arrives                                               aware    0
c0..c3 are present at day 0; c3 is an existing customer (not a prospect), all others are prospects.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim.engine.records import CustomerTable, Records

AWARE, CONSIDER, BUY, LOYAL, LOST = range(5)
OUT = 5  # arrival from outside
B2C, B2B = 0, 1
VALUE = {B2C: (100.0, 40.0), B2B: (300.0, 150.0)}  # revenue, margin per purchase
NAN = math.nan

# (segment, start stage, entry time, [(time, from, to), ...]); arrivals start with their (t, OUT, AWARE) move
CUSTOMERS = [
    (B2C, AWARE, 0.0, [(0.5, AWARE, CONSIDER), (1.2, CONSIDER, BUY), (1.7, BUY, LOYAL)]),
    (B2C, CONSIDER, 0.0, [(0.3, CONSIDER, LOST)]),
    (B2B, CONSIDER, 0.0, [(0.2, CONSIDER, BUY), (0.9, BUY, LOYAL)]),
    (B2B, LOYAL, 0.0, [(0.8, LOYAL, BUY), (1.1, BUY, LOYAL), (2.4, LOYAL, BUY)]),
    (B2C, AWARE, 0.6, [(0.6, OUT, AWARE), (1.5, AWARE, BUY), (2.0, BUY, LOST)]),
    (B2B, AWARE, 1.4, [(1.4, OUT, AWARE), (2.2, AWARE, CONSIDER)]),
    (B2C, AWARE, 2.5, [(2.5, OUT, AWARE)]),
]
PROSPECT_CLV = np.array([79.0, 149.0])  # stand-in discounted margins per segment (the engine computes these)


def build_records(customers: list | None = None, days: int = 3) -> Records:
    """Bin the paths (default: the table above) into flows, revenue and margin, and fill the customer table."""
    customers = CUSTOMERS if customers is None else customers
    n_seg, n_st = 2, 5
    flows = np.zeros((days, n_seg, n_st + 1, n_st), dtype=np.int64)
    revenue = np.zeros((days, n_seg))
    margin = np.zeros((days, n_seg))
    initial = np.zeros((n_seg, n_st), dtype=np.int64)
    n = len(customers)
    first = np.full(n, NAN)
    bought = np.zeros(n, dtype=np.int32)
    visited = np.zeros(n, dtype=np.uint64)
    final = np.zeros(n, dtype=np.int16)
    for i, (seg, start, entry, path) in enumerate(customers):
        if entry == 0.0:
            initial[seg, start] += 1
        stage = start
        visited[i] |= np.uint64(1 << start)
        for t, src, dst in path:
            d = int(t)
            flows[d, seg, src, dst] += 1
            visited[i] |= np.uint64(1 << dst)
            stage = dst
            if dst == BUY:
                bought[i] += 1
                if math.isnan(first[i]):
                    first[i] = t
                revenue[d, seg] += VALUE[seg][0]
                margin[d, seg] += VALUE[seg][1]
        final[i] = stage
    return Records(
        stages=("aware", "consider", "buy", "loyal", "lost"),
        segments=("b2c", "b2b"),
        conversion=(BUY,),
        terminal=(LOST,),
        pre_purchase=(AWARE, CONSIDER),
        entry=AWARE,
        positions=("top", "middle", "bottom", "post_purchase", "exit"),
        promoters=(LOYAL,),
        detractors=(LOST,),
        horizon_days=days,
        initial=initial,
        flows=flows,
        revenue=revenue,
        margin=margin,
        prospect_clv=PROSPECT_CLV.copy() if customers is CUSTOMERS else np.zeros(n_seg),
        customers=CustomerTable(
            segment=np.array([c[0] for c in customers], dtype=np.int16),
            start_stage=np.array([c[1] for c in customers], dtype=np.int16),
            entry_time=np.array([c[2] for c in customers]),
            first_purchase=first,
            purchases=bought,
            visited=visited,
            final_stage=final,
        ),
    )


@pytest.fixture
def records() -> Records:
    """The hand-made records described in this module's docstring."""
    return build_records()


@pytest.fixture
def make_records():
    """The builder itself, for records with other paths: make_records(customers, days)."""
    return build_records
