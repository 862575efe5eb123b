"""What the simulator knows, in one SQLite file that tests can open and inspect.

One connection guarded by a lock: the server's event loop and the test thread both
use it, and a simulator never needs more throughput than that gives.

Secrets are kept as a real service keeps them: the password as a salted scrypt hash,
API keys and tokens as SHA-256 digests (they are long random strings, so a digest
cannot be guessed back), in a file only its owner can read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bridge.cloud.sim import received

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (login TEXT PRIMARY KEY, password TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY, login TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS device_codes (
    device_code TEXT PRIMARY KEY, user_code TEXT UNIQUE NOT NULL, client_id TEXT NOT NULL,
    scope TEXT, expires_at REAL NOT NULL, interval REAL NOT NULL, last_poll REAL,
    login TEXT, approved INTEGER, used INTEGER NOT NULL DEFAULT 0);
-- access_token / refresh_token hold digests; family: every token of one login, so that
-- a replayed refresh token or a revocation ends them all
CREATE TABLE IF NOT EXISTS tokens (
    access_token TEXT PRIMARY KEY, refresh_token TEXT UNIQUE, login TEXT NOT NULL,
    client_id TEXT NOT NULL, scope TEXT, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
    refresh_expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, family TEXT);
-- one row per stored run: its own test_run_id; report_id is the id the client sent,
-- which HardPy repeats for every run of a stand ("localhost_8000")
CREATE TABLE IF NOT EXISTS runs (
    test_run_id TEXT PRIMARY KEY, report_id TEXT NOT NULL, body_hash TEXT NOT NULL,
    received_at REAL NOT NULL, login TEXT NOT NULL, body TEXT NOT NULL,
    part_number TEXT, serial_number TEXT, stand_name TEXT, status TEXT,
    start_time INTEGER, stop_time INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS runs_by_content ON runs (report_id, body_hash);
CREATE INDEX IF NOT EXISTS runs_by_dut ON runs (part_number, serial_number);
-- every POST that reached validation: shows retries and duplicates
CREATE TABLE IF NOT EXISTS report_posts (
    id INTEGER PRIMARY KEY, report_id TEXT, at REAL NOT NULL, outcome TEXT NOT NULL);
"""
# A data directory from before secrets were hashed: its plain keys and tokens go.
UPGRADE = """
DELETE FROM api_keys WHERE length(key) != 64;
DELETE FROM tokens WHERE length(access_token) != 64;
"""
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # ~16 MB and tens of ms per check


