"""The uploader's bookkeeping against a fake StandCloud (``httpx.MockTransport``)."""

from __future__ import annotations

import json

import httpx
from cloud_support import FAST, add_run, state_of

from bridge.cloud import sync
from bridge.cloud.auth import ApiKeyCredentials
from bridge.cloud.client import StandCloudClient
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sync import Uploader
from bridge.cloud.uploading import Event, Mailbox
from bridge.cloud.urls import Endpoints
from bridge.report import build_report
from bridge.store import claims, outbox


def _client(handler) -> StandCloudClient:
    settings = CloudSettings(Endpoints.from_address("https://sc.example"), timeout=5)
    transport = httpx.MockTransport(handler)
    return StandCloudClient(settings, ApiKeyCredentials("k"), transport=transport)


def test_a_run_whose_report_cannot_be_built_is_held_and_the_rest_is_sent(store):
    bodies = []

    def cloud(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"test_run_id": "remote"})

    good = add_run(store, serial="SN-good")
    broken = add_run(store, serial="SN-broken")
    store.conn.execute("UPDATE runs SET stand_info = '{not json' WHERE id = ?", (broken,))
    with _client(cloud) as client:
        result = Uploader(store, client, policy=FAST).sync()
    assert result.uploaded == [good] and [b["id"] for b in bodies] == [good]
    assert result.held[broken].startswith("cannot build the report")
    assert state_of(store, broken) == "held" and state_of(store, good) == "uploaded"
    assert claims.held(store.conn) == {}


def test_the_body_is_the_store_report_as_compact_json(store):
    raw = []

    def cloud(request: httpx.Request) -> httpx.Response:
        raw.append(request.content)
        return httpx.Response(201, json={})

    run_id = add_run(store)
    with _client(cloud) as client:
        Uploader(store, client, policy=FAST).sync()
    assert json.loads(raw[0]) == build_report(store.conn, run_id)
    assert b'", "' not in raw[0] and b'": ' not in raw[0]
    assert outbox.attempts(store.conn, run_id)[0][1] == "uploaded"


def test_a_refused_key_stops_the_sync_and_runs_no_thread_started_are_not_tried(store):
    posts = []

    def cloud(request: httpx.Request) -> httpx.Response:
        posts.append(request)
        return httpx.Response(401, json={"detail": "bad key"})

    runs = [add_run(store, serial=f"SN-{n}") for n in range(40)]
    with _client(cloud) as client:
        result = Uploader(store, client, parallel=2, policy=FAST).sync()
    assert "API key" in result.error and not result.uploaded
    assert sorted(result.pending) == sorted(runs)  # every run still queued
    tried = {row[0] for row in store.conn.execute("SELECT run_id FROM upload_attempts")}
    assert len(tried) == len(posts) < len(runs)  # an attempt row for each POST, no more
    assert {result.pending[r] for r in runs if r not in tried} == {sync.NOT_TRIED}
    assert all(state_of(store, r) == "pending" for r in runs)
    assert claims.held(store.conn) == {}


def test_the_caller_takes_events_in_batches_or_when_the_wait_runs_out():
    mailbox = Mailbox()
    for n in range(3):
        mailbox.put(Event(f"run-{n}", "uploaded", 0.0))
    assert [e.run_id for e in mailbox.take(enough=3, timeout=30)] == ["run-0", "run-1", "run-2"]
    mailbox.put(Event("run-3", "uploaded", 0.0))
    assert [e.run_id for e in mailbox.take(enough=8, timeout=0.01)] == ["run-3"]
    assert mailbox.take(enough=1, timeout=0.01) == []
