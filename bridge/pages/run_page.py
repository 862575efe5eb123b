"""One run as one HTML page, from StandCloud's report format.

Built from the report dict (``bridge.report.build_report``), not from the store's
tables, so that the StandCloud simulator draws the same page from the reports it
received. What the format rounds away (case times in whole seconds) the store can
give back through ``CaseTimes``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from bridge.pages import svg
from bridge.pages.layout import collapsible, duration, facts, page, status, text, when
from bridge.statuses import Status

# (module id, case id) → (seconds the final attempt took, attempts made)
CaseTimes = Mapping[tuple[str, str], tuple[float | None, int]]

_OUTSIDE = {"ltgt", "lege", "legt", "ltge"}  # the passing region is outside the limits
_SYMBOL = {"eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def margin_percent(m: Mapping[str, Any]) -> float | None:
    """How far the value is from the nearest limit, in % of the window (< 0: outside it).

    For the two-limit operations only; a single comparison has no window to scale by.
    """
    low, high, value = m.get("lower_limit"), m.get("upper_limit"), m.get("value")
    if low is None or high is None or not isinstance(value, (int, float)) or high <= low:
        return None
    inside = min(value - low, high - value) / (high - low) * 100
    return -inside if m.get("operation") in _OUTSIDE else inside


def _limits_text(m: Mapping[str, Any]) -> str:
    op = m.get("operation")
    if op in _SYMBOL:
        return f"{_SYMBOL[op]} {text(m.get('comparison_value'))}"
    low, high = text(m.get("lower_limit")), text(m.get("upper_limit"))
    if op in _OUTSIDE:
        return f"outside [{low}, {high}]"
    if op:
        left = "(" if op.startswith("gt") else "["
        right = ")" if op.endswith("lt") else "]"
        return f"{left}{low}, {high}{right}"
    return "—"


def gauge(value: float, low: float | None, high: float | None) -> str:
    """Where a value sits in its window, as a CSS bar: ~80 bytes, for pages of 1000 cases."""
    known = [v for v in (low, high) if v is not None]
    lo, hi = min([value, *known]), max([value, *known])
    if low is not None and high is not None:
        pad = (high - low) * 0.25
        lo, hi = min(lo, low - pad), max(hi, high + pad)
    else:
        pad = (hi - lo) * 0.25 or abs(hi) * 0.5 or 1.0
        lo, hi = lo - pad, hi + pad

    def at(v: float) -> int:
        return round((v - lo) / (hi - lo) * 100)

    window = ""
    if known:
        a = at(low) if low is not None else 0
        b = at(high) if high is not None else 100
        window = f"<b style=left:{a}%;width:{max(b - a, 1)}%></b>"
    return f"<i class=g>{window}<s style=left:{at(value)}%></s></i>"


def _measurement_row(m: Mapping[str, Any]) -> str:
    result = m.get("result")
    value, drawn = m.get("value"), ""
    number = value if m.get("type") == "numeric" and isinstance(value, (int, float)) else None
    margin = margin_percent(m) if number is not None else None
    if number is not None:
        low, high = m.get("lower_limit"), m.get("upper_limit")
        if low is None and high is None and m.get("operation") in _SYMBOL:
            low = high = m.get("comparison_value")
        drawn = gauge(float(number), low, high)
    unit = m.get("unit") or ""
    verdicts: dict[object, str] = {True: Status.PASSED.value, False: Status.FAILED.value}
    verdict = verdicts.get(result, "")
    row = " class=bad" if result is False else ""
    return (f"<tr{row}><td>{text(m.get('name'))}<td class=n>{text(value)} {escape(unit)}"
            f"<td>{_limits_text(m)}<td>{drawn}"
            f"<td class=n>{'' if margin is None else f'{margin:.1f} %'}"
            f"<td class={verdict or 'muted'}>{verdict or '—'}")


def chart_svg(chart: Mapping[str, Any]) -> str:
    """A ``set_case_chart`` chart with its axes; the labels carry the units."""
    kind = chart.get("type") or "line"
    names = list(chart.get("marker_name") or [])
    series = [(names[i] if i < len(names) else None, xs, ys)
              for i, (xs, ys) in enumerate(zip(chart.get("x_data") or [],
                                               chart.get("y_data") or [], strict=False))]
    return svg.line_chart(series, title=chart.get("title") or "chart",
                          x_label=chart.get("x_label") or "", y_label=chart.get("y_label") or "",
                          log_x=kind in ("line_log_x", "log_x_y"),
                          log_y=kind in ("line_log_y", "log_x_y"))


def _json_block(title: str, data: Any) -> str:
    if not data:
        return ""
    return collapsible(title, f"<pre>{escape(json.dumps(data, indent=2, default=str))}</pre>")


def _case(module_id: str, case_id: str, case: Mapping[str, Any], times: CaseTimes) -> str:
    """A case row, its details (assertion, messages, chart, artifact), its measurements."""
    took, attempts = times.get((module_id, case_id), (None, case.get("attempt") or 1))
    if took is None and case.get("start_time") is not None and case.get("stop_time") is not None:
        took = case["stop_time"] - case["start_time"]
    state = escape(case.get("status") or "")
    name = text(case.get("name"))
    if case.get("name") != case_id:
        name += f" <small>{escape(case_id)}</small>"
    # End tags of td, th and tr are optional in HTML: left out, they keep a page of
    # 1000 cases under 300 kB.
    row = "c" if state in (Status.PASSED, Status.SKIPPED) else f"'c {state}'"
    tries = f"{attempts} {'try' if attempts == 1 else 'tries'}"
    rows = [f"<tr class={row}><th>{name} <b class={state or 'muted'}>{state or '—'}</b>"
            f"<td>{duration(took)}<td>{tries}"]
    details = []
    if case.get("assertion_msg"):
        details.append(f"<div class=assertion>{escape(case['assertion_msg'])}</div>")
    for key, msg in (case.get("msg") or {}).items():
        details.append(f"<div><span class=muted>{escape(str(key))}:</span> {text(msg)}</div>")
    if case.get("chart"):
        details.append(chart_svg(case["chart"]))
    details.append(_json_block("case artifact", case.get("artifact")))
    if any(details):
        rows.append(f"<tr class=details><td colspan=6>{''.join(details)}")
    rows.extend(_measurement_row(m) for m in case.get("measurements") or [])
    return "".join(rows)


def _banner(report: Mapping[str, Any]) -> str:
    state = report.get("status")
    banners: dict[Any, tuple[str, str]] = {
        Status.PASSED: ("PASS", "pass"), Status.FAILED: ("FAIL", "fail"),
        Status.ERROR: ("FAIL (error)", "fail")}
    label, css = banners.get(state, (str(state).upper(), "other"))
    dut = report.get("dut") or {}
    return (f"<div class='banner {css}' data-status='{escape(str(state))}'>{label}"
            f"<small>{text(report.get('name'))} · {text(dut.get('part_number'))} "
            f"{text(dut.get('serial_number'))}</small></div>")


def _instruments(stand: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{text(i.get('name'))}</td><td>{text(i.get('part_number'))}</td>"
        f"<td>{text(i.get('serial_number'))}</td><td>{text(i.get('revision'))}</td>"
        f"<td>{text(i.get('comment'))}</td></tr>" for i in stand.get("instruments") or [])
    if not rows:
        return "<p class='muted'>No instrument recorded.</p>"
    return ("<table><tr><th>instrument</th><th>model</th><th>serial</th><th>firmware</th>"
            f"<th>comment</th></tr>{rows}</table>")


def render_run(report: Mapping[str, Any], times: CaseTimes | None = None) -> str:
    times = times or {}
    stand, dut = report.get("test_stand") or {}, report.get("dut") or {}
    process = report.get("process") or {}
    start, stop = report.get("start_time"), report.get("stop_time")
    took = None if start is None or stop is None else stop - start
    summary = [
        _banner(report),
        "<div class='facts'>",
        facts("Run", [("test plan", report.get("name")), ("run id", report.get("id")),
                      ("started", when(start)), ("duration", duration(took)),
                      ("operator", report.get("user")),
                      ("batch", report.get("batch_serial_number")),
                      ("process", process.get("name")), ("error code", report.get("error_code"))]),
        facts("DUT", [("part number", dut.get("part_number")),
                      ("serial number", dut.get("serial_number")), ("name", dut.get("name")),
                      ("type", dut.get("type")), ("revision", dut.get("revision"))]),
        facts("Stand", [("name", stand.get("name")), ("hardware id", stand.get("hw_id")),
                        ("location", stand.get("location")), ("number", stand.get("number")),
                        ("revision", stand.get("revision")), ("timezone", stand.get("timezone"))]),
        "</div><h2>Instruments</h2>", _instruments(stand),
    ]
    body = []
    for module_id, module in (report.get("modules") or {}).items():
        body.append(f"<h2>{text(module.get('name'))} {status(module.get('status'))}</h2>")
        cases = "".join(_case(module_id, case_id, case, times)
                        for case_id, case in (module.get("cases") or {}).items())
        body.append("<table class=cases><tr><th>case / measurement</th><th>value, duration"
                    "</th><th>limits, attempts</th><th>position in window</th><th>margin</th>"
                    f"<th>result</th></tr>{cases}</table>")
        body.append(_json_block("module artifact", module.get("artifact")))
    info = "".join(_json_block(title, data) for title, data in (
        ("DUT info", dut.get("info")), ("DUT sub-units", dut.get("sub_units")),
        ("stand info", stand.get("info")), ("drivers", stand.get("drivers")),
        ("process info", process.get("info")), ("run artifact", report.get("artifact"))))
    extra = f"<h2>Info and artifacts</h2>{info}" if info else ""
    title = f"{report.get('name')} — {dut.get('serial_number') or report.get('id')}"
    return page(title, "".join(summary) + "".join(body) + extra)