def digest(secret: str) -> str:
    """How an API key or a token is stored and looked up."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = secrets.token_bytes(16) if salt is None else salt
    key = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${key.hex()}"


def _private_file(path: Path) -> None:
    """The database (and its WAL and shared-memory files) readable by its owner only."""
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


class SimDB:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        _private_file(self.path)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # a simulator needs no fsync per commit
        self._conn.executescript(SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(tokens)")}
        if "family" not in columns:
            self._conn.execute("ALTER TABLE tokens ADD COLUMN family TEXT")
        self._conn.executescript(UPGRADE)
        self._migrate_reports()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def execute(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    # -- users and keys -------------------------------------------------------------
    def add_user(self, login: str, password: str) -> None:
        self.execute(
            "INSERT OR REPLACE INTO users VALUES (?, ?)", (login, hash_password(password))
        )

    def check_password(self, login: str, password: str) -> bool:
        """Whether the password is right; as slow for an unknown login as for a known one."""
        row = self.one("SELECT password FROM users WHERE login = ?", (login,))
        if row is None:
            hash_password(password, bytes(16))  # the time a known login's check takes
            return False
        stored = row["password"]
        _, salt, _ = stored.split("$")
        return secrets.compare_digest(stored, hash_password(password, bytes.fromhex(salt)))

    def add_api_key(self, login: str, key: str | None = None) -> str:
        """Accept ``key`` (a new random one when None); only its digest is kept."""
        key = key or f"sc_{secrets.token_urlsafe(24)}"
        self.execute("INSERT OR REPLACE INTO api_keys VALUES (?, ?, 0)", (digest(key), login))
        return key

    def revoke_api_key(self, key: str) -> None:
        self.execute("UPDATE api_keys SET revoked = 1 WHERE key = ?", (digest(key),))

    def bearer_login(self, bearer: str) -> str | None:
        """The user behind a bearer value (an access token or an API key), if valid."""
        hashed = digest(bearer)
        row = self.one(  # one statement: it runs for every request
            "SELECT login FROM tokens WHERE access_token = ? AND revoked = 0 AND expires_at > ?"
            " UNION ALL SELECT login FROM api_keys WHERE key = ? AND revoked = 0 LIMIT 1",
            (hashed, time.time(), hashed),
        )
        return row["login"] if row else None

    # -- runs ---------------------------------------------------------------------
    def store_report(self, report: Any, body: str, login: str) -> tuple[str, bool]:
        """Store a run once per content, and log the post: ``(test_run_id, stored_now)``.

        A report id already held with other content is a new run (HardPy sends one id
        for every run of a stand); the same id with the same content is a replay of
        an upload whose answer was lost, answered with the run it already made.
        ``report`` is the validated report, ``body`` its canonical JSON
        (``received.canonical``). One transaction: the run and its post, or neither.
        """
        content = received.digest(body)
        with self._lock, self._transaction():
            held = self._conn.execute(
                "SELECT test_run_id FROM runs WHERE report_id = ? AND body_hash = ?",
                (report.id, content),
            ).fetchone()
            if held is not None:
                self._log_post(report.id, "201-duplicate")
                return held["test_run_id"], False
            taken = self._conn.execute(
                "SELECT 1 FROM runs WHERE test_run_id = ?", (report.id,)
            ).fetchone()
            # the first run under an id keeps it, so that a client may read it back by it
            test_run_id = str(uuid.uuid4()) if taken else report.id
            self._conn.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    test_run_id,
                    report.id,
                    content,
                    time.time(),
                    login,
                    body,
                    report.dut.part_number,
                    report.dut.serial_number,
                    report.test_stand.name,
                    report.status,
                    report.start_time,
                    report.stop_time,
                ),
            )
            self._log_post(report.id, "201")
            return test_run_id, True

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT on the connection (the caller holds the lock)."""
        self._conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _log_post(self, report_id: str | None, outcome: str) -> None:
        self._conn.execute(
            "INSERT INTO report_posts (report_id, at, outcome) VALUES (?, ?, ?)",
            (report_id, time.time(), outcome),
        )

    def log_post(self, report_id: str | None, outcome: str) -> None:
        """A post that stored nothing (refused, or a fault injected)."""
        with self._lock:
            self._log_post(report_id, outcome)

    def report_count(self, report_id: str | None = None) -> int:
        """Stored runs (all, or those sent under ``report_id``)."""
        if report_id is None:
            return self.execute("SELECT COUNT(*) AS n FROM runs")[0]["n"]  # COUNT: one row
        return self.execute("SELECT COUNT(*) AS n FROM runs WHERE report_id = ?",
                            (report_id,))[0]["n"]

    def report(self, report_id: str) -> dict[str, Any] | None:
        """The run stored as ``report_id`` (a test_run_id, else the first under that id)."""
        row = self.one(
            "SELECT body FROM runs WHERE test_run_id = ? OR report_id = ?"
            " ORDER BY test_run_id != ?, received_at LIMIT 1",
            (report_id, report_id, report_id),
        )
        return json.loads(row["body"]) if row else None

    def _migrate_reports(self) -> None:
        """A data dir from before ``runs``: one run per report id, moved over once."""
        with self._lock:
            old = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reports'"
            ).fetchone()
            if old is None:
                return
            with self._transaction():
                for row in self._conn.execute("SELECT * FROM reports").fetchall():
                    body = received.canonical(
                        received.ReceivedReport.model_validate_json(row["body"]))
                    self._conn.execute(
                        "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (row["id"], row["id"], received.digest(body), row["received_at"],
                         row["login"], body, row["part_number"], row["serial_number"],
                         row["stand_name"], row["status"], row["start_time"],
                         row["stop_time"]),
                    )
                self._conn.execute("DROP TABLE reports")
