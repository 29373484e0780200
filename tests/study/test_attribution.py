"""Attribution methods: Markov removal effects by hand and by an independent computation, the rules by hand,
paths that replay to the recorded purchases, and the league table's arithmetic."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from journeysim.config import load_scenario
from journeysim.study.attribution.markov import (
    conversion_probability,
    markov_credit,
    removal_effects,
    transition_counts,
)
from journeysim.study.attribution.methods import parse_path, rule_credit, table_markov, table_rule
from journeysim.study.attribution.paths import path_table
from journeysim.study.attribution.score import ALL, league
from journeysim.study.run import run

DATA = Path(__file__).parents[1] / "data" / "paths_small.csv"


def test_markov_hand_worked_example() -> None:
    # paths A > B (1 conversion), A (1 null), B (1 conversion):
    # start -> A 2/3, start -> B 1/3; A -> B 1/2, A -> null 1/2; B -> conversion 1
    # P(conv) = 2/3 * 1/2 + 1/3 = 2/3; without A: 1/3 (RE 1/2); without B: 0 (RE 1)
    # credits: 2 conversions x (1/2, 1) / 1.5 = (2/3, 4/3)
    paths, conv, null = [[0, 1], [0], [1]], [1, 0, 1], [0, 1, 0]
    counts = transition_counts(paths, conv, null, 2)
    assert conversion_probability(counts) == pytest.approx(2 / 3, abs=1e-12)
    assert conversion_probability(counts, removed=0) == pytest.approx(1 / 3, abs=1e-12)
    np.testing.assert_allclose(removal_effects(counts), [0.5, 1.0], atol=1e-12)
    np.testing.assert_allclose(markov_credit(paths, conv, null, 2), [2 / 3, 4 / 3], atol=1e-12)


def _value_iteration(table: pd.DataFrame, removed: str | None) -> float:
    """P(conversion) by iterating x = sum_j P(i -> j) x_j over a dict-of-dicts graph (no matrix solve)."""
    moves: dict[str, dict[str, float]] = {}
    for path, conv, null in zip(table["path"], table["total_conversions"], table["total_null"], strict=True):
        states = ["(start)", *[s.strip() for s in path.split(">")]]
        for a, b in itertools.pairwise(states):
            moves.setdefault(a, {}).setdefault(b, 0.0)
            moves[a][b] += conv + null
        moves.setdefault(states[-1], {}).setdefault("(conversion)", 0.0)
        moves[states[-1]]["(conversion)"] += conv
        moves[states[-1]].setdefault("(null)", 0.0)
        moves[states[-1]]["(null)"] += null
    x = {s: 0.0 for s in moves} | {"(conversion)": 1.0, "(null)": 0.0}
    for _ in range(5000):
        for s, out in moves.items():
            total = sum(out.values())
            x[s] = 0.0 if s == removed else sum(w / total * x[t] for t, w in out.items())
    return x["(start)"]


def test_markov_on_the_shipped_table_equals_value_iteration() -> None:
    table = pd.read_csv(DATA)
    channels = ["social", "display", "search", "email"]
    base = _value_iteration(table, None)
    effects = np.array([1 - _value_iteration(table, c) / base for c in channels])
    expected = table["total_conversions"].sum() * effects / effects.sum()
    np.testing.assert_allclose(table_markov(table, channels), expected, rtol=1e-9)
    paths = [parse_path(p, channels) for p in table["path"]]
    counts = transition_counts(paths, table["total_conversions"], table["total_null"], 4)
    assert conversion_probability(counts) == pytest.approx(base, rel=1e-9)


def test_rules_by_hand() -> None:
    # one converting segment a > b > c > a at days 0, 4, 6, 7 converting at day 7; one null segment (ignored)
    touches = pd.DataFrame(
        {
            "customer": [0, 0, 0, 0, 1],
            "path_segment": [0, 0, 0, 0, 0],
            "channel": pd.Categorical(["a", "b", "c", "a", "b"], categories=["a", "b", "c"]),
            "time": [0.0, 4.0, 6.0, 7.0, 1.0],
            "converted": [True, True, True, True, False],
            "conversion_time": [7.0, 7.0, 7.0, 7.0, np.nan],
        }
    )
    np.testing.assert_allclose(rule_credit(touches, "first_touch", 3), [1, 0, 0])
    np.testing.assert_allclose(rule_credit(touches, "last_touch", 3), [1, 0, 0])
    np.testing.assert_allclose(rule_credit(touches, "linear", 3), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(rule_credit(touches, "position_based", 3), [0.8, 0.1, 0.1])
    w = np.array([2 ** (-7 / 7), 2 ** (-3 / 7), 2 ** (-1 / 7), 1.0])
    w /= w.sum()
    np.testing.assert_allclose(rule_credit(touches, "time_decay", 3), [w[0] + w[3], w[1], w[2]])
    table = pd.DataFrame({"path": ["a > b", "c"], "total_conversions": [2, 1], "total_null": [0, 5]})
    np.testing.assert_allclose(table_rule(table, "position_based", ["a", "b", "c"]), [1, 1, 1])
    np.testing.assert_allclose(table_rule(table, "last_touch", ["a", "b", "c"]), [0, 2, 1])


@pytest.mark.parametrize("bad", ["a >> b", "a > ", "a > z"])
def test_malformed_paths_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"empty step|unknown channel"):
        parse_path(bad, ["a", "b"])


def test_league_arithmetic() -> None:
    credit = pd.DataFrame(
        {
            "method": ["m"] * 4,
            "replication": [0, 0, 1, 1],
            "channel": ["a", "b", "a", "b"],
            "credited": [10.0, 2.0, 14.0, 4.0],
        }
    )
    truth = pd.DataFrame(
        {"replication": [0, 0, 1, 1], "channel": ["a", "b", "a", "b"], "removal_purchases": [8, 6, 8, 6]}
    )
    out = league(credit, truth).set_index("channel")
    assert out.loc["a", "bias"] == pytest.approx(4.0)  # (2 + 6) / 2
    assert out.loc["b", "bias"] == pytest.approx(-3.0)  # (-4 - 2) / 2
    # |bias| summed over channels per replication: 6 and 8; t(0.975, 1) = 12.706, sd = sqrt(2)
    assert out.loc[ALL, "bias"] == pytest.approx(7.0)
    assert out.loc[ALL, "bias_ci_high"] == pytest.approx(7.0 + 12.7062047 * np.sqrt(2) / np.sqrt(2), rel=1e-6)
    # shares: replication 0 credits 10/12 to a where the truth is 8/14, replication 1 14/18 vs 8/14;
    # share error = half the sum of |differences| = |credited share of a - true share of a|
    errors = [10 / 12 - 8 / 14, 14 / 18 - 8 / 14]
    assert out.loc[ALL, "share_error"] == pytest.approx(np.mean(errors), rel=1e-12)
    assert out.loc["a", "credited_share"] == pytest.approx((10 / 12 + 14 / 18) / 2, rel=1e-12)


@pytest.mark.slow
def test_paths_replay_to_the_recorded_purchases() -> None:
    scenario = load_scenario(["population.scale=0.02", "sim=quick", "strategy=balanced"])
    result = run(scenario, touches=1.0)
    assert result.paths is not None and result.touches is not None
    segs = result.paths
    per_rep = segs.groupby("replication")["converted"].sum().to_numpy()
    np.testing.assert_array_equal(per_rep, result.samples["purchases"].to_numpy())
    table = path_table(segs)
    untouched = segs[(segs["touches"] == 0) & segs["converted"]].groupby("replication").size()
    replay = table.groupby("replication")["total_conversions"].sum() + untouched.reindex(
        table["replication"].unique(), fill_value=0
    )
    np.testing.assert_array_equal(replay.to_numpy(), result.samples["purchases"].to_numpy())
    # every touched segment's path lists its touches in time order
    first = segs[segs["touches"] > 0].iloc[0]
    mine = result.touches[(result.touches["replication"] == first["replication"])]
    mine = mine[(mine["customer"] == first["customer"]) & (mine["path_segment"] == first["path_segment"])]
    assert first["path"] == " > ".join(mine["channel"].astype(str)) and mine["time"].is_monotonic_increasing


def test_purchases_before_each_touch_equal_a_binary_search() -> None:
    from journeysim.study.attribution.paths import _cut, _key

    rng = np.random.default_rng(4)
    p_cust = np.sort(rng.integers(0, 300, 900))
    p_time = np.concatenate([np.sort(rng.uniform(0, 90, (p_cust == c).sum())) for c in np.unique(p_cust)])
    t_cust = np.sort(rng.integers(0, 320, 5000))
    t_time = np.concatenate([np.sort(rng.uniform(0, 90, (t_cust == c).sum())) for c in np.unique(t_cust)])
    same = rng.integers(0, p_time.size, t_time[::7].size)
    t_time[::7] = p_time[same]  # some touches at a purchase's time (the customer's order may break: re-sort)
    t_cust[::7] = p_cust[same]
    order = np.lexsort((t_time, t_cust))
    t_cust, t_time = t_cust[order], t_time[order]
    p_key, t_key = _key(p_cust, p_time, 90), _key(t_cust, t_time, 90)
    before = np.searchsorted(p_key, t_key, side="left")
    cut = _cut(t_cust, t_key, p_key)
    # per touch: the purchases (all customers) before it = the first purchase after its segment
    np.testing.assert_array_equal(cut.after[cut.segment], before)
    # a segment is a run of touches of one customer with the same purchases before them
    new = np.ones(t_cust.size, bool)
    new[1:] = (t_cust[1:] != t_cust[:-1]) | (before[1:] != before[:-1])
    np.testing.assert_array_equal(cut.starts, np.flatnonzero(new))
    np.testing.assert_array_equal(cut.touches, np.diff(np.append(np.flatnonzero(new), t_cust.size)))


def test_a_sampled_run_s_paths_replay_to_its_sampled_customers_purchases() -> None:
    # every purchase of a sampled customer is one converting segment; nobody else has one
    from journeysim.study.attribution.log import replication_touches
    from journeysim.study.run import replication_seeds, simulate

    scenario = load_scenario(["population.scale=0.02", "sim=quick", "strategy=balanced"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, event_log=False, touches=0.3)
    touches, segments = replication_touches(scenario, rec, seq, 0.3, 0)
    assert rec.logged[touches["customer"].to_numpy()].all()
    assert rec.logged is not None and 0 < rec.logged.mean() < 1
    bought = rec.customers.purchases
    assert int(segments["converted"].sum()) == int(bought[rec.logged].sum()) > 0
    assert rec.logged[segments["customer"].to_numpy()].all()
    per = segments[segments["converted"]].groupby("customer").size()
    np.testing.assert_array_equal(per.to_numpy(), bought[per.index.to_numpy()])


def _segment_table_reference(cust, seg_no, converted, conv_at, codes, names, p_cust, p_time):  # type: ignore[no-untyped-def]
    """The segment table as built before the paths were joined in their final order (concat, then take)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    new = np.ones(cust.size, bool)
    new[1:] = (cust[1:] != cust[:-1]) | (seg_no[1:] != seg_no[:-1])
    starts = np.flatnonzero(new)
    step = pa.array(names, pa.string()).take(pa.array(codes.astype(np.int32)))
    path = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(np.append(starts, cust.size).astype(np.int32)), step), " > "
    )
    p_no = np.arange(p_cust.size) - np.searchsorted(p_cust, p_cust, side="left")
    width = int(max(seg_no.max(initial=0), p_no.max(initial=0))) + 1
    t_key, p_key = cust[starts] * width + seg_no[starts], p_cust * width + p_no
    at = np.minimum(np.searchsorted(t_key, p_key), max(t_key.size - 1, 0))
    (alone,) = np.nonzero(t_key[at] != p_key if t_key.size else np.ones(p_key.size, bool))
    order = np.argsort(np.concatenate([t_key, p_key[alone]]), kind="stable")
    empty = pa.array([""], pa.string()).take(pa.array(np.zeros(alone.size, np.int32)))
    return {
        "customer": np.concatenate([cust[starts], p_cust[alone]])[order],
        "path_segment": np.concatenate([seg_no[starts], p_no[alone]]).astype(np.int64)[order],
        "path": pa.concat_arrays([path, empty]).take(pa.array(order)),
        "touches": np.concatenate([np.diff(np.append(starts, cust.size)), np.zeros(alone.size, np.int64)])[order],
        "converted": np.concatenate([converted[starts], np.ones(alone.size, bool)])[order],
        "conversion_time": np.concatenate([conv_at[starts], p_time[alone]])[order],
    }


