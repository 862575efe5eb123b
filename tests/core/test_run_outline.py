"""The end-of-run summary reads the lean outline; it says what the full report says."""

from __future__ import annotations

import pytest

from bridge.errors import StoreError
from bridge.models import NumericMeasurement, StringMeasurement
from bridge.recorder import RunRecorder
from bridge.report import build_report
from bridge.run_outline import run_outline
from bridge.run_summary import summary_lines
from bridge.store import Store
from bridge.store.writer import RunWriter


def _run(store: Store, status: str) -> str:
    writer = RunWriter(store, f"run-{status}")
    writer.start("plan", "hw", 1.0, {"timezone": "UTC"})
    recorder = RunRecorder(writer)
    cases = [  # module, case, measurements, status of each attempt
        ("power", "rails", [NumericMeasurement(value=5.5, name="5V", unit="V",
                                               operation="gele", lower_limit=4.9,
                                               upper_limit=5.1),
                            NumericMeasurement(value=3.3, name="3V3", unit="V")],
         ["passed"]),
        ("power", "ripple", [NumericMeasurement(value=0.3, name="ripple",
                                                operation="le", comparison_value=0.2)],
         ["failed", "failed"]),
        ("power", "retry", [NumericMeasurement(value=1, operation="eq", comparison_value=2)],
         ["failed", "passed"]),
        ("console", "banner", [StringMeasurement(value="v2", name="fw", operation="eq",
                                                 comparison_value="v3")], ["failed"]),
        ("console", "skipped", [], ["skipped"]),
    ]
    for module_id, case_id, measurements, attempts in cases:
        recorder.begin_case(module_id, module_id.title(), case_id, case_id.upper())
        for number, attempt_status in enumerate(attempts, 1):
            for measurement in measurements if attempt_status != "passed" or number == 1 \
                    else []:
                recorder.add_measurement(measurement)
            recorder.save_attempt(attempt_status, None, final=number == len(attempts))
    recorder.finish(status)
    return recorder.run_id


@pytest.mark.parametrize("status", ["failed", "interrupted"])
def test_the_summary_from_the_outline_is_the_summary_from_the_report(tmp_path, status):
    with Store.open(tmp_path / "runs.db") as store:
        run_id = _run(store, status)
        report = build_report(store.conn, run_id)
        outline = run_outline(store.conn, run_id)
    assert summary_lines(outline) == summary_lines(report)
    assert outline["status"] == report["status"]
    assert [(module_id, list(module["cases"])) for module_id, module in
            outline["modules"].items()] == [
        (module_id, list(module["cases"])) for module_id, module in report["modules"].items()]
    text = "\n".join(line for line, _ in summary_lines(outline))
    assert "failing measurements (3)" in text  # 5V, ripple (its final attempt), fw


def test_an_unknown_run_is_a_store_error(tmp_path):
    with Store.open(tmp_path / "runs.db") as store, pytest.raises(StoreError, match="no run"):
        run_outline(store.conn, "nope")
