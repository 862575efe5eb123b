"""One definition of the statuses: members behave as the strings stored and reported."""

from __future__ import annotations

import json
import sqlite3
from typing import get_args

from bridge.report_schema import Status as ReportStatus
from bridge.statuses import Status


def test_a_status_is_its_string_in_text_keys_json_and_sqlite():
    assert f"{Status.STOPPED}" == str(Status.STOPPED) == "stopped"
    assert {Status.PASSED: "green"}.get("passed") == "green"
    assert json.dumps([Status.ERROR]) == '["error"]'
    with sqlite3.connect(":memory:") as conn:
        assert conn.execute("SELECT ? = 'failed'", (Status.FAILED,)).fetchone() == (1,)


def test_the_report_schema_takes_only_defined_statuses():
    assert set(get_args(ReportStatus)) <= {status.value for status in Status}
