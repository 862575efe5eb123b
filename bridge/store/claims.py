"""Who is uploading which run: one uploader per run, even with two ``bridge sync`` at once.

Before it sends a run, an uploader claims it: a row naming the claimer (host, pid and
a nonce per sync) with a lease. Another uploader skips a run under a live claim. The
claimer renews its leases while it works and drops each claim once the run's attempt
is recorded. A claimer that died leaves its claims behind; they expire with their
lease, or at once when the claimer was a process on this host that no longer runs.

The claims live in their own table, created on first use: they coordinate processes
and are not part of any run's record, so the store's schema version does not move.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

LEASE_S = 120.0  # a claim lasts this long unless renewed (its claimer renews every LEASE/4)

_TABLE = """
CREATE TABLE IF NOT EXISTS outbox_claims (
    run_id     TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    claimed_at REAL NOT NULL,
    until      REAL NOT NULL
)"""


@dataclass(frozen=True)
class Claimer:
    """One uploader: this process, told apart from its other syncs by a nonce."""

    host: str
    pid: int
    nonce: str

    @classmethod
    def here(cls) -> Claimer:
        return cls(socket.gethostname(), os.getpid(), uuid.uuid4().hex)


def claim(
    store: Any,
    run_id: str,
    claimer: Claimer,
    *,
    states: Iterable[str] = ("pending",),
    lease: float = LEASE_S,
    now: float | None = None,
) -> bool:
    """Take ``run_id`` for ``claimer``; False when another live claimer holds it or
    the run no longer waits in one of ``states`` (another sync uploaded it)."""
    now = time.time() if now is None else now
    states = tuple(states)
    with store.write() as conn:
        conn.execute(_TABLE)
        row = conn.execute(
            "SELECT nonce, host, pid, claimed_at, until FROM outbox_claims WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        if row is not None and row[0] != claimer.nonce and _live(row, now):
            return False
        waiting = conn.execute(
            f"SELECT 1 FROM outbox WHERE run_id = ? AND state IN ({', '.join('?' * len(states))})",
            (run_id, *states),
        ).fetchone()
        if waiting is None:
            return False
        conn.execute(
            "INSERT OR REPLACE INTO outbox_claims VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, claimer.nonce, claimer.host, claimer.pid, now, now + lease),
        )
        return True


def renew(store: Any, claimer: Claimer, *, lease: float = LEASE_S) -> None:
    """Push back the leases of every claim ``claimer`` holds."""
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.execute(
            "UPDATE outbox_claims SET until = ? WHERE nonce = ?",
            (time.time() + lease, claimer.nonce),
        )


def release(store: Any, claimer: Claimer, run_id: str | None = None) -> None:
    """Drop ``claimer``'s claim of ``run_id`` (all of its claims when None)."""
    with store.write() as conn:
        conn.execute(_TABLE)
        if run_id is None:
            conn.execute("DELETE FROM outbox_claims WHERE nonce = ?", (claimer.nonce,))
        else:
            conn.execute(
                "DELETE FROM outbox_claims WHERE run_id = ? AND nonce = ?", (run_id, claimer.nonce)
            )


def held(conn: Any, *, now: float | None = None) -> dict[str, str]:
    """Runs under a live claim: run id → ``host:pid`` of the claimer."""
    now = time.time() if now is None else now
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox_claims'"
    ).fetchone():
        return {}
    rows = conn.execute("SELECT run_id, nonce, host, pid, claimed_at, until FROM outbox_claims")
    return {row[0]: f"{row[2]}:{row[3]}" for row in rows if _live(row[1:], now)}


def _live(row: Any, now: float) -> bool:
    """A claim (nonce, host, pid, claimed_at, until) whose claimer may still work on it."""
    _, host, pid, claimed_at, until = row
    if until <= now:
        return False
    if host != socket.gethostname():
        return True  # another machine's process: only its lease tells
    return _running_since(pid, claimed_at)


def _running_since(pid: int, since: float) -> bool:
    """Whether ``pid`` is the process that claimed at ``since`` (not a reuse of its pid)."""
    import psutil

    try:
        return psutil.Process(pid).create_time() <= since + 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # another user's process: alive, not ours to judge
        return True