def test_the_segment_table_equals_the_concat_and_take_build() -> None:
    # segments cut at the purchases placed among the touches, paths joined once per distinct path (untouched
    # purchases as empty paths) = the earlier concat-then-take build from a search of every touch
    from journeysim.study.attribution.path_strings import path_strings
    from journeysim.study.attribution.paths import _cut, _key, _segment_rows

    rng = np.random.default_rng(6)
    for n_touch, n_buy in ((4000, 900), (0, 50), (300, 0)):
        p_cust = np.sort(rng.integers(0, 300, n_buy))
        p_time = np.concatenate([np.sort(rng.uniform(0, 90, (p_cust == c).sum())) for c in np.unique(p_cust)] or [[]])
        order = np.lexsort((t_time := rng.uniform(0, 90, n_touch), t_cust := rng.integers(0, 320, n_touch)))
        t_cust, t_time = t_cust[order], t_time[order]
        p_key, t_key = _key(p_cust, p_time, 90), _key(t_cust, t_time, 90)
        first = np.searchsorted(p_cust, t_cust, side="left")
        total = np.searchsorted(p_cust, t_cust, side="right") - first
        seg_no = np.searchsorted(p_key, t_key, side="left") - first
        converted = seg_no < total
        conv_at = np.where(
            converted, p_time[np.minimum(first + seg_no, max(p_time.size - 1, 0))] if n_buy else 0, np.nan
        )
        codes, names = rng.integers(0, 3, n_touch).astype(np.int8), ["tv", "search", "social"]
        cut = _cut(t_cust, t_key, p_key)
        touched, got = _segment_rows(cut, t_cust, p_cust, p_time)
        want = _segment_table_reference(t_cust, seg_no, converted, conv_at, codes, names, p_cust, p_time)
        path = path_strings(codes, names, got["start"], got["touches"])
        assert path.equals(want["path"]) and (n_buy == 0 or int(want["touches"].min()) == 0)
        for column in ("customer", "path_segment", "touches", "converted", "conversion_time"):
            np.testing.assert_array_equal(got[column], want[column])
            assert got[column].dtype == want[column].dtype
        # the touches' own columns, read from their segments
        np.testing.assert_array_equal(touched.number[cut.segment], seg_no)
        np.testing.assert_array_equal(touched.converted[cut.segment], converted)
        np.testing.assert_array_equal(touched.conversion_time[cut.segment], conv_at)


