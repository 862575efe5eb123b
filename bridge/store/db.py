"""Opening the run store: one SQLite file, checked, migrated, safe for many writers.

WAL lets readers and several writer processes (two stands on one PC, pytest-xdist
workers) share the file; ``BEGIN IMMEDIATE`` plus a generous busy timeout makes
writers queue instead of failing with "database is locked". Opening also settles
runs left behind by a process that died (``kill -9``, power loss): they are marked
``interrupted``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import time
from pathlib import Path

from bridge.errors import StoreError
from bridge.store.schema import LATEST_VERSION, MIGRATIONS, latest_schema, statements
from bridge.store.transaction import Transaction, explain

BUSY_TIMEOUT_S = 60.0
SYNCHRONOUS = "NORMAL"
MIN_ROOM = 8 * 2**20  # bytes a run may add to the store, checked before it starts
PAGE_SIZE = 2048
UPGRADE_NOTICE_RUNS = 1000  # below this an upgrade is quick enough to go unsaid
SQLITE_MAGIC = b"SQLite format 3\x00"
STORE_TABLES = {"runs", "modules", "cases", "measurements", "instruments", "outbox"}
class Store:
    """A connection to one run store file."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path
        self.version = 0

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True, read_only: bool = False) -> Store:
        """Open (and create or upgrade) the store at ``path``; refuse anything else.

        ``read_only``: for readers (``bridge runs``, ``show``, ``export``): nothing is
        written, not even the WAL switch or the settling of dead runs, and a store
        file without write permission can still be read.
        """
        path = Path(path)
        _check_file(path, create=create and not read_only, writable=not read_only)
        if read_only:
            store = cls._read_only(path)
            if store.version == LATEST_VERSION or not os.access(path, os.W_OK):
                return store  # an older store that cannot be upgraded is read as it is
            store.close()  # ours and older: upgrade it, as any writer would
        store = cls._connect(path, path)
        try:
            store._identify(create=create)
            store._prepare()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _read_only(cls, path: Path) -> Store:
        """A reader's connection. WAL needs its -shm file: where this user cannot create
        it (another user's store, a read-only folder), the file is read as immutable,
        i.e. as it is on disk, without the latest writer's uncheckpointed commits."""
        for query in ("mode=ro", "immutable=1"):
            store = cls._connect(path, f"{path.resolve().as_uri()}?{query}")
            try:
                store.version = store._identify(reading=True)
                return store
            except StoreError as exc:
                store.close()
                cause = str(exc.__cause__ or "")
                if query == "immutable=1" or not ("readonly" in cause or "unable to open" in cause):
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _connect(cls, path: Path, target: Path | str) -> Store:
        try:
            conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False, uri=isinstance(target, str))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the run store: {explain(exc)}", path=path) from exc
        return cls(conn, path)

    def _identify(self, *, reading: bool = False, create: bool = True) -> int:
        """The schema version, after making sure this is a run store (or a new file):
        another application's database is refused before anything touches it."""
        try:  # one read transaction: a writer creating the schema is seen whole or not at all
            self.conn.execute("BEGIN")
            try:
                version = self.conn.execute("PRAGMA user_version").fetchone()[0]
                tables = {row[0] for row in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a usable run store: {explain(exc)}", path=self.path) from exc
        if version > LATEST_VERSION:
            raise StoreError(
                f"written by a newer stand-bridge (schema {version}, this one knows "
                f"up to {LATEST_VERSION}); upgrade stand-bridge to read it",
                path=self.path,
            )
        if (version == 0 and tables) or (version > 0 and not tables >= STORE_TABLES):
            raise StoreError("is an SQLite database but not a stand-bridge run store; "
                             "refusing to touch it", path=self.path)
        if version == 0 and (reading or not create):
            raise StoreError("is empty, not a run store (no run has been recorded in it)",
                             path=self.path)
        return version

    def _prepare(self) -> None:
        try:
            self._prepare_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a usable run store: {explain(exc)}", path=self.path) from exc

    def _prepare_schema(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            # Small pages: each case commit appends whole pages to the WAL, and a
            # case's rows fill a fraction of one; 2 KiB measured ~25% cheaper than 4 KiB.
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        # Checkpoints every ~8 MB, not every 2 MB.
        self.conn.execute("PRAGMA wal_autocheckpoint = 4000")
        if version == 0:
            version = self._create()
        # Foreign keys off while migrating: rebuilding a table must not cascade deletes
        # (SQLite's own procedure); each migration checks them before it commits.
        if 0 < version < LATEST_VERSION:
            self._announce_upgrade(version)
        for number in range(version, LATEST_VERSION):
            self._migrate(number)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self._settle_dead_runs()

    def _announce_upgrade(self, version: int) -> None:
        """A big store's upgrade takes a while (v3 summarizes every run: about a minute
        of CPU per 100,000 runs); say so rather than look hung."""
        runs = self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        if runs >= UPGRADE_NOTICE_RUNS:
            print(f"stand-bridge: upgrading the run store {self.path} from schema {version} "
                  f"to {LATEST_VERSION} ({runs} runs), once; this may take a while",
                  file=sys.stderr, flush=True)

    def _create(self) -> int:
        """Give a new store the latest schema; the version it then has (another process
        may have created it while we waited for the write lock)."""
        with self.write():
            if version := self.conn.execute("PRAGMA user_version").fetchone()[0]:
                return int(version)
            for statement in latest_schema():
                self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version = {LATEST_VERSION}")
        return LATEST_VERSION

    def _migrate(self, number: int) -> None:
        with self.write():
            # Another process may have migrated while we waited for the write lock.
            if self.conn.execute("PRAGMA user_version").fetchone()[0] > number:
                return
            for statement in statements(MIGRATIONS[number]):
                self.conn.execute(statement)
            broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(f"schema upgrade to {number + 1} would break references: "
                                 f"{broken[:3]}", path=self.path)
            self.conn.execute(f"PRAGMA user_version = {number + 1}")

    def _settle_dead_runs(self) -> None:
        """Mark runs whose writing process is gone as interrupted."""
        host = socket.gethostname()
        rows = self.conn.execute(
            "SELECT id, pid, start_time FROM runs WHERE status = 'run' AND host = ?", (host,)
        ).fetchall()
        dead = [run_id for run_id, pid, started in rows if not _still_writing(pid, started)]
        if dead:
            with self.write():
                self.conn.executemany(
                    "UPDATE runs SET status = 'interrupted', stop_time = COALESCE("
                    "(SELECT MAX(stop_time) FROM cases WHERE run_id = runs.id), start_time) "
                    "WHERE id = ? AND status = 'run'",
                    [(run_id,) for run_id in dead],
                )
                # StandCloud learns of it too: reported as stopped, with its cases.
                self.conn.executemany(
                    "INSERT OR IGNORE INTO outbox (run_id, state, queued_at) VALUES "
                    "(?, 'pending', ?)", [(run_id, time.time()) for run_id in dead])

    def write(self) -> Transaction:
        """One write transaction: all of it lands, or none of it (``with store.write()
        as conn``); see bridge.store.transaction."""
        return Transaction(self.conn, self.path)

    def check_room(self) -> None:
        """Refuse to start a run the disk (or ``ulimit -f``) cannot take: better no
        run than one that stops halfway for want of space."""
        import shutil

        free = shutil.disk_usage(self.path.parent).free
        if free < MIN_ROOM:
            raise StoreError(f"the disk holds only {free // 2**20} MB free; a run needs "
                             f"{MIN_ROOM // 2**20} MB: free space, then run again",
                             path=self.path)
        try:
            import resource
        except ImportError:  # Windows: no file size limit
            return
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit == resource.RLIM_INFINITY:
            return
        largest = max((Path(f"{self.path}{suffix}").stat().st_size
                       for suffix in ("", "-wal") if Path(f"{self.path}{suffix}").exists()),
                      default=0)
        if limit - largest < MIN_ROOM:
            raise StoreError(f"the file size limit (ulimit -f, {limit} bytes) leaves less "
                             f"than {MIN_ROOM // 2**20} MB for the store to grow",
                             path=self.path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _check_file(path: Path, *, create: bool, writable: bool = True) -> None:
    """Refuse a file that is not SQLite, or a folder we cannot write, untouched."""
    if path.exists():
        if path.is_dir():
            raise StoreError("is a directory, not a run store file", path=path)
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise StoreError("is not an SQLite file; refusing to touch it", path=path)
        if writable and not os.access(path, os.W_OK):
            raise StoreError("the run store file is not writable", path=path)
        return
    if not create:
        raise StoreError("no run store here (no run has been recorded yet?)", path=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the store directory: {exc.strerror}",
                         path=path.parent) from exc
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError("the store directory is not writable", path=path.parent)


def _still_writing(pid: int, started: float) -> bool:
    """Whether the process that started a run at ``started`` still runs.

    psutil, not ``os.kill(pid, 0)``: on Windows that call terminates the process. A
    process younger than the run only reused the pid of the dead writer.
    """
    import psutil

    try:
        return psutil.Process(pid).create_time() <= started + 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # somebody else's process: alive, and not ours to judge
        return True
