"""Chart building blocks on hand-made inputs: flow kinds and ribbon layout, funnel grouping, weekly means."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from journeysim.report.flow_chart import _edges, _stack, flow_figure
from journeysim.report.funnel_chart import funnel_figure, funnel_order
from journeysim.report.series_charts import per_day, stage_colours
from journeysim.report.style import DPI, png_bytes

# stages a(0) b(1) buy(2) loyal(3) lost(4); row 5 = arrivals
COUNTS = np.zeros((6, 5))
COUNTS[5, 0] = 100  # arrivals -> a
COUNTS[0, 1] = 60  # a -> b          advance
COUNTS[0, 4] = 40  # a -> lost       churn
COUNTS[1, 0] = 10  # b -> a          back
COUNTS[1, 2] = 50  # b -> buy        purchase
COUNTS[2, 3] = 70  # buy -> loyal    advance
COUNTS[3, 2] = 20  # loyal -> buy    repeat purchase (a move back)
COUNTS[3, 1] = 5  # loyal -> b      re-evaluation (back)
CONVERSION, TERMINAL = (2,), (4,)


def test_flow_kinds() -> None:
    kinds = {(e.src, e.dst): e.kind for e in _edges(COUNTS, CONVERSION, TERMINAL)}
    assert kinds == {
        (5, 0): "arrival",
        (0, 1): "advance",
        (0, 4): "churn",
        (1, 0): "back",
        (1, 2): "purchase",
        (2, 3): "advance",
        (3, 2): "purchase",
        (3, 1): "back",
    }


def test_ribbons_tile_each_node_side_in_nested_order() -> None:
    edges = _edges(COUNTS, CONVERSION, TERMINAL)
    scale = 0.01
    nodes = _stack(edges, 5, scale)
    for e in edges:
        assert e.width == pytest.approx(e.count * scale)  # width proportional to the count
    for k, (left, width) in nodes.items():
        centre = -1.0 if k == 5 else float(k)
        assert left == pytest.approx(centre - width / 2)
        for forward in (True, False):
            ends = [(e.lo_dst, e.width) for e in edges if e.forward == forward and e.dst == k]
            ends += [(e.lo_src, e.width) for e in edges if e.forward == forward and e.src == k]
            ends.sort()
            if not ends:
                continue
            total = sum(w for _, w in ends)
            assert total <= width + 1e-12
            assert ends[0][0] == pytest.approx(centre - total / 2)  # centred on the node
            for (x0, w0), (x1, _) in itertools.pairwise(ends):
                assert x1 == pytest.approx(x0 + w0)  # contiguous, no overlap
    by = {(e.src, e.dst): e for e in edges}
    # node 0 above: incoming arrival first (left), then outgoing far (to lost) before near (to b)
    assert by[(5, 0)].lo_dst < by[(0, 4)].lo_src < by[(0, 1)].lo_src
    # node 3 below: outgoing moves back, nearest target (buy) left of the farther one (b)
    assert by[(3, 2)].lo_src < by[(3, 1)].lo_src


def test_flow_figure_checks_the_shape_and_draws_empty_runs() -> None:
    with pytest.raises(ValueError, match=r"expected \(6, 5\)"):
        flow_figure(np.zeros((5, 5)), ["a", "b", "buy", "loyal", "lost"], {}, CONVERSION, TERMINAL)
    fig = flow_figure(np.zeros((6, 5)), ["a", "b", "buy", "loyal", "lost"], {}, CONVERSION, TERMINAL)
    assert any("no transitions" in t.get_text() for t in fig.axes[0].texts)


def test_flow_figure_labels_the_largest_flows() -> None:
    stages = ["a", "b", "buy", "loyal", "lost"]
    fig = flow_figure(COUNTS, stages, {}, CONVERSION, TERMINAL, label_most=3, label_share=0.0)
    labels = sorted(t.get_text() for t in fig.axes[0].texts)
    assert labels == sorted(["100", "70", "60", "10"])  # three largest, plus the largest move back


def test_funnel_order_groups_by_position_keeping_journey_order() -> None:
    stages = ["a", "b", "c", "buy", "loyal", "lost"]
    positions = {"a": "top", "b": "middle", "c": "top", "buy": "bottom", "loyal": "post_purchase", "lost": "exit"}
    assert [stages[i] for i in funnel_order(stages, positions)] == ["a", "c", "b", "buy", "loyal", "lost"]


def test_stage_colours_shade_stages_sharing_a_position() -> None:
    colours = stage_colours(["a", "b", "c"], {"a": "top", "b": "top", "c": "middle"})
    assert len(set(colours.values())) == 3


def test_weekly_means_handle_a_partial_last_week() -> None:
    daily = pd.DataFrame({"purchases": np.arange(10, dtype=float)}, index=pd.Index(range(10), name="day"))
    weekly = per_day(daily, weekly=True)
    assert weekly["purchases"].tolist() == [3.0, 8.0]  # mean of days 0..6, mean of days 7..9
    assert weekly.index.tolist() == [3.0, 8.0]  # plotted at each week's mean day
    assert per_day(daily, weekly=False) is daily


def test_charts_never_touch_pyplot() -> None:
    """Reports build figures directly: importing and drawing must not load pyplot (global state)."""
    code = (
        "import sys, numpy as np\n"
        "from journeysim.report.flow_chart import flow_figure\n"
        "from journeysim.report.style import png_bytes\n"
        "png_bytes(flow_figure(np.ones((3, 2)), ['a', 'b'], {}, (1,), ()))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_png_bytes_draws_the_same_pixels_as_savefig() -> None:
    """png_bytes draws once and encodes opaque RGB itself: the pixels are savefig's, with its dpi and Software tag."""
    stages = ["a", "b", "buy", "loyal", "lost"]
    positions = {"a": "top", "b": "middle", "buy": "bottom", "loyal": "post_purchase", "lost": "exit"}
    funnel = pd.DataFrame(
        {
            "stage": stages,
            "reached": [100.0, 60.0, 50.0, 45.0, 40.0],
            "stage_conversion_rate": [0.6, 0.8, 0.9, np.nan, np.nan],
            "abandonment_rate": [0.4, 0.2, np.nan, np.nan, np.nan],
        }
    )
    for make in (
        lambda: flow_figure(COUNTS, stages, positions, CONVERSION, TERMINAL),
        lambda: funnel_figure(funnel, positions),
    ):
        data = png_bytes(make())
        image = Image.open(io.BytesIO(data))
        assert image.mode == "RGB" and image.info["Software"] == "journeysim"
        assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)
        buf = io.BytesIO()
        make().savefig(buf, format="png", dpi=DPI, facecolor="white")
        reference = np.asarray(Image.open(buf).convert("RGB"))
        assert np.array_equal(np.asarray(image), reference)
