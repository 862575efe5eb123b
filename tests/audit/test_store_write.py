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


READ_AS_OTHER = """
import sys
sys.path.insert(0, sys.argv[1])
from bridge.store import Store
with Store.open(sys.argv[2], create=False, read_only=True) as store:
    print(store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
"""


def test_a_store_this_user_cannot_write_can_still_be_listed():
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    if os.geteuid() != 0:
        command, user = [sys.executable, "-c", READ_AS_OTHER], None
    elif shutil.which("python3", path="/usr/bin") and os.access(repo, os.R_OK | os.X_OK):
        command, user = ["/usr/bin/python3", "-c", READ_AS_OTHER], 65534  # root writes anywhere
    else:
        pytest.skip("needs a non-root user")
    outer = Path(tempfile.mkdtemp())  # in /tmp: another user may pass through it
    folder = outer / "ro"
    try:
        outer.chmod(0o755)
        folder.mkdir()
        with Store.open(folder / "runs.db") as store, store.write() as conn:
            conn.execute("INSERT INTO runs (id, name, status, start_time, host, pid, hw_id)"
                         " VALUES ('r', 'n', 'passed', 0, 'h', 1, 'hw')")
        (folder / "runs.db").chmod(0o444)
        folder.chmod(0o555)
        before = sorted(p.name for p in folder.iterdir())
        result = subprocess.run([*command, str(repo), str(folder / "runs.db")], user=user,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "1"
        assert sorted(p.name for p in folder.iterdir()) == before  # nothing created
    finally:
        folder.chmod(0o755)
        shutil.rmtree(outer)
