"""The simulator stores what real clients send: HardPy's trimmed bodies, its shared report
id, replays of lost answers, and reads it all back on both APIs."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest
from cloud_support import FAST, add_run, api_client, uploader

from bridge.cloud.sim import SimServer
from bridge.cloud.sim.db import SimDB
from bridge.cloud.sync import RetryPolicy
from bridge.report import build_report

OPTIONAL_TOP_LEVEL = ("user", "batch_serial_number", "caused_dut_failure_id", "error_code",
                      "start_time", "stop_time")


def _post(sim: SimServer, body: dict | bytes) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{sim.url}/hardpy/api/v1/test_report", content=content,
                      headers={"Authorization": f"Bearer {sim.api_key}",
                               "Content-Type": "application/json"})


def _get(sim: SimServer, path: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{sim.url}{path}", headers=headers)


def _hardpy_run(store, report_id: str = "localhost_8000", **changes) -> dict:
    """A report as HardPy's client sends it: one id per stand, no None top-level keys."""
    report = build_report(store.conn, add_run(store))
    report.update(id=report_id, **changes)
    return {k: v for k, v in report.items() if v is not None}


def test_absent_optional_top_level_keys_are_accepted_as_none(sim, store):
    body = _hardpy_run(store, user=None, start_time=None)
    assert not set(OPTIONAL_TOP_LEVEL) - {"stop_time"} & set(body)
    answer = _post(sim, body)
    assert answer.status_code == 201, answer.text
    stored = sim.db.report(answer.json()["test_run_id"])
    assert {key: stored[key] for key in ("user", "error_code", "start_time")} == dict.fromkeys(
        ("user", "error_code", "start_time"))
    run = _get(sim, f"/hardpy/api/v1/test_run/{answer.json()['test_run_id']}", sim.api_key)
    assert run.status_code == 200 and run.json()["duration"] is None


def test_runs_sharing_a_report_id_are_each_stored_as_a_new_run(sim, store):
    answers = [_post(sim, _hardpy_run(store, name=f"run {n}")) for n in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    run_ids = {a.json()["test_run_id"] for a in answers}
    assert len(run_ids) == 3
    assert sim.db.report_count("localhost_8000") == 3
    names = {_get(sim, f"/hardpy/api/v1/test_run/{r}", sim.api_key).json()["test_plan_name"]
             for r in run_ids}
    assert names == {"run 0", "run 1", "run 2"}


def test_an_exact_replay_answers_the_same_run_and_is_stored_once(sim, store):
    body = _hardpy_run(store)
    first = _post(sim, body)
    # the same content, keys in another order and spaced otherwise: still a replay
    replay = _post(sim, json.dumps(dict(reversed(body.items())), indent=1).encode())
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json()["test_run_id"] == first.json()["test_run_id"]
    assert sim.db.report_count() == 1
    posts = sim.db.execute("SELECT outcome FROM report_posts")
    assert [p["outcome"] for p in posts] == ["201", "201-duplicate"]


def test_our_client_stays_exactly_once_when_a_lost_answer_is_resent_by_the_next_sync(
        sim, store):
    run_id = add_run(store)
    sim.faults.drop_after_store = 1
    with api_client(sim) as client:  # one attempt: the lost answer leaves the run pending
        first = uploader(store, client, policy=RetryPolicy(attempts=1, base=0.01)).sync()
    assert run_id in first.pending
    with api_client(sim) as client:  # the next sync builds the body again from the store
        assert uploader(store, client, policy=FAST).sync().uploaded == [run_id]
    assert sim.db.report_count(run_id) == 1


@pytest.mark.parametrize("path", ["test_run", "test_run/{run}", "tested_dut"])
def test_integration_api_serves_the_same_runs_under_the_same_auth(sim, store, path):
    add_run(store)
    with api_client(sim) as client:
        run_id = uploader(store, client).sync().uploaded[0]
    path = path.format(run=run_id)
    assert _get(sim, f"/integration/api/v1/{path}").status_code == 401
    assert _get(sim, f"/integration/api/v1/{path}", "not-a-key").status_code == 401
    integration = _get(sim, f"/integration/api/v1/{path}", sim.api_key)
    assert integration.status_code == 200
    assert integration.json() == _get(sim, f"/hardpy/api/v1/{path}", sim.api_key).json()


def test_a_data_dir_from_before_runs_keeps_its_reports(tmp_path, store):
    report = build_report(store.conn, add_run(store))
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("CREATE TABLE reports (id TEXT PRIMARY KEY, received_at REAL NOT NULL,"
                     " login TEXT NOT NULL, body TEXT NOT NULL, part_number TEXT,"
                     " serial_number TEXT, stand_name TEXT, status TEXT, start_time INTEGER,"
                     " stop_time INTEGER)")
        conn.execute("INSERT INTO reports VALUES (?, 1.0, 'demo', ?, 'PN-1', 'SN-1',"
                     " 'Stand A', 'passed', 1, 2)", (report["id"], json.dumps(report)))
    db = SimDB(tmp_path / "old.db")
    try:
        assert db.report(report["id"]) == report
        assert db.report_count() == 1
    finally:
        db.close()


def test_a_simulator_shutting_down_drops_the_upload_mid_answer(sim, store):
    sim.sim.closing = True  # what `faults.shutdown_after` sets once the limit is stored
    try:
        with pytest.raises(httpx.RemoteProtocolError):
            _post(sim, _hardpy_run(store))
    finally:
        sim.sim.closing = False
    assert sim.db.report_count("localhost_8000") == 0
