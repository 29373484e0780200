"""Ground truth for media-mix models: per-replication daily series of a run and of its counterfactuals on the same
customers, and the media parameters that generated them.

A media-mix model is fitted to one noisy realisation (one replication) of spend, impressions and outcomes; its
estimates are then scored against what re-simulating the same customers (same seeds, common random numbers)
without each channel, and without any media, gives. Variants: "run" (the scenario as configured), "baseline" (no
spend at all) and "without <channel>" (that channel's plan removed, every other channel's money unchanged).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine.dynamics import Dynamics
from journeysim.engine.records import Records
from journeysim.model.scenario import Scenario
from journeysim.study.incrementality import with_strategy, without_channel
from journeysim.study.run import replication_seeds, simulate

RUN = "run"
BASELINE = "baseline"
WITHOUT = "without "


def funded_channels(scenario: Scenario) -> list[str]:
    """The channels the strategy gives money (the only ones with media, `Dynamics.compile`)."""
    return [p.channel for p in scenario.strategy.plans if p.budget > 0]


def variants(scenario: Scenario) -> dict[str, Scenario]:
    """The run, its no-media baseline (every channel plan removed; rate multipliers, which are not media, kept) and
    one variant without each funded channel, by variant label."""
    no_media = dataclasses.replace(scenario.strategy, name="none", plans=())  # rate multipliers are not media
    out = {RUN: scenario, BASELINE: with_strategy(scenario, no_media)}
    for c in funded_channels(scenario):
        out[WITHOUT + c] = without_channel(scenario, c)
    return out


def expected_arrivals(scenario: Scenario) -> NDArray[np.float64]:
    """(D, G) expected prospects per day and segment from the population's own arrival process (no marketing):
    an exogenous driver (weekly and seasonal shape) an MMM may use as a control."""
    d = scenario.settings.horizon_days
    return np.stack([g.intensity(d) for g in scenario.population.segments], axis=1)


def segment_shares(scenario: Scenario, rec: Records) -> NDArray[np.float64]:
    """(D, G, C) each segment's share of each channel's audience at the start of each day: its customers in the
    channel's audience stages, plus the channel's market audience split by the segment's share of expected
    arrivals (the people not yet in the journey). Spend and impressions reach every audience member alike, so this
    splits a channel's money and exposures by segment; shares sum to 1 over segments."""
    dyn = Dynamics.compile(scenario)
    days, n_seg, n_st = rec.horizon_days, len(rec.segments), rec.n_stages
    start = np.concatenate([rec.initial[None], rec.occupancy()[:-1]], axis=0)  # (D, G, S) start of day
    lam = expected_arrivals(scenario)
    lam_total = lam.sum(axis=1, keepdims=True)
    lam_share = np.divide(lam, lam_total, out=np.full_like(lam, 1.0 / n_seg), where=lam_total > 0)
    out = np.zeros((days, n_seg, len(dyn.channels)))
    for c, cs in enumerate(dyn.channels):
        rows = cs.audience_rows.reshape(n_seg, n_st + 1)[:, :n_st]
        people = (start * rows[None]).sum(axis=2) + cs.channel.market_audience * lam_share
        total = people.sum(axis=1, keepdims=True)
        out[:, :, c] = np.divide(people, total, out=lam_share.copy(), where=total > 0)
    return out


def daily_frame(
    scenario: Scenario, rec: Records, variant: str, replication: int, channels: Sequence[str]
) -> pd.DataFrame:
    """One row per day and segment of one replication of one variant: outcomes, customers in the journey at the
    start of the day, expected arrivals, and for each of `channels` (the run's funded channels) spend and delivered
    impressions split by segment (`segment_shares`; zero where the variant does not spend on the channel)."""
    days, n_seg = rec.horizon_days, len(rec.segments)
    start = np.concatenate([rec.initial[None], rec.occupancy()[:-1]], axis=0).sum(axis=2)
    data: dict[str, Any] = {
        "variant": variant,
        "replication": np.full(days * n_seg, replication, dtype=np.int64),
        "day": np.repeat(np.arange(days, dtype=np.int64), n_seg),
        "segment": list(rec.segments) * days,
        "arrivals": rec.flows[:, :, rec.n_stages, :].sum(axis=2).reshape(-1).astype(np.int64),
        "purchases": rec.purchases_per_day().reshape(-1).astype(np.int64),
        "revenue": rec.revenue.reshape(-1).astype(float),
        "margin": rec.margin.reshape(-1).astype(float),
        "customers": start.reshape(-1).astype(np.int64),
        "expected_arrivals": expected_arrivals(scenario).reshape(-1),
    }
    shares = segment_shares(scenario, rec) if rec.media.channels else np.zeros((days, n_seg, 0))
    for name in channels:
        spend = np.zeros((days, n_seg))
        impressions = np.zeros((days, n_seg))
        if name in rec.media.channels:
            c = rec.media.channels.index(name)
            spend = rec.media.spend[:, c, None] * shares[:, :, c]
            impressions = rec.media.impressions[:, c, None] * shares[:, :, c]
        data[f"spend.{name}"] = spend.reshape(-1)
        data[f"impressions.{name}"] = impressions.reshape(-1)
    return pd.DataFrame(data)


def counterfactual_days(scenario: Scenario, progress: Callable[[str, int, int], None] | None = None) -> pd.DataFrame:
    """The per-replication daily table (`daily_frame`) of every variant (`variants`), each on the run's replication
    seeds, so replication r of every variant simulates the same customers; `progress(variant, done, total)`."""
    channels = funded_channels(scenario)
    frames = []
    quiet = dataclasses.replace(scenario.settings, event_log=False)  # the log changes no draw; it only costs memory
    for label, variant in variants(scenario).items():
        sc = dataclasses.replace(variant, settings=quiet)
        seeds = replication_seeds(scenario)
        for i, seq in enumerate(seeds):
            rec = simulate(sc, seq)
            frames.append(daily_frame(sc, rec, label, i, channels))
            if progress is not None:
                progress(label, i + 1, len(seeds))
    return pd.concat(frames, ignore_index=True)
