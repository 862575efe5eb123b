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
from collections.abc import Iterable, Sequence
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
    return bool(claim_many(store, [run_id], claimer, states=states, lease=lease, now=now))


def claim_many(
    store: Any,
    run_ids: Sequence[str],
    claimer: Claimer,
    *,
    states: Iterable[str] = ("pending",),
    lease: float = LEASE_S,
    now: float | None = None,
) -> list[str]:
    """Take what can be taken of ``run_ids`` for ``claimer``, in one transaction (a
    sync claims its queue a batch at a time: one commit, not one per run); the runs
    taken, in their order. Each is refused as :func:`claim` refuses it."""
    if not run_ids:
        return []
    now = time.time() if now is None else now
    states = tuple(states)
    wanted = ", ".join("?" * len(run_ids))
    with store.write() as conn:
        conn.execute(_TABLE)
        held = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT run_id, nonce, host, pid, claimed_at, until FROM outbox_claims"
                f" WHERE run_id IN ({wanted})",
                tuple(run_ids),
            )
        }
        waiting = {
            row[0]
            for row in conn.execute(
                f"SELECT run_id FROM outbox WHERE run_id IN ({wanted})"
                f" AND state IN ({', '.join('?' * len(states))})",
                (*run_ids, *states),
            )
        }
        taken = [
            run_id
            for run_id in dict.fromkeys(run_ids)
            if run_id in waiting
            and not (
                run_id in held and held[run_id][0] != claimer.nonce and _live(held[run_id], now)
            )
        ]
        conn.executemany(
            "INSERT OR REPLACE INTO outbox_claims VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, claimer.nonce, claimer.host, claimer.pid, now, now + lease)
             for run_id in taken],
        )
        return taken


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
    if run_id is None:
        with store.write() as conn:
            conn.execute(_TABLE)
            conn.execute("DELETE FROM outbox_claims WHERE nonce = ?", (claimer.nonce,))
    else:
        release_many(store, claimer, [run_id])


def release_many(store: Any, claimer: Claimer, run_ids: Iterable[str]) -> None:
    """Drop ``claimer``'s claims of ``run_ids``, in one transaction."""
    rows = [(run_id, claimer.nonce) for run_id in run_ids]
    if not rows:
        return
    with store.write() as conn:
        conn.execute(_TABLE)
        conn.executemany("DELETE FROM outbox_claims WHERE run_id = ? AND nonce = ?", rows)


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
