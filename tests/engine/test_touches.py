"""The touch log: switching it on changes no result, exposures follow the channels' daily reach, caused touches
the thinning band's share, and sampling keeps a share of customers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from journeysim.config import load_scenario
from journeysim.engine.dynamics import Dynamics
from journeysim.engine.touches import touch_log
from journeysim.interventions import Strategy
from journeysim.io import write_study
from journeysim.io.outputs import TOUCH_FILES
from journeysim.study.baseline import NO_SPEND, Baseline
from journeysim.study.pipeline import run_study
from journeysim.study.run import replication_seeds, simulate

OVERRIDES = ["population.scale=0.02", "sim=quick", "strategy=balanced"]


def _hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir() if p.is_file()}


@pytest.mark.slow
def test_the_touch_log_leaves_every_output_byte_identical(tmp_path: Path) -> None:
    scenario = load_scenario(OVERRIDES)
    baseline = Baseline(NO_SPEND, Strategy(), channels=True)
    off = run_study(scenario, baseline, bottlenecks=False)
    on = run_study(scenario, baseline, bottlenecks=False, touches=1.0)
    write_study(tmp_path / "off", off, "name: x\n")
    write_study(tmp_path / "on", on, "name: x\n")
    h_off, h_on = _hashes(tmp_path / "off"), _hashes(tmp_path / "on")
    assert set(h_on) - set(h_off) == set(TOUCH_FILES)
    assert h_off == {k: v for k, v in h_on.items() if k not in TOUCH_FILES}
    assert len(on.run.touches) > 0


def _one(overrides: list[str] = OVERRIDES, sample: float = 1.0):
    scenario = load_scenario(overrides)
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, event_log=True)
    return scenario, rec, touch_log(rec, Dynamics.compile(scenario), seq, sample)


def _stays(rec, customer: int) -> list[tuple[int, float, float]]:
    """(stage, start, end) of each of the customer's stays, walked one event at a time."""
    ev = rec.events
    mine = ev[ev["customer"] == customer]
    stage, start, out = int(rec.customers.start_stage[customer]), float(rec.customers.entry_time[customer]), []
    for t, to in zip(mine["time"], mine["to_stage"].cat.codes, strict=True):
        out.append((stage, start, float(t)))  # an arrival's own event closes an empty stay, dropped below
        stage, start = int(to), float(t)
    out.append((stage, start, float(rec.horizon_days)))
    return [s for s in out if s[2] > s[1]]


def test_exposures_follow_the_daily_reach() -> None:
    # independent count: for 300 random customers, each stay in a channel's audience is touched with probability
    # 1 - exp(-mass), mass the daily intensity -log(1 - reach / audience) integrated over the stay (by a fine
    # grid); the log's count of exposure touches is a sum of such Bernoullis
    scenario, rec, log = _one()
    dyn = Dynamics.compile(scenario)
    who = np.random.default_rng(1).choice(len(rec.customers), 300, replace=False)
    stays = {int(i): _stays(rec, int(i)) for i in who}
    s1 = rec.n_stages + 1
    for c, cs in enumerate(dyn.channels):
        aud = rec.media.audience[:, c]
        p = np.divide(rec.media.reach[:, c], aud, out=np.zeros(rec.horizon_days), where=aud > 0)
        lam = -np.log1p(-np.clip(p, 0, 1 - 1e-12))
        probs = []
        for i, mine in stays.items():
            seg = int(rec.customers.segment[i])
            for stage, start, end in mine:
                if cs.audience_rows[seg * s1 + stage]:
                    grid = np.linspace(start, end, 400, endpoint=False) + (end - start) / 800
                    probs.append(1 - np.exp(-lam[grid.astype(int)].sum() * (end - start) / 400))
        q = np.array(probs)
        t = log.touches
        got = int((t["customer"].isin(who) & (t["channel"] == cs.channel.name) & ~t["caused"]).sum())
        assert abs(got - q.sum()) <= 4 * np.sqrt((q * (1 - q)).sum()) + 0.02 * q.sum() + 1, (
            cs.channel.name,
            got,
            q.sum(),
        )


def test_caused_touches_take_the_thinning_share() -> None:
    # a transition with channel multipliers F_c is caused with probability 1 - 1 / prod(F_c > 1)
    scenario, rec, log = _one()
    from journeysim.engine.touches import _factors, _lifted, _moves

    mv = _moves(rec, np.ones(len(rec.customers), bool))
    dyn = Dynamics.compile(scenario)
    idx, seg, cell = _lifted(rec, dyn, mv)
    f = _factors(rec, dyn, np.minimum(mv.time[idx].astype(np.int64), rec.horizon_days - 1), seg, cell)
    p = 1.0 - 1.0 / np.prod(np.maximum(f, 1.0), axis=1)
    expected, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    got = int(log.touches["caused"].sum())
    assert expected > 20
    assert abs(got - expected) <= 4 * sd


def test_sampling_keeps_a_share_of_customers_and_the_log_is_reproducible() -> None:
    _, rec, log = _one(sample=0.3)
    n = len(rec.customers)
    assert abs(log.sampled.mean() - 0.3) <= 4 * np.sqrt(0.3 * 0.7 / n)
    assert log.sampled[log.touches["customer"].to_numpy()].all()
    _, _, again = _one(sample=0.3)
    assert log.touches.equals(again.touches)