def test_a_three_touch_path_packs_into_one_word_a_byte_per_channel() -> None:
    from journeysim.study.attribution.path_strings import packed_words

    codes = np.array([0, 2, 1, 1, 0], np.int8)  # segments: (tv, social, search), (search), (), (tv)
    words = packed_words(codes, np.array([0, 3, 4, 4]), np.array([3, 1, 0, 1]))
    # channel numbers code + 1, the first touch in the lowest byte: 1 + 3 x 256 + 2 x 256^2
    np.testing.assert_array_equal(words, np.array([1 + 3 * 256 + 2 * 65536, 2, 0, 1], np.uint64))


def test_path_strings_of_short_long_and_empty_segments() -> None:
    from journeysim.study.attribution.path_strings import WORD, path_strings

    names = ["tv", "search", "social"]
    codes = np.array([0, 2, 1] + [1, 0] * 6 + [0, 2, 1], np.int8)  # 3 touches, 12 (> WORD), then the first 3 again
    starts, lens = np.array([0, 3, 15, 15]), np.array([3, 12, 0, 3])
    assert lens[1] > WORD
    got = path_strings(codes, names, starts, lens).to_pylist()
    assert got == ["tv > social > search", " > ".join(["search", "tv"] * 6), "", "tv > social > search"]
    # a segment sharing its first WORD touches with a longer one keeps its own string
    long8 = path_strings(codes, names, np.array([3, 3]), np.array([8, 12])).to_pylist()
    assert long8 == [" > ".join(["search", "tv"] * 4), " > ".join(["search", "tv"] * 6)]
    # more channels than a byte numbers: every segment joined on its own, same strings
    many = [f"c{i}" for i in range(300)]
    wide = np.array([299, 0, 256, 7], np.int16)
    assert path_strings(wide, many, np.array([0, 2, 4]), np.array([2, 2, 0])).to_pylist() == [
        "c299 > c0",
        "c256 > c7",
        "",
    ]


