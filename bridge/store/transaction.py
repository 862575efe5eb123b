"""Every write to the run store goes through one transaction helper.

``with store.write() as conn``: all of it lands, or none of it. An SQLite failure (disk
full, damaged page) becomes a StoreError saying what to do; any other error is
re-raised as it is. Rolling back only an open transaction keeps the first error from
being hidden by a second one (SQLite may already have rolled back itself, e.g. on
SQLITE_FULL, and a failed ROLLBACK is not the error to report). A class rather than a
``@contextmanager`` generator: it runs once per recorded case.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path

from bridge.errors import StoreError

DAMAGED_HINT = ("the store is damaged: `bridge store check` says what is still readable, "
                "`bridge store recover` copies it into a new store")


def explain(exc: sqlite3.Error) -> str:
    """SQLite's complaint, with what to do about it."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text
                                                   or "not a database" in text):
        return f"{text}: {DAMAGED_HINT}"
    if "disk is full" in text:
        return f"{text}: free space on the disk (or raise the file size limit), then retry"
    if "readonly" in text:
        return f"{text}: the store file or its folder is not writable"
    return text


class Transaction:
    """One ``BEGIN IMMEDIATE`` ... ``COMMIT`` on ``conn`` (the store at ``path``)."""

    __slots__ = ("conn", "path")

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        return self.conn

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        conn = self.conn
        if exc is None:
            try:
                conn.execute("COMMIT")
                return
            except BaseException as commit_failed:  # noqa: BLE001 (rolled back, re-raised)
                exc = commit_failed
        if conn.in_transaction:
            with suppress(sqlite3.Error):  # the first error is the one to report
                conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise self._failed(exc) from exc
        if kind is None:  # the COMMIT itself was interrupted (Ctrl-C): re-raise that
            raise exc
        # the body's own error propagates as it is

    def _failed(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(f"cannot write: {explain(exc)}", path=self.path)
