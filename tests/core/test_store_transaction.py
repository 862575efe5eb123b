"""Store.write's rule: roll back only an open transaction, and report the first error."""

from __future__ import annotations

import sqlite3

import pytest

from bridge.errors import StoreError
from bridge.store import Store
from bridge.store.transaction import Transaction

INSERT_RUN = ("INSERT INTO runs (id, name, status, start_time, host, pid, hw_id)"
              " VALUES ('r', 'n', 'run', 0, 'h', 1, 'hw')")


class RollbackFails:
    """The store's real connection, except that ROLLBACK fails (as on an I/O error)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.rollbacks = 0

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql == "ROLLBACK":
            self.rollbacks += 1
            raise sqlite3.OperationalError("disk I/O error (in ROLLBACK)")
        return self.conn.execute(sql, *args)

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction


def test_a_failed_rollback_does_not_hide_the_bodys_error(tmp_path):
    with Store.open(tmp_path / "runs.db") as store:
        conn = RollbackFails(store.conn)
        with pytest.raises(ValueError, match="the first error"), \
                Transaction(conn, store.path):  # type: ignore[arg-type]
            store.conn.execute(INSERT_RUN)
            raise ValueError("the first error")
        assert conn.rollbacks == 1  # it was open, so it was tried
        store.conn.execute("ROLLBACK")


def test_a_failed_rollback_does_not_hide_the_sqlite_failure_that_caused_it(tmp_path):
    with Store.open(tmp_path / "runs.db") as store:
        conn = RollbackFails(store.conn)
        with pytest.raises(StoreError, match="no such table") as caught, \
                Transaction(conn, store.path):  # type: ignore[arg-type]
            store.conn.execute("INSERT INTO nowhere VALUES (1)")
        assert "ROLLBACK" not in str(caught.value)
        assert conn.rollbacks == 1
        store.conn.execute("ROLLBACK")


def test_no_rollback_is_tried_when_no_transaction_is_open(tmp_path):
    with Store.open(tmp_path / "runs.db") as store:
        conn = RollbackFails(store.conn)
        with pytest.raises(ValueError, match="first"), \
                Transaction(conn, store.path):  # type: ignore[arg-type]
            store.conn.execute("ROLLBACK")  # as SQLite does itself on SQLITE_FULL
            raise ValueError("first")
        assert conn.rollbacks == 0


def test_a_body_that_succeeds_commits(tmp_path):
    with Store.open(tmp_path / "runs.db") as store:
        with store.write() as conn:
            conn.execute(INSERT_RUN)
        assert not store.conn.in_transaction
        assert store.conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)
