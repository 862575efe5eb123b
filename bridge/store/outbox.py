"""The outbox: runs waiting for StandCloud, and every upload attempt made for them.

The core queues a run (state ``pending``) in the transaction that finishes it. The
uploader moves it to ``uploaded`` only on the server's 201, to ``rejected`` on a 4xx
(with the server's reason), or to ``held`` when a mandatory field is missing. Every
attempt is a row in ``upload_attempts``, written as it happens, so a killed sync
loses nothing and the next one starts from what is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

STATES = ("pending", "held", "rejected", "uploaded")
_STATE_AFTER = {"rejected": "rejected", "held": "held"}  # any other failed outcome: pending


def enqueue(store: Any, run_id: str, *, at: float | None = None) -> None:
    """Queue a run (the core does this itself when a run finishes)."""
    with store.write() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO outbox (run_id, state, queued_at) VALUES (?, 'pending', ?)",
            (run_id, time.time() if at is None else at),
        )


def waiting(
    conn: Any,
    *,
    include_held: bool = False,
    run_ids: list[str] | None = None,
    tried_before: float | None = None,
) -> list[str]:
    """Runs to upload, oldest first.

    ``tried_before``: only runs never tried, or last tried before that time (autosync
    uses it to leave an offline queue alone between its retry periods).
    """
    states = ("pending", "held") if include_held else ("pending",)
    sql = f"SELECT run_id FROM outbox WHERE state IN ({', '.join('?' * len(states))})"
    params: list[Any] = list(states)
    if tried_before is not None:
        sql += " AND (last_attempt_at IS NULL OR last_attempt_at < ?)"
        params.append(tried_before)
    sql += " ORDER BY queued_at, run_id"
    rows = [row[0] for row in conn.execute(sql, params)]
    if run_ids is not None:
        wanted = set(run_ids)
        rows = [run_id for run_id in rows if run_id in wanted]
    return rows


@dataclass(frozen=True)
class Attempt:
    """One upload attempt: its outcome (``uploaded rejected held retry``) and when."""

    run_id: str
    outcome: str
    at: float
    error: str | None = None
    remote_id: str | None = None


def record_attempt(
    store: Any,
    run_id: str,
    outcome: str,
    *,
    at: float,
    error: str | None = None,
    remote_id: str | None = None,
) -> None:
    """One attempt, and the run's new state (outcome ``retry`` keeps it pending)."""
    record_attempts(store, [Attempt(run_id, outcome, at, error, remote_id)])


def record_attempts(store: Any, attempts: Sequence[Attempt]) -> None:
    """Attempts as :func:`record_attempt` records each, all in one transaction (a sync
    records what its uploads reported since it last looked: one commit, not one per run)."""
    if not attempts:
        return
    uploaded_at = time.time()
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO upload_attempts (run_id, at, outcome, error) VALUES (?, ?, ?, ?)",
            [(a.run_id, a.at, a.outcome, a.error) for a in attempts],
        )
        for a in attempts:  # in order: a run may have a retry and then its upload here
            if a.outcome == "uploaded":
                conn.execute(
                    "UPDATE outbox SET state = 'uploaded', attempts = attempts + 1,"
                    " last_attempt_at = ?, last_error = NULL, uploaded_at = ?, remote_id = ?"
                    " WHERE run_id = ?",
                    (a.at, uploaded_at, a.remote_id, a.run_id),
                )
            else:
                conn.execute(
                    "UPDATE outbox SET state = ?, attempts = attempts + 1, last_attempt_at = ?,"
                    " last_error = ? WHERE run_id = ? AND state != 'uploaded'",
                    (_STATE_AFTER.get(a.outcome, "pending"), a.at, a.error, a.run_id),
                )


def requeue(store: Any, states: tuple[str, ...] = ("rejected", "held")) -> int:
    """Put rejected / held runs back to pending (after fixing the cause)."""
    with store.write() as conn:
        cur = conn.execute(
            f"UPDATE outbox SET state = 'pending' WHERE state IN ({', '.join('?' * len(states))})",
            states,
        )
        return cur.rowcount


@dataclass
class OutboxStatus:
    counts: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    last_error_run: str | None = None
    last_error_at: float | None = None
    last_upload_at: float | None = None

    @property
    def pending(self) -> int:
        return self.counts.get("pending", 0)


def status(conn: Any) -> OutboxStatus:
    result = OutboxStatus(counts=dict.fromkeys(STATES, 0))
    for state, count in conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
        result.counts[state] = count
    row = conn.execute(
        "SELECT run_id, last_error, last_attempt_at FROM outbox WHERE last_error IS NOT NULL"
        " AND state != 'uploaded' ORDER BY last_attempt_at DESC LIMIT 1"
    ).fetchone()
    if row:
        result.last_error_run, result.last_error, result.last_error_at = row
    row = conn.execute("SELECT MAX(uploaded_at) FROM outbox").fetchone()
    result.last_upload_at = row[0] if row else None
    return result


def attempts(conn: Any, run_id: str) -> list[tuple[float, str, str | None]]:
    return list(
        conn.execute(
            "SELECT at, outcome, error FROM upload_attempts WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
    )
