"""The uploader's bookkeeping against a fake StandCloud (``httpx.MockTransport``)."""

from __future__ import annotations

import json

import httpx
from cloud_support import FAST, add_run, state_of

from bridge.cloud.auth import ApiKeyCredentials
from bridge.cloud.client import StandCloudClient
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sync import Uploader
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
