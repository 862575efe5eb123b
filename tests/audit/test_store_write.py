"""Store.write: the first error is the one reported."""

from __future__ import annotations

import pytest

from bridge.errors import StoreError
from bridge.store import Store


def test_an_error_after_sqlite_rolled_back_itself_is_re_raised_unhidden(tmp_path):
    with Store.open(tmp_path / "runs.db") as store:
        with pytest.raises(ValueError, match="the first error"), store.write() as conn:
            conn.execute("ROLLBACK")  # as SQLite does itself on SQLITE_FULL
            raise ValueError("the first error")
        assert not store.conn.in_transaction


def test_an_sqlite_failure_inside_a_write_is_a_store_error_and_rolls_back(tmp_path):
    with Store.open(tmp_path / "runs.db") as store:
        with pytest.raises(StoreError, match="no such table"), store.write() as conn:
            conn.execute("INSERT INTO runs (id, name, status, start_time, host, pid, hw_id)"
                         " VALUES ('r', 'n', 'run', 0, 'h', 1, 'hw')")
            conn.execute("INSERT INTO nowhere VALUES (1)")
        assert store.conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)
