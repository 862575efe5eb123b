"""A module's status is one rule: the recorder (dependencies, the running report) and
the store (reports, pages) say the same of every mix of case statuses."""

from __future__ import annotations

import pytest

from bridge.recorder import RunRecorder
from bridge.report import build_report
from bridge.store import Store
from bridge.store.writer import RunWriter

MIXES = {
    "only stopped": (["stopped"], "stopped"),
    "passed then stopped": (["passed", "stopped"], "stopped"),
    "stopped and failed": (["stopped", "failed"], "failed"),
    "all skipped": (["skipped", "skipped"], "skipped"),
    "passed and skipped": (["passed", "skipped"], "passed"),
    "error": (["passed", "error"], "failed"),
}


@pytest.mark.parametrize("mix", MIXES, ids=list(MIXES))
def test_recorder_and_store_agree_on_the_module_status(tmp_path, mix):
    statuses, expected = MIXES[mix]
    with Store.open(tmp_path / "runs.db") as store:
        writer = RunWriter(store, "run-1")
        writer.start("plan", "hw", 1000.0, {})
        recorder = RunRecorder(writer)
        for n, status in enumerate(statuses):
            recorder.begin_case("test_m", "M", f"test_{n}", f"Case {n}")
            recorder.save_attempt(status, None, final=True, ran=status != "skipped")
        recorder.finish("stopped")
        stored = build_report(store.conn, "run-1")["modules"]["test_m"]["status"]
    assert (recorder.status_of("test_m", None), stored) == (expected, expected)
