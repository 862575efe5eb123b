"""Faults in real pytest runs of a plan: a run is stored as what it was, never passed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import time

import pytest
from forkserver import Captured

from bridge.report import build_report
from bridge.store import Store

PASS_FIRST = "import bridge\n\ndef test_first():\n    bridge.set_case_artifact({'n': 1})\n"
WAIT_IN_CASE = """
import pathlib, time

def test_waits():
    pathlib.Path("started").touch()
    time.sleep(120)
    assert False
"""


def _fault_seen(record_property) -> None:
    record_property("audit", {"tried": 1, "clear": 1})


def _wait_for(path, process: Captured) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the case never started"
        time.sleep(0.05)


def test_a_nan_chart_is_refused_at_the_call_and_the_run_goes_on_failed(plan, record_property):
    plan.write("test_plan.py", """
        import math
        import bridge
        from bridge.models import Chart

        def test_one():
            pass

        def test_two():
            bridge.set_case_chart(Chart(x_data=[[0.0]], y_data=[[math.nan]]))

        def test_three():
            assert False
        """)
    result = plan.pytest()
    assert "INTERNALERROR" not in result.stdout + result.stderr
    report = plan.export()
    cases = report["modules"]["test_plan"]["cases"]
    assert report["status"] == "failed"
    assert [cases[name]["status"] for name in ("test_one", "test_two", "test_three")] == [
        "passed", "failed", "failed"]
    assert "y_data" in cases["test_two"]["assertion_msg"]
    _fault_seen(record_property)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_in_a_case_stores_it_and_the_run_as_stopped(plan, signum,
                                                                     record_property):
    plan.write("test_a.py", PASS_FIRST)
    plan.write("test_b.py", WAIT_IN_CASE)
    process = plan.start_pytest()
    _wait_for(plan.root / "started", process)
    process.send_signal(signum)
    output = process.communicate(timeout=120)[0]
    assert "INTERNALERROR" not in output
    report = plan.export()
    assert report["status"] == "stopped"
    assert report["modules"]["test_b"]["cases"]["test_waits"]["status"] == "stopped"
    assert report["modules"]["test_a"]["cases"]["test_first"]["status"] == "passed"
    _fault_seen(record_property)


def test_kill_9_leaves_a_run_queued_for_standcloud_as_stopped(plan, record_property):
    plan.write("test_a.py", PASS_FIRST)
    plan.write("test_b.py", WAIT_IN_CASE)
    process = plan.start_pytest()
    _wait_for(plan.root / "started", process)
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    with Store.open(plan.store_path) as store:  # opening settles the dead run
        (run_id, state), = store.conn.execute("SELECT run_id, state FROM outbox")
        report = build_report(store.conn, run_id)
    assert state == "pending"
    assert report["status"] == "stopped"
    assert list(report["modules"]["test_a"]["cases"]) == ["test_first"]
    _fault_seen(record_property)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_stops_the_run_as_error_and_the_next_run_refuses(plan, record_property):
    limit = 9_000_000  # bytes per file: leaves the 8 MB a run needs at its start
    plan.write("test_big.py", """
        import pytest, bridge

        @pytest.mark.parametrize("n", range(30))
        def test_case(n):
            bridge.set_case_artifact({f"b{i}": "x" * 100_000 for i in range(10)})
        """)
    capped = {"RLIMIT_FSIZE": (limit, limit)}
    first = plan.start_pytest(limits=capped).communicate(timeout=300)[0]
    assert "INTERNALERROR" not in first and "Traceback" not in first
    assert "could not be stored" in first
    run = json.loads(plan.bridge("runs", "--json").stdout)
    assert run["status"] == "error"
    assert 0 < run["cases"] < 30
    second = plan.start_pytest(limits=capped)
    output = second.communicate(timeout=300)[0]
    assert second.returncode == 4, output
    assert "cannot start the run" in output and "file size limit" in output
    _fault_seen(record_property)


def test_a_damaged_store_is_one_line_for_pytest_and_for_readers(plan, record_property):
    plan.write("test_a.py", PASS_FIRST)
    assert plan.pytest().returncode == 0
    with sqlite3.connect(plan.store_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with plan.store_path.open("r+b") as handle:
        handle.seek((page[0] - 1) * size)
        handle.write(b"\xa5" * size)
    result = plan.pytest()
    assert result.returncode == 4
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert "bridge store check" in result.stderr
    for reader in (["runs"], ["show", "last"], ["export", "last"]):
        shown = plan.bridge(*reader)
        assert shown.returncode == 1
        assert "Traceback" not in shown.stderr
        assert shown.stderr.count("\n") == 1 and "damaged" in shown.stderr
    assert os.path.getsize(plan.store_path) > 0
    _fault_seen(record_property)


@pytest.mark.parametrize("pem", [None, "not a certificate\n"])
def test_autosync_with_a_missing_or_bad_ca_file_warns_and_the_session_passes(
        plan, pem, record_property):
    plan.write("hardpy.toml", '[stand_cloud]\naddress = "https://127.0.0.1:9"\n'
               'autosync = true\napi_key = "k"\nca_file = "ca.pem"\n')
    if pem is not None:
        plan.write("ca.pem", pem)
    plan.write("test_a.py", "def test_a():\n    pass\n")
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "StandCloud: not uploaded now" in result.stdout
    assert "ca_file = 'ca.pem'" in result.stdout
    _fault_seen(record_property)
