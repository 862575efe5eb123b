"""Reading back: the reader class over test_run / tested_dut."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from cloud_support import add_run, api_client, uploader

from bridge.cloud.reader import CloudReader
from bridge.store import outbox


def test_reader_lists_filters_and_fetches_runs_and_duts(sim, store):
    first = add_run(store, serial="SN-1")
    add_run(store, serial="SN-2", part_number="PN-2", stand="Stand B")
    with api_client(sim) as client:
        uploader(store, client).sync()
        reader = CloudReader(client)
        assert len(reader.runs()) == 2
        (only,) = reader.runs(part_number="PN-1")
        assert only["test_run_id"] == first and only["status"] == "PASS"
        assert only["test_stand_name"] == "Stand A" and only["number_of_attempt"] == 1
        assert reader.run(first)["serial_number"] == "SN-1"
        duts = reader.duts(test_stand_name="Stand B")
        assert [(d["part_number"], d["serial_number"]) for d in duts] == [("PN-2", "SN-2")]


def test_outbox_waiting_leaves_recently_tried_runs_for_later(store):
    fresh = add_run(store)
    tried = add_run(store)
    outbox.record_attempt(store, tried, "retry", at=time.time(), error="offline")
    an_hour_ago = time.time() - 3600
    assert outbox.waiting(store.conn, tried_before=an_hour_ago) == [fresh]
    assert sorted(outbox.waiting(store.conn)) == sorted([fresh, tried])


def test_hardpy_command_is_the_same_cli():
    script = Path(sys.executable).parent / "hardpy"
    result = subprocess.run(
        [str(script), "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=30,
    )
    assert result.returncode == 0
    assert "sc-login" in result.stdout and "sc-logout" in result.stdout