def test_a_segment_s_conversion_value_is_its_purchase_s_own_order_value() -> None:
    # every converting segment is worth the order value the ledger booked for its purchase (so they add up to the
    # run's revenue); a null segment is worth 0; without the engine's record, the customer segment's mean value
    from journeysim.engine.dynamics import Dynamics
    from journeysim.engine.touches import touch_log
    from journeysim.study.attribution.log import replication_touches
    from journeysim.study.attribution.paths import _at_purchase, segments
    from journeysim.study.run import replication_seeds, simulate

    assert _at_purchase(np.array([5.0, 7.0, 9.0]), np.array([2, -1, 0, -1]), 0.0).tolist() == [9.0, 0.0, 5.0, 0.0]
    scenario = load_scenario(["population.scale=0.02", "sim=quick", "strategy=balanced"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, touches=1.0)
    _, table = replication_touches(scenario, rec, seq, 1.0, 0)
    bought = table[table["converted"]]
    assert bought["conversion_value"].sum() == pytest.approx(rec.revenue.sum(), rel=1e-12)
    assert bought["conversion_value"].nunique() > 10  # each purchase its own value (cv > 0), not a segment mean
    assert (table.loc[~table["converted"], "conversion_value"] == 0.0).all()
    p = rec.purchases
    own = dict(zip(zip(p.customer.tolist(), p.time.tolist(), strict=True), p.value.tolist(), strict=True))
    for c, t, v in bought[["customer", "conversion_time", "conversion_value"]].itertuples(index=False):
        assert own[(c, t)] == v
    # a run read from its event log has no values: the customer segment's expected order value
    logged = simulate(scenario, seq, event_log=True)
    mean = np.array([seg.order_value.mean for seg in scenario.population.segments])
    _, by_events = segments(logged, touch_log(logged, Dynamics.compile(scenario), seq), mean)
    converted = by_events["converted"].to_numpy()
    expected = mean[logged.customers.segment[by_events["customer"].to_numpy()]]
    np.testing.assert_array_equal(by_events["conversion_value"].to_numpy()[converted], expected[converted])
