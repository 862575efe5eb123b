"""The test-plan API and instrument data, each setter against each hostile value.

In-process on a real store file: each input gets a fresh run, the call, the case's
commit and the run's end, and the stored report must then be valid JSON holding the
value. An input may be refused (clearly, naming the field) or stored right; a commit
that fails afterwards (the case lost, the run looking passed) is the worst defect.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import datetime

import pytest
from audit_support import Tally

from bridge import api
from bridge.models import Chart, Instrument, NumericMeasurement, StringMeasurement, SubUnit
from bridge.recorder import RunRecorder
from bridge.report import build_report
from bridge.store import Store
from bridge.store.writer import RunWriter


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


HUGE = "S" * 10_000_000
VALUES = {
    "nan": math.nan, "inf": math.inf, "-inf": -math.inf, "2**63": 2**63,
    "-2**63-1": -(2**63) - 1, "2**64 float": float(2**64), "lone surrogate": "a\ud800b",
    "10 MB text": HUGE, "tuple": (1, 2), "object": object(), "bytes": b"\xff\x00",
    "set": {1}, "bool": True, "None": None, "40-deep dict": _nested(40),
    "tuple-key dict": {(1, 2): 1}, "int-key dict": {1: "a"}, "markup": "[/]",
    "escape": "\x1b[2J", "empty": "", "NUL": "a\x00b", "datetime": datetime(2026, 1, 2),
    "list": [1, "a"], "negative": -5,
}


def _chart(v):
    return api.set_case_chart(Chart(x_data=[[0.0]], y_data=[[v]]))


def _series(v):
    chart = Chart()
    chart.add_series([0.0], [v], "s")
    return api.set_case_chart(chart)


SETTERS = {
    **{name: (getattr(api, name), (name,)) for name in (
        "set_dut_part_number", "set_dut_serial_number", "set_dut_name", "set_dut_type",
        "set_dut_revision", "set_stand_name", "set_stand_location", "set_stand_revision",
        "set_process_name", "set_batch_serial_number", "set_user_name", "set_stand_number",
        "set_process_number", "set_error_code")},
    "set_message": (api.set_message, ("set_message",)),
    "set_message key": (lambda v: api.set_message("text", v), ("msg_key",)),
    **{f"{name} value": (lambda v, name=name: getattr(api, name)({"k": v}), (label,))
       for name, label in (("set_dut_info", "dut info"), ("set_stand_info", "stand info"),
                           ("set_process_info", "process info"),
                           ("set_driver_info", "driver info"),
                           ("set_case_artifact", "case artifact"),
                           ("set_module_artifact", "module artifact"),
                           ("set_run_artifact", "run artifact"))},
    "set_case_artifact whole": (api.set_case_artifact, ("case artifact",)),
    "Instrument.name": (lambda v: api.set_instrument(Instrument(name=v)), ("name",)),
    "Instrument.serial_number": (lambda v: api.set_instrument(serial_number=v),
                                 ("serial_number",)),
    "Instrument.number": (lambda v: api.set_instrument(number=v), ("number",)),
    "Instrument.info": (lambda v: api.set_instrument(info={"k": v}), ("info",)),
    "SubUnit.serial_number": (lambda v: api.set_dut_sub_unit(SubUnit(serial_number=v)),
                              ("serial_number",)),
    "SubUnit.info": (lambda v: api.set_dut_sub_unit(info={"k": v}), ("info",)),
    "Chart.y_data": (_chart, ("y_data", "chart")),
    "Chart.add_series": (_series, ("chart",)),
    "Chart.title": (lambda v: api.set_case_chart(Chart(title=v, x_data=[[0]], y_data=[[1]])),
                    ("title",)),
    "NumericMeasurement.value": (
        lambda v: api.set_case_measurement(NumericMeasurement(value=v), fail_case=False),
        ("value",)),
    "NumericMeasurement.name": (
        lambda v: api.set_case_measurement(NumericMeasurement(value=1, name=v)), ("name",)),
    "NumericMeasurement.unit": (
        lambda v: api.set_case_measurement(NumericMeasurement(value=1, unit=v)), ("unit",)),
    "NumericMeasurement.upper_limit": (
        lambda v: api.set_case_measurement(NumericMeasurement(
            value=1, operation="gele", lower_limit=0, upper_limit=v), fail_case=False),
        ("upper_limit",)),
    "StringMeasurement.value": (
        lambda v: api.set_case_measurement(StringMeasurement(value=v)), ("value",)),
    "StringMeasurement.comparison_value": (
        lambda v: api.set_case_measurement(StringMeasurement(
            value="a", operation="eq", comparison_value=v), fail_case=False),
        ("comparison_value",)),
}


def _stored_right(store: Store, recorder: RunRecorder, value: object):
    """After an accepted call: the case and the run land, and the report holds the value."""
    def check(_result: object) -> tuple[str, str]:
        try:
            recorder.save_attempt("passed", None, final=True)
            recorder.finish("passed")
            report = build_report(store.conn, recorder.run_id)
            text = json.dumps(report, allow_nan=False, ensure_ascii=False)
            text.encode("utf-8")
        except Exception as exc:  # noqa: BLE001 - the audit classifies whatever escapes
            return "lost", f"accepted, then not stored: {type(exc).__name__}: {exc}"
        shown = json.dumps(value, ensure_ascii=False)[1:-1] if isinstance(value, str) else (
            str(value) if isinstance(value, int) and not isinstance(value, bool) else "")
        if shown and shown not in text:
            return "wrong", f"accepted, but the report does not hold {shown[:40]!r}"
        return "accepted", ""
    return check


def test_every_setter_against_every_hostile_value(tmp_path, record_property):
    tally = Tally()
    with Store.open(tmp_path / "runs.db") as store:
        for setter, (call, hints) in SETTERS.items():
            for label, value in VALUES.items():
                recorder = RunRecorder(RunWriter(store, str(uuid.uuid4())))
                recorder.writer.start("audit", "hw", time.time(), {})
                api.activate(recorder)
                try:
                    recorder.begin_case("test_audit", "audit", "test_case", "case")
                    tally.judge(f"{setter}({label})", lambda c=call, v=value: c(v), hints,
                                _stored_right(store, recorder, value))
                finally:
                    api.activate(None)
    assert tally.counts["tried"] >= 800
    tally.hand_over(record_property)


@pytest.mark.parametrize("label", ["nan", "2**63", "lone surrogate"])
def test_a_chart_or_info_value_the_report_cannot_carry_is_refused_at_the_call(label):
    value = VALUES[label]
    with pytest.raises(ValueError, match="y_data"):
        Chart(x_data=[[0.0]], y_data=[[value]])
    with pytest.raises(ValueError, match="info"):
        SubUnit(info={"k": value})


def test_a_10_mb_serial_number_is_refused_naming_the_bound(tmp_path):
    with Store.open(tmp_path / "runs.db") as store:
        recorder = RunRecorder(RunWriter(store, "run-1"))
        api.activate(recorder)
        try:
            with pytest.raises(ValueError, match=r"set_dut_serial_number\(\) is 10000000 "
                                                 r"characters long; at most 1000"):
                api.set_dut_serial_number(HUGE)
        finally:
            api.activate(None)
