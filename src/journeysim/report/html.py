"""The self-contained HTML page: inline CSS, charts embedded as base64 PNG, no script, no external resource.

A report is a list of sections; a section has a title, some HTML and charts. The same PNG bytes are embedded
in the page and written to charts/<name>.png, so what the page shows and the saved charts never differ.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from journeysim import __version__

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#222;font:15px/1.5 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",
Helvetica,Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
header{background:#1f2d3d;color:#fff;padding:22px 28px}
header .inner{max-width:1200px;margin:0 auto}
header h1{margin:0 0 6px;font-size:26px;font-weight:600}
header .meta{display:flex;flex-wrap:wrap;gap:6px 22px;font-size:13px;color:#c9d3de}
header .meta b{color:#fff;font-weight:600}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin:0 0 22px;padding:18px 22px}
section h2{margin:0 0 10px;font-size:19px;font-weight:600;color:#1f2d3d}
figure{margin:12px 0 4px}
figure img{display:block;max-width:100%;height:auto;margin:0 auto}
figcaption{font-size:13.5px;color:#444;margin-top:8px;padding:8px 12px;background:#f7f8fa;border-left:3px solid
#4C78A8;border-radius:0 4px 4px 0}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}
th,td{padding:5px 10px;border-bottom:1px solid #e6e8eb;text-align:left;vertical-align:top}
th{background:#f7f8fa;font-weight:600;color:#333}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td code,li code,p code{font-size:12.5px;background:#f1f3f5;padding:1px 4px;border-radius:3px}
tr:hover td{background:#fafbfc}
details{margin-top:10px}
summary{cursor:pointer;color:#1f5f99;font-weight:600}
.read{columns:2 360px;column-gap:32px;font-size:14px}
.read li{margin-bottom:6px;break-inside:avoid}
.note{color:#666;font-size:13px}
td.unit{white-space:nowrap}
.clear{color:#1f5f99;font-weight:700}
.scroll{overflow-x:auto}
.tag{font-size:11.5px;color:#8a4b00;background:#fff3e0;border-radius:3px;padding:0 5px;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:14px;margin:12px 0}
.card{flex:1 1 220px;border:1px solid #e6e8eb;border-top:4px solid #1f5f99;border-radius:6px;padding:10px 14px}
.card .k{font-size:13px;color:#444}.card .v{font-size:28px;font-weight:700;color:#1f2d3d}
.card .ci{font-size:12.5px;color:#666}
footer{max-width:1200px;margin:0 auto;padding:0 28px 28px;color:#888;font-size:12px}
@media print{body{background:#fff}section{box-shadow:none;break-inside:avoid}}
"""


@dataclass(frozen=True)
class Chart:
    """One chart: the file stem under charts/, its PNG bytes, alt text and a caption saying how to read it."""

    name: str
    png: bytes
    alt: str
    caption: str = ""  # HTML

    def html(self) -> str:
        """An <img> with the PNG inline (data URI) and its caption."""
        data = base64.b64encode(self.png).decode("ascii")
        caption = f"<figcaption>{self.caption}</figcaption>" if self.caption else ""
        return (
            f'<figure id="chart-{esc(self.name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{esc(self.alt)}">{caption}</figure>'
        )


@dataclass(frozen=True)
class Section:
    """A titled block of the report: HTML before the charts, the charts, HTML after them."""

    title: str
    body: str = ""  # HTML
    charts: tuple[Chart, ...] = ()
    after: str = ""  # HTML
    lead: bool = False  # placed first in the run report (right after "How to read"), e.g. incrementality

    def html(self) -> str:
        """The section as HTML."""
        anchor = "".join(ch if ch.isalnum() else "-" for ch in self.title.lower()).strip("-")
        inner = self.body + "".join(c.html() for c in self.charts) + self.after
        return f'<section id="{esc(anchor)}"><h2>{esc(self.title)}</h2>{inner}</section>'


@dataclass(frozen=True)
class Page:
    """A whole report: title, key facts for the header, sections."""

    title: str
    facts: Sequence[tuple[str, str]] = ()
    sections: Sequence[Section] = field(default_factory=tuple)

    @property
    def charts(self) -> list[Chart]:
        """Every chart of every section, in page order."""
        return [c for s in self.sections for c in s.charts]

    def html(self) -> str:
        """The complete, self-contained HTML document."""
        facts = "".join(f"<span>{esc(k)}: <b>{esc(v)}</b></span>" for k, v in self.facts)
        body = "".join(s.html() for s in self.sections)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="journeysim {esc(__version__)}">'
            f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>"
            f'<header><div class="inner"><h1>{esc(self.title)}</h1><div class="meta">{facts}</div></div></header>'
            f"<main>{body}</main>"
            f"<footer>Made by journeysim {esc(__version__)}. Self-contained: charts are embedded images, also saved "
            "under charts/. Simulated projections from an illustrative model: read them as scenarios, not "
            "forecasts.</footer></body></html>\n"
        )


def esc(text: object) -> str:
    """HTML-escape any value for text and attribute positions."""
    return html.escape(str(text), quote=True)


def bullet_list(items: Sequence[str], css_class: str = "") -> str:
    """A <ul> of HTML items."""
    cls = f' class="{css_class}"' if css_class else ""
    return f"<ul{cls}>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
