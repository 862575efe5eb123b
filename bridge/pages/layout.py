"""The shell every page shares: one inline style sheet (screen and A4 print).

A page must open from a USB stick on an offline PC, so nothing is linked: no font,
no image, no style sheet, no URL of any kind.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from typing import Any

STYLE = """
:root{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222}
body{margin:0 auto;max-width:1000px;padding:12px 18px}
h1{font-size:20px;margin:4px 0 10px}h2{font-size:16px;margin:18px 0 6px;
border-bottom:1px solid #ccc}h3{font-size:14px;margin:12px 0 4px}
.banner{padding:10px 14px;border-radius:4px;color:#fff;font-size:22px;font-weight:600}
.banner.pass{background:#2e7d32}.banner.fail{background:#c62828}
.banner.other{background:#6d4c41}
.banner small{color:#fff;font-size:13px;font-weight:400;margin-left:12px}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{border-bottom:1px solid #e4e4e4;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:4px 18px}
.facts table td:first-child{color:#666;width:40%}
.passed{color:#2e7d32;font-weight:600}.failed,.error{color:#c62828;font-weight:600}
.skipped,.stopped,.run{color:#8d6e00;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.c th{background:#f0f4f8;border-top:2px solid #ccd}tr.c.failed th,tr.c.error th{
background:#fdecec}small{color:#777}tr.details td{border-bottom:none}
tr.bad td:first-child{color:#c62828}
i.g{display:inline-block;position:relative;width:140px;height:12px;vertical-align:middle;
background:linear-gradient(#ddd,#ddd) 0 5px/100% 2px no-repeat}
i.g b{position:absolute;top:2px;height:8px;background:#bfe3bf;border:solid #555;
border-width:0 1px}i.g s{position:absolute;top:1px;width:10px;height:10px;margin-left:-5px;
border-radius:50%;background:#2e7d32}tr.bad i.g s{background:#c62828}
.assertion{background:#fff0f0;white-space:pre-wrap;font-family:monospace;padding:4px 6px;
margin:4px 0;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:4px 6px;margin:4px 0}
svg.chart{max-width:100%;height:auto;font-size:11px}svg.chart .title{font-weight:600;font-size:12px}
svg.chart .grid{stroke:#eee}svg.chart .frame{fill:none;stroke:#999}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:8px}
.flag{color:#c62828;font-weight:600}.muted{color:#777}
details>summary{cursor:pointer;color:#333;margin:4px 0}
footer{margin-top:24px;color:#888;font-size:11px}
@page{size:A4;margin:12mm}
@media print{
 :root{font-size:10px}body{max-width:none;padding:0}
 details::details-content{content-visibility:visible;display:contents}
 tr,svg.chart,.banner{break-inside:avoid}
 i.g,i.g b,i.g s{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2{break-after:avoid}.charts{display:block}
 .banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 td,th{overflow-wrap:anywhere}
}
"""


# Closed <details> would hide artifacts on paper: open them all before printing.
OPEN_FOR_PRINT = ("<script>addEventListener('beforeprint',()=>document.querySelectorAll"
                  "('details').forEach(d=>d.open=true))</script>")


def page(title: str, body: str) -> str:
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>{OPEN_FOR_PRINT}</head>"
        f"<body>{body}"
        f"<footer>Written by stand-bridge on {made}; self-contained, works offline."
        "</footer></body></html>"
    )


def text(value: Any) -> str:
    """A value as escaped text; missing values show as an em dash."""
    return "—" if value is None or value == "" else escape(str(value))


def when(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s"


def facts(title: str, rows: list[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><td>{escape(k)}</td><td>{text(v)}</td></tr>" for k, v in rows)
    return f"<div><h3>{escape(title)}</h3><table>{cells}</table></div>"


def status(value: str | None) -> str:
    return f'<span class="{escape(value or "")}">{text(value)}</span>'


def collapsible(summary: str, content: str, *, open_: bool = False) -> str:
    opened = " open" if open_ else ""
    return f"<details{opened}><summary>{escape(summary)}</summary>{content}</details>"
