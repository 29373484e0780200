"""The run report: every chart embedded and saved as a valid PNG, no external reference, graceful degradation."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from journeysim.report import REPORT_FILE, Section, run_report, transition_matrix
from journeysim.study.run import RunResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EMBEDDED = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
ALL_CHARTS = ("funnel", "flow", "occupancy", "purchases", "spend")


def embedded_pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in EMBEDDED.findall(html)]


def external_references(html: str) -> list[str]:
    """Anything a browser would fetch: URLs, protocol-relative sources, scripts, stylesheets, CSS imports."""
    patterns = [r"https?://", r"""(?:src|href)\s*=\s*["']//""", r"<script", r"<link", r"@import", r"url\("]
    return [p for p in patterns if re.search(p, html, flags=re.IGNORECASE)]


@pytest.fixture(scope="module")
def written(small_result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One report of the small run: (its directory, its HTML)."""
    out = tmp_path_factory.mktemp("report")
    path = run_report(small_result, out)
    assert path == out / REPORT_FILE
    return out, path.read_text(encoding="utf-8")


def test_report_embeds_every_chart_and_saves_it_as_png(written: tuple[Path, str]) -> None:
    tmp_path, html = written
    images = embedded_pngs(html)
    assert len(images) == len(ALL_CHARTS)
    for name, data in zip(ALL_CHARTS, images, strict=True):
        saved = (tmp_path / "charts" / f"{name}.png").read_bytes()
        assert saved.startswith(PNG_MAGIC) and len(saved) > 5_000, name
        assert data == saved, f"the embedded {name} chart differs from charts/{name}.png"
        assert f'id="chart-{name}"' in html
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == sorted(f"{n}.png" for n in ALL_CHARTS)
    assert not list(tmp_path.rglob("*.tmp")), "temporary files left behind"


def test_report_is_self_contained(written: tuple[Path, str]) -> None:
    html = written[1]
    assert external_references(html) == []
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<style>" in html


def test_external_reference_check_catches_urls() -> None:
    """The check above is not vacuous."""
    assert external_references('<img src="https://cdn.example/x.png">') != []
    assert external_references('<script src="//cdn.example/x.js"></script>') != []
    assert external_references("<style>body{background:url(x.png)}</style>") != []


def test_metrics_table_shows_means_cis_and_units(small_result: RunResult, written: tuple[Path, str]) -> None:
    html = written[1]
    purchases = small_result.metrics["purchases"]
    assert f"{purchases.mean:,.1f}" in html or f"{purchases.mean:,.0f}" in html
    conv = small_result.metrics["conversion_rate"]
    assert f"{100 * conv.ci_low:.1f}% to {100 * conv.ci_high:.1f}%" in html
    for text in ("Headline metrics", "95% CI", "money / customer", "How to read this report", "All "):
        assert text in html
    assert f"spend: <b>{small_result.metrics['spend'].mean:,.0f}</b>" in html


def test_runs_carry_their_mean_transitions(small_result_no_spend: RunResult) -> None:
    counts = transition_matrix(small_result_no_spend)
    assert counts is not None and small_result_no_spend.transitions is not None
    np.testing.assert_allclose(counts, small_result_no_spend.transitions)


def test_flow_diagram_uses_the_mean_of_kept_records(small_result: RunResult) -> None:
    counts = transition_matrix(small_result)
    assert counts is not None
    expected = (small_result.records[0].transition_counts() + small_result.records[1].transition_counts()) / 2
    np.testing.assert_allclose(counts, expected)
    assert counts[-1].sum() == pytest.approx(small_result.timeseries.query("segment == 'all'")["arrivals"].sum())


def test_without_records_the_flow_is_a_note_and_a_stale_chart_goes(
    small_result: RunResult, small_result_no_spend: RunResult, tmp_path: Path
) -> None:
    run_report(small_result, tmp_path)  # leaves flow.png and spend.png
    bare = replace(small_result_no_spend, transitions=None)  # neither kept records nor mean transitions
    html = run_report(bare, tmp_path).read_text(encoding="utf-8")
    assert "keep_records=True" in html
    assert len(embedded_pngs(html)) == 3  # funnel, occupancy, purchases
    assert not (tmp_path / "charts" / "flow.png").exists()
    assert not (tmp_path / "charts" / "spend.png").exists(), "no spend, no spend chart"
    assert "Media spend" not in html


def test_explicit_transitions_draw_the_flow_without_records(small_result: RunResult, tmp_path: Path) -> None:
    bare = replace(small_result, records=[])
    counts = transition_matrix(small_result)
    html = run_report(bare, tmp_path, transitions=counts).read_text(encoding="utf-8")
    assert 'id="chart-flow"' in html
    assert (tmp_path / "charts" / "flow.png").read_bytes().startswith(PNG_MAGIC)


def test_title_is_escaped_and_extra_sections_are_appended(small_result: RunResult, tmp_path: Path) -> None:
    extra = Section("Bottlenecks", "<p>improving consideration -&gt; intent adds buyers</p>")
    html = run_report(small_result, tmp_path, title="Q3 <plan> & test", sections=[extra]).read_text(encoding="utf-8")
    assert "<title>Q3 &lt;plan&gt; &amp; test</title>" in html
    assert html.index("Bottlenecks") > html.index('id="chart-spend"')


def test_a_baseline_puts_the_incremental_headline_first_and_tags_the_plain_ratios(
    small_result: RunResult, small_incremental, tmp_path: Path
) -> None:
    """Issue 15.5: iROAS, incremental profit, incremental new buyers and incremental CAC lead the report, before
    the plain ROAS / ROI, which are tagged 'not incremental'."""
    from journeysim.report.incrementality import incrementality_section

    section = incrementality_section(small_incremental, "no spend")
    html = run_report(small_result, tmp_path, sections=[section]).read_text(encoding="utf-8")
    lead, headline = html.index('id="incrementality"'), html.index('id="headline-metrics"')
    assert html.index('id="how-to-read-this-report"') < lead < headline
    cards = html[lead:headline]
    for label in ("iROAS", "incremental profit", "incremental new buyers", "incremental CAC"):
        assert f"<div class='k'>{label}" in cards, label
    roas_row = html[html.index("<code>roas</code>", headline) :].split("</tr>")[0]
    assert "not incremental" in roas_row and "the incremental numbers are above" in roas_row
    alone = run_report(small_result, tmp_path / "alone").read_text(encoding="utf-8")
    assert 'id="incrementality"' not in alone and "run with a baseline for incremental ones" in alone


def test_wasted_spend_is_in_the_metrics_and_the_report(small_result: RunResult, tmp_path: Path) -> None:
    """Issue 15.9: spend paid for impressions not delivered is a metric and a per-channel table in the report;
    the daily per-channel columns add up to the metric."""
    wasted = small_result.metrics["wasted_spend"].mean
    assert 0.0 <= wasted <= small_result.metrics["spend"].mean
    daily = small_result.timeseries[small_result.timeseries["segment"] == "all"]
    per_channel = sum(daily[c].sum() for c in daily.columns if c.startswith("wasted_spend."))
    assert per_channel == pytest.approx(wasted, rel=1e-9, abs=1e-9)
    html = run_report(small_result, tmp_path).read_text(encoding="utf-8")
    assert "impressions bought" in html and "wasted spend" in html
