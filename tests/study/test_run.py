"""Synthetic data with known ground truth: with `sim.event_log=true` a run keeps every transition and customer.

The exported tables must be the same journeys the metrics were computed from: replaying them gives back the
funnel, the purchases and the buyers of every replication, and the run writes them as Parquet files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import journeysim.api as js
from journeysim.study.run import event_frame

TINY = ["population=mixed", "population.scale=0.02", "sim=quick", "sim.replications=3", "sim.event_log=true"]


def test_event_log_and_customer_table_replay_to_the_metrics() -> None:
    res = js.run(TINY)
    events, customers = res.events, res.customers
    assert events is not None and customers is not None
    assert list(events.columns) == ["replication", "customer", "segment", "time", "from_stage", "to_stage"]
    assert sorted(events["replication"].unique()) == [0, 1, 2] == sorted(customers["replication"].unique())
    assert set(customers["segment"].astype(str)) == {"consumers", "businesses"}
    conversion = set(res.scenario.journey.conversion)
    for r, ev in events.groupby("replication"):
        cust = customers[customers["replication"] == r]
        sample = res.samples.loc[r]
        # every entry into a conversion stage is a purchase, and the customer table counts the same ones
        bought = ev[ev["to_stage"].astype(str).isin(conversion)]
        assert len(bought) == sample["purchases"] == cust["purchases"].sum()
        assert bought["customer"].nunique() == sample["buyers"] == (cust["purchases"] > 0).sum()
        assert len(cust) == sample["customers"]
        # each customer's path, replayed, ends in the final stage the table records
        last = ev.sort_values(["customer", "time"], kind="stable").groupby("customer", observed=True).tail(1)
        moved = cust.set_index("customer").loc[last["customer"]]
        assert (last["to_stage"].astype(str).to_numpy() == moved["final_stage"].astype(str).to_numpy()).all()
        assert (ev["time"].between(0, res.scenario.settings.horizon_days)).all()
        first = bought.groupby("customer")["time"].min()
        np.testing.assert_allclose(first.to_numpy(), cust.set_index("customer").loc[first.index, "first_purchase"])
    # segments come from the customer table, so an event's segment is its customer's
    merged = events.merge(customers, on=["replication", "customer"], suffixes=("", "_c"))
    assert len(merged) == len(events) and (merged["segment"] == merged["segment_c"]).all()


def test_without_the_flag_nothing_is_kept(tmp_path: Path) -> None:
    res = js.run([*TINY[:-1]])
    assert res.events is None and res.customers is None


def test_a_replication_without_a_log_gives_an_empty_table() -> None:
    scenario = js.load_scenario(TINY[:-1])
    from journeysim.study.run import simulate

    rec = simulate(scenario, np.random.SeedSequence(1))
    empty = event_frame(rec, 0)
    assert len(empty) == 0 and "segment" in empty.columns
