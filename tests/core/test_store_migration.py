"""A store written by an older schema is upgraded in place, losing nothing."""

from __future__ import annotations

import sqlite3

from bridge.report import build_report
from bridge.store import Store
from bridge.store.schema import LATEST_VERSION, MIGRATIONS, statements
from bridge.store.writer import RunWriter


def _v1_store(path):
    """A store as version 1 wrote it: one run, a retried case, measurements."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        for statement in statements(MIGRATIONS[0]):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
    store = Store.__new__(Store)  # the writer on the raw v1 file, no upgrade
    store.conn = sqlite3.connect(path, isolation_level=None)
    store.path = path
    writer = RunWriter(store, "run-1")
    writer.start("plan", "hw", 1000.0, {"stand_name": "A", "dut_part_number": "PN"})
    module = {"module_id": "test_m", "position": 0, "name": "M", "artifact": {}}
    for attempt, status in ((1, "failed"), (2, "passed")):
        case = {"module_id": "test_m", "case_id": "test_c", "attempt": attempt, "position": 0,
                "name": "C", "status": status, "start_time": 1000.0 + attempt,
                "stop_time": 1000.5 + attempt, "assertion_msg": None, "msg": None,
                "chart": None, "artifact": {}}
        writer.save_case(module if attempt == 1 else None, case,
                         [(0, "numeric", "v", 1.5 * attempt, "V", "ge", 0, None, None, None, 1)],
                         {}, [])
    writer.finish("passed", 1003.0, {}, [])
    report = build_report(store.conn, "run-1")
    store.conn.close()
    return report


def test_a_v1_store_is_upgraded_with_every_row_and_reference_kept(tmp_path):
    path = tmp_path / "runs.db"
    before = _v1_store(path)
    with Store.open(path) as store:
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == LATEST_VERSION
        # the same report: cases, the final attempt, values
        assert build_report(store.conn, "run-1") == before
        assert store.conn.execute("SELECT COUNT(*) FROM measurements").fetchone() == (2,)
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        indexes = [row[1] for row in store.conn.execute("PRAGMA index_list(cases)")]
        (unique,) = [name for name in indexes if name.startswith("sqlite_autoindex")]
        columns = [row[2] for row in store.conn.execute(f"PRAGMA index_info({unique})")]
        assert columns == ["run_id", "position", "attempt"]
        # v3: the finished run's facts, final attempt only, for the production view
        facts = store.conn.execute("SELECT measurement, value FROM value_facts").fetchall()
        assert facts == [("v", 3.0)]
        assert store.conn.execute("SELECT attempts, failed FROM case_sums").fetchall() == [
            (2, 0)]
        assert store.conn.execute("SELECT id FROM fact_runs").fetchall() == [("run-1",)]
    assert before["modules"]["test_m"]["cases"]["test_c"]["attempt"] == 2


def test_a_new_store_has_the_schema_an_upgraded_one_has(tmp_path):
    _v1_store(tmp_path / "old.db")
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    with Store.open(tmp_path / "old.db") as old, Store.open(tmp_path / "new.db") as new:
        upgraded, created = (s.conn.execute(schema).fetchall() for s in (old, new))
        versions = {s.conn.execute("PRAGMA user_version").fetchone() for s in (old, new)}
    assert created == upgraded and len(created) > 30
    assert versions == {(LATEST_VERSION,)}


def _case(position: int, status: str) -> dict:
    return {"module_id": f"test_m{position // 2}", "case_id": f"test_{position}",
            "attempt": 1, "position": position, "name": f"C{position}", "status": status,
            "start_time": 1000.0 + position, "stop_time": 1000.5 + position,
            "assertion_msg": None, "msg": None, "chart": None, "artifact": {}}


def test_a_module_whose_case_was_stopped_is_stopped_unless_one_failed(tmp_path):
    # modules of two cases: (passed, stopped), (stopped only: its second never ran),
    # (failed, stopped)
    statuses = {0: "passed", 1: "stopped", 2: "stopped", 4: "failed", 5: "stopped"}
    with Store.open(tmp_path / "runs.db") as store:
        writer = RunWriter(store, "run-1")
        writer.start("plan", "hw", 1000.0, {})
        for position, status in statuses.items():
            module = {"module_id": f"test_m{position // 2}", "position": position // 2,
                      "name": "M", "artifact": {}}
            writer.save_case(module, _case(position, status), [], {}, [])
        writer.finish("stopped", 1010.0, {}, [])
        modules = build_report(store.conn, "run-1")["modules"]
    assert {m: modules[m]["status"] for m in modules} == {
        "test_m0": "stopped", "test_m1": "stopped", "test_m2": "failed"}


def test_upgrading_a_big_store_says_so_once_and_a_small_one_goes_unsaid(tmp_path, monkeypatch,
                                                                        capsys):
    from bridge.store import db

    _v1_store(tmp_path / "small.db")
    Store.open(tmp_path / "small.db").close()
    assert capsys.readouterr().err == ""
    _v1_store(tmp_path / "big.db")
    monkeypatch.setattr(db, "UPGRADE_NOTICE_RUNS", 1)
    Store.open(tmp_path / "big.db").close()
    Store.open(tmp_path / "big.db").close()  # already upgraded: nothing to say
    err = capsys.readouterr().err
    assert err.count("upgrading the run store") == 1
    assert f"{tmp_path / 'big.db'} from schema 1 to {LATEST_VERSION} (1 runs)" in err
