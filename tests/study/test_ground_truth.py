"""Ground-truth variants and the split of national media by segment."""

from __future__ import annotations

import numpy as np

import journeysim as js
from journeysim.study.ground_truth import BASELINE, RUN, segment_shares, variants
from journeysim.study.run import replication_seeds, simulate

EMAIL = [
    "population=mixed",
    "population.scale=0.01",
    "sim=quick",
    "strategy=nurture",
    "+strategy.rate_multipliers=[{from: intent, to: purchase, factor: 1.5}]",
]


def test_variants_remove_media_only() -> None:
    sc = js.load_scenario(EMAIL)
    v = variants(sc)
    assert list(v) == [RUN, BASELINE, *(f"without {p.channel}" for p in sc.strategy.plans)]
    base = v[BASELINE].strategy
    assert base.plans == () and base.rate_multipliers == sc.strategy.rate_multipliers != ()
    without = v["without email"].strategy
    assert without.plans == tuple(p for p in sc.strategy.plans if p.channel != "email")


def test_a_channel_without_market_audience_splits_by_its_audience_stages_at_the_start_of_the_day() -> None:
    sc = js.load_scenario(EMAIL)
    rec = simulate(sc, replication_seeds(sc)[0])
    shares = segment_shares(sc, rec)
    c = rec.media.channels.index("email")
    assert sc.channels["email"].market_audience == 0
    j = sc.journey
    stages = [i for i, s in enumerate(j.stages) if j.positions[s] in ("middle", "bottom")]  # nurture messages these
    occ = rec.occupancy()  # end of day d = start of day d + 1
    for d in (1, 30, 89):
        people = occ[d - 1][:, stages].sum(axis=1)
        assert np.allclose(shares[d, :, c], people / people.sum(), rtol=1e-12)
        # the engine's own audience that day is the same head count
        assert rec.media.audience[d, c] == people.sum()
    assert np.allclose(shares.sum(axis=1), 1.0, rtol=1e-12)
