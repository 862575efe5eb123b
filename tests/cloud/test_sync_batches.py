"""A sync claims runs and records attempts a batch per transaction, with the guarantees
of one at a time: claims respected, attempts in order, each run sent once; and each
report is encoded once, the rev taken from those bytes."""

from __future__ import annotations

import json
import time

from cloud_support import add_run, api_client, state_of, uploader

from bridge.cloud import sync
from bridge.report import build_report, report_and_body
from bridge.store import claims, outbox


def test_claim_many_takes_only_free_waiting_runs_in_their_order(store):
    free, other_claimed, uploaded = (add_run(store) for _ in range(3))
    outbox.record_attempt(store, uploaded, "uploaded", at=time.time())
    rival = claims.Claimer("another-host", 1, "rival-nonce")  # alive until its lease ends
    assert claims.claim_many(store, [other_claimed], rival) == [other_claimed]
    me = claims.Claimer.here()
    taken = claims.claim_many(store, [uploaded, other_claimed, free, free], me)
    assert taken == [free]
    assert claims.held(store.conn)[free] == f"{me.host}:{me.pid}"


def test_a_claim_whose_lease_ran_out_is_taken_over(store):
    run_id = add_run(store)
    rival = claims.Claimer("another-host", 1, "rival-nonce")
    claims.claim_many(store, [run_id], rival, lease=60, now=time.time() - 120)
    assert claims.claim_many(store, [run_id], claims.Claimer.here()) == [run_id]


def test_attempts_recorded_together_keep_their_order(store):
    run_id, other = add_run(store), add_run(store)
    now = time.time()
    outbox.record_attempts(store, [
        outbox.Attempt(run_id, "retry", now, "HTTP 503"),
        outbox.Attempt(other, "rejected", now, "HTTP 422: bad"),
        outbox.Attempt(run_id, "uploaded", now + 1, remote_id="sc-1"),
    ])
    assert [a[1] for a in outbox.attempts(store.conn, run_id)] == ["retry", "uploaded"]
    row = store.conn.execute(
        "SELECT state, attempts, last_error, remote_id FROM outbox WHERE run_id = ?", (run_id,)
    ).fetchone()
    assert row == ("uploaded", 2, None, "sc-1")
    assert state_of(store, other) == "rejected"


def test_a_queue_longer_than_a_claim_batch_is_sent_once_each(sim, store, monkeypatch):
    monkeypatch.setattr(sync, "CLAIM_BATCH", 3)
    run_ids = [add_run(store, serial=f"SN-{n}") for n in range(10)]
    with api_client(sim, connections=2) as client:
        result = uploader(store, client, parallel=2).sync()
    assert sorted(result.uploaded) == sorted(run_ids) and result.ok
    posts = sim.db.execute("SELECT report_id, COUNT(*) AS n FROM report_posts GROUP BY report_id")
    assert {row["report_id"]: row["n"] for row in posts} == dict.fromkeys(run_ids, 1)
    assert claims.held(store.conn) == {}


def test_the_body_sent_is_the_report_encoded_once_with_its_rev(store):
    run_id = add_run(store)
    report, body = report_and_body(store.conn, run_id)
    assert json.loads(body) == report == build_report(store.conn, run_id)
    assert b" " not in body.split(b'"name"')[0]  # compact
    assert report["rev"].startswith("1-") and len(report["rev"]) == 18


def test_the_rev_follows_the_content(store):
    run_id = add_run(store)
    before = build_report(store.conn, run_id)["rev"]
    assert build_report(store.conn, run_id)["rev"] == before
    with store.write() as conn:
        conn.execute("UPDATE runs SET stand_name = 'Stand B' WHERE id = ?", (run_id,))
    assert build_report(store.conn, run_id)["rev"] != before
