"""One uploader per run: two `bridge sync` at once never POST a run twice (issue 9)."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from cloud_support import add_run
from forkserver import Captured
from plan_support import BRIDGE, own_python

from bridge.cli.main import main
from bridge.store import Store, claims


@pytest.fixture
def stand(tmp_path: Path, sim, monkeypatch) -> Path:
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    folder = tmp_path / "stand"
    folder.mkdir()
    (folder / "hardpy.toml").write_text(
        f'[stand_cloud]\naddress = "{sim.address}"\n[store]\npath = "runs.db"\n'
    )
    return folder


def _sync(stand: Path) -> Captured:
    """``bridge sync`` in a process of its own (forked from the worker's warm python)."""
    return own_python().start([*BRIDGE, "--config", str(stand / "hardpy.toml"),
                               "sync"], cwd=Path.cwd(), env=dict(os.environ))


def test_two_syncs_at_once_post_every_run_exactly_once(stand, sim):
    with Store.open(stand / "runs.db") as store:
        runs = {add_run(store, serial=f"SN-{i}") for i in range(40)}
    # every upload is held until both syncs hold claims (one takes a batch of 32, the
    # other what is left), so that they surely overlap; held less long than the
    # client's timeout (15 s), so that even a late second sync changes nothing but that
    sim.faults.delay = 10
    first, second = _sync(stand), _sync(stand)
    with Store.open(stand / "runs.db") as store:
        deadline = time.monotonic() + sim.faults.delay
        while len(set(claims.held(store.conn).values())) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    sim.faults.delay = 0
    sim.faults.release_delayed()
    outputs = [proc.communicate(timeout=120) for proc in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    posts = sim.db.execute("SELECT report_id, COUNT(*) AS n FROM report_posts GROUP BY report_id")
    assert {row["report_id"] for row in posts} == runs
    assert [row["n"] for row in posts if row["n"] != 1] == []  # counted at the server
    with Store.open(stand / "runs.db") as store:
        assert claims.held(store.conn) == {}  # both let go of what they claimed


def test_claim_of_a_killed_sync_expires(stand, sim, capsys):
    with Store.open(stand / "runs.db") as store:
        add_run(store)
    sim.faults.delay = 60  # the upload hangs: the sync holds its claim
    proc = _sync(stand)
    try:
        with Store.open(stand / "runs.db") as store:
            deadline = time.monotonic() + 30
            while not claims.held(store.conn) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert list(claims.held(store.conn).values()) == [f"{socket.gethostname()}:{proc.pid}"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    with Store.open(stand / "runs.db") as store:
        assert claims.held(store.conn) == {}  # its process is gone: the claim is void
    sim.faults.delay = 0
    code = main(["--config", str(stand / "hardpy.toml"), "sync"])  # the next sync, in process
    out, err = capsys.readouterr()
    assert code == 0 and "1 uploaded" in out, out + err
    assert sim.db.report_count() == 1


def test_a_claim_from_another_machine_holds_until_its_lease_ends(store):
    run_id = add_run(store)
    elsewhere = claims.Claimer("other-stand-pc", 4242, "nonce-a")
    here = claims.Claimer.here()
    now = time.time()
    assert claims.claim(store, run_id, elsewhere, lease=120, now=now)
    assert not claims.claim(store, run_id, here, now=now + 60)
    assert claims.claim(store, run_id, here, now=now + 121)  # the lease ran out
    assert claims.held(store.conn, now=now + 121) == {run_id: f"{here.host}:{here.pid}"}


def test_a_run_another_sync_uploaded_is_not_claimed_again(store):
    from bridge.store import outbox

    run_id = add_run(store)
    first, second = claims.Claimer.here(), claims.Claimer.here()
    assert claims.claim(store, run_id, first)
    outbox.record_attempt(store, run_id, "uploaded", at=time.time())
    claims.release(store, first, run_id)
    assert not claims.claim(store, run_id, second)
