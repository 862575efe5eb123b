"""Uploading the outbox against the live simulator, including every network fault."""

from __future__ import annotations

import threading

from cloud_support import add_run, api_client, state_of, uploader

from bridge.cloud.sim import SimServer
from bridge.report import build_report
from bridge.store import outbox


def _final_sync_puts_each_run_on_the_server_once(sim: SimServer, store, run_ids) -> None:
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    assert result.error is None, result
    for run_id in run_ids:
        assert state_of(store, run_id) == "uploaded"
        assert sim.db.report_count(run_id) == 1


def test_sync_uploads_every_pending_run_and_marks_it_uploaded(sim, store):
    runs = [add_run(store, serial=f"SN-{i}") for i in range(6)]
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    assert sorted(result.uploaded) == sorted(runs)
    assert outbox.status(store.conn).counts["uploaded"] == 6
    assert sim.db.report_count() == 6
    assert [a[1] for a in outbox.attempts(store.conn, runs[0])] == ["uploaded"]


def test_uploaded_report_is_the_store_report(sim, store):
    run_id = add_run(store)
    with api_client(sim) as client:
        uploader(store, client).sync()
    assert sim.db.report(run_id) == build_report(store.conn, run_id)


def test_simulator_down_leaves_runs_pending_with_the_error(sim, store):
    run_id = add_run(store)
    sim.stop()
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    assert run_id in result.pending
    assert state_of(store, run_id) == "pending"
    assert "cannot reach StandCloud" in outbox.status(store.conn).last_error
    sim.start()
    _final_sync_puts_each_run_on_the_server_once(sim, store, [run_id])


def test_connection_refused_mid_upload_loses_and_duplicates_nothing(sim, store):
    runs = [add_run(store, serial=f"SN-{i}") for i in range(12)]
    sim.faults.shutdown_after = 3
    with api_client(sim, connections=1) as client:
        result = uploader(store, client, parallel=1).sync()
    assert 3 <= len(result.uploaded) < 12
    assert result.error is not None and "cannot reach" in result.error
    sim.start()
    _final_sync_puts_each_run_on_the_server_once(sim, store, runs)


def test_timeout_then_retry_stores_the_report_once(sim, store):
    run_id = add_run(store)
    # no answer within the test (closing the simulator ends the wait): the client's
    # timeout can be short, every attempt times out however busy the machine is
    sim.faults.delay = 60
    with api_client(sim, timeout=0.05) as client:
        result = uploader(store, client).sync()
    assert run_id in result.pending
    assert "did not answer in time" in result.pending[run_id]
    sim.faults.delay = 0
    _final_sync_puts_each_run_on_the_server_once(sim, store, [run_id])


def test_500_then_201_is_retried_within_one_sync(sim, store):
    run_id = add_run(store)
    sim.faults.report_500 = 2
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    assert result.uploaded == [run_id]
    outcomes = [a[1] for a in outbox.attempts(store.conn, run_id)]
    assert outcomes == ["retry", "retry", "uploaded"]
    assert sim.db.report_count(run_id) == 1


def test_429_is_retried(sim, store):
    run_id = add_run(store)
    sim.faults.report_429 = 1
    with api_client(sim) as client:
        assert uploader(store, client).sync().uploaded == [run_id]


def test_answer_lost_after_storing_does_not_duplicate_the_report(sim, store):
    run_id = add_run(store)
    sim.faults.drop_after_store = 1
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    assert result.uploaded == [run_id]
    assert sim.db.report_count(run_id) == 1
    posts = sim.db.execute("SELECT outcome FROM report_posts WHERE report_id = ?", (run_id,))
    assert [p["outcome"] for p in posts] == ["201", "201-duplicate"]


def test_malformed_json_answer_is_retried_not_taken_as_stored(sim, store):
    run_id = add_run(store)
    sim.faults.malformed = 1
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    assert result.uploaded == [run_id]
    attempts = outbox.attempts(store.conn, run_id)
    assert attempts[0][1] == "retry" and "unexpected answer" in attempts[0][2]
    assert sim.db.report_count(run_id) == 1


