"""Nothing finished is lost: kill -9 mid-run, and many writers on one store."""

import os
import signal
import sqlite3
import time

from bridge.report import build_report
from bridge.store import Store
from bridge.store.writer import RunWriter

SLOW_PLAN = """
import time
import pytest
import bridge

@pytest.mark.parametrize("n", range(200))
def test_case(n):
    bridge.set_case_measurement(bridge.NumericMeasurement(value=n, name="n"))
    time.sleep(0.01)
"""


def _finished_cases(path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def test_kill_9_mid_run_keeps_every_finished_case_and_marks_the_run_interrupted(plan):
    plan.write("test_slow.py", SLOW_PLAN)
    process = plan.start_pytest()
    deadline = time.monotonic() + 60
    while _finished_cases(plan.store_path) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL
    seen_before_kill = _finished_cases(plan.store_path)
    assert 50 <= seen_before_kill < 200

    with Store.open(plan.store_path) as store:  # opening settles the dead run
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        status, cases, measurements = store.conn.execute(
            "SELECT status, (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM measurements)"
            " FROM runs").fetchone()
        run_id = store.conn.execute("SELECT id FROM runs").fetchone()[0]
        report = build_report(store.conn, run_id)
    assert status == "interrupted"
    assert cases == measurements == seen_before_kill
    assert report["status"] == "stopped"
    assert len(report["modules"]["test_slow"]["cases"]) == seen_before_kill
    shown = plan.bridge("runs", "--json")
    assert '"status": "interrupted"' in shown.stdout


WRITER_PLAN = """
import pytest
import bridge

@pytest.mark.parametrize("n", range(200))
def test_case(n):
    bridge.set_case_measurement(bridge.NumericMeasurement(value=n, name="n"))
"""


WRITERS = 4  # twice the cores CI has: writers wait for each other's commits all along


def test_pytest_processes_at_once_share_one_store_without_lock_errors(plan, new_plan):
    shared = plan.root / "shared.db"
    processes = []
    for index in range(WRITERS):
        stand = new_plan(f"stand{index}")
        stand.write("hardpy.toml", f'[store]\npath = "{shared}"\n')
        stand.write("test_writer.py", WRITER_PLAN)
        processes.append(stand.start_pytest())
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output
        assert "locked" not in output
    with sqlite3.connect(shared) as conn:
        per_run = conn.execute("SELECT r.status, COUNT(c.id) FROM runs r JOIN cases c "
                               "ON c.run_id = r.id GROUP BY r.id").fetchall()
    assert per_run == [("passed", 200)] * WRITERS


def test_a_run_whose_pid_now_belongs_to_a_younger_process_is_settled(tmp_path):
    path = tmp_path / "runs.db"
    with Store.open(path) as store:  # both written "by" this process's pid
        RunWriter(store, "old").start("plan", "hw", time.time() - 86400 * 365, {})
        RunWriter(store, "live").start("plan", "hw", time.time(), {})
    with Store.open(path) as store:  # opening settles runs whose writer is gone
        statuses = dict(store.conn.execute("SELECT id, status FROM runs"))
    # "old" began before this process existed: its writer died, the pid was reused.
    assert statuses == {"old": "interrupted", "live": "run"}
