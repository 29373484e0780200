"""Self-contained HTML reports with charts (PNG, embedded and saved) for a run and for a comparison of scenarios.

`run_report(result, out_dir)` and `comparison_report(table, out_dir)` write an HTML file that opens in a browser
with no server and no network, plus charts/*.png. See docs/reports.md for what each chart shows.
"""

from __future__ import annotations

from journeysim.report.comparison_page import COMPARISON_FILE, comparison_page, comparison_report
from journeysim.report.html import Chart, Page, Section
from journeysim.report.run_page import REPORT_FILE, run_page, run_report, transition_matrix

__all__ = [
    "COMPARISON_FILE",
    "REPORT_FILE",
    "Chart",
    "Page",
    "Section",
    "comparison_page",
    "comparison_report",
    "run_page",
    "run_report",
    "transition_matrix",
]