def test_bad_report_is_rejected_with_the_server_reason_and_the_rest_goes_on(sim, store):
    good = add_run(store)
    bad = add_run(store)
    store.conn.execute(
        'UPDATE runs SET stand_info = \'{"nested": {"no": 1}}\' WHERE id = ?', (bad,)
    )
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    assert result.uploaded == [good]
    assert "test_stand.info" in result.rejected[bad]
    assert state_of(store, bad) == "rejected"
    assert "test_stand.info" in outbox.status(store.conn).last_error


def test_run_without_mandatory_fields_is_held_naming_the_functions(sim, store):
    run_id = add_run(store, part_number=None, stand=None)
    with api_client(sim) as client:
        result = uploader(store, client).sync()
    message = result.held[run_id]
    assert "set_dut_part_number" in message and "set_stand_name" in message
    assert state_of(store, run_id) == "held"
    assert sim.db.report_count() == 0


def test_fill_unknown_uploads_a_held_run_as_unknown(sim, store):
    run_id = add_run(store, part_number=None)
    with api_client(sim) as client:
        uploader(store, client).sync()
        result = uploader(store, client, fill_unknown=True).sync()
    assert result.uploaded == [run_id]
    assert sim.db.report(run_id)["dut"]["part_number"] == "unknown"


def test_parallel_sync_of_many_runs_stores_each_once(sim, store):
    runs = [add_run(store, serial=f"SN-{i}") for i in range(40)]
    sim.faults.report_500 = 5
    with api_client(sim) as client:
        result = uploader(store, client, parallel=4).sync()
    assert len(result.uploaded) == 40
    assert sim.db.report_count() == 40
    assert all(state_of(store, r) == "uploaded" for r in runs)


def test_two_syncs_at_once_store_each_run_once(sim, store, tmp_path):
    from bridge.store import Store

    runs = [add_run(store, serial=f"SN-{i}") for i in range(20)]
    errors = []

    def other() -> None:
        try:
            with Store.open(tmp_path / "runs.db") as second, api_client(sim) as client:
                uploader(second, client).sync()
        except Exception as exc:  # noqa: BLE001 - a thread's error is asserted below
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    with api_client(sim) as client:
        uploader(store, client).sync()
    thread.join(30)
    assert not errors
    assert sim.db.report_count() == 20
    assert all(state_of(store, r) == "uploaded" for r in runs)


def _token_client(sim, token):
    from bridge.cloud.auth import TokenCredentials
    from bridge.cloud.client import StandCloudClient
    from bridge.cloud.settings import CloudSettings
    from bridge.cloud.tokens import token_stores
    from bridge.cloud.urls import Endpoints

    endpoints = Endpoints.from_address(sim.address)
    store = token_stores()[0]
    store.save(endpoints.base, token)
    return StandCloudClient(
        CloudSettings(endpoints, timeout=30), TokenCredentials(endpoints, store, token)
    )


def test_401_with_an_expired_access_token_refreshes_and_uploads_once(sim, store):
    from cloud_browser import device_login

    runs = [add_run(store, serial=f"SN-{i}") for i in range(8)]
    with _token_client(sim, device_login(sim)) as client:
        sim.expire_access_tokens()  # every parallel upload first meets a 401
        result = uploader(store, client).sync()
    assert sorted(result.uploaded) == sorted(runs)
    assert all(sim.db.report_count(r) == 1 for r in runs)
    refreshes = sim.db.one("SELECT COUNT(*) AS n FROM tokens")["n"] - 1
    assert refreshes == 1  # one refresh served all the parallel uploads


def test_revoked_refresh_token_stops_the_sync_until_sc_login(sim, store):
    from cloud_browser import device_login

    run_id = add_run(store)
    with _token_client(sim, device_login(sim)) as client:
        sim.revoke_refresh_tokens()
        result = uploader(store, client).sync()
    assert "sc-login" in result.error and state_of(store, run_id) == "pending"
    with _token_client(sim, device_login(sim)) as client:  # the user logs in again
        assert uploader(store, client).sync().uploaded == [run_id]
    assert sim.db.report_count(run_id) == 1
