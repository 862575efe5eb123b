"""A damaged store: what is still readable, and a copy of it into a new store.

Python's sqlite3 has no ``.recover`` (that is the sqlite3 shell's), so the copy is
done row by row: each table is read in rowid ranges, a range that hits a damaged page
is read again one row at a time, and what still cannot be read is counted as lost.
Rows whose parent row was lost (a case of a lost run) cannot be kept either, and are
counted too. The damaged file is only ever opened read-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.errors import StoreError

# Parents before children, so that references hold in the copy.
TABLES = ("runs", "modules", "cases", "measurements", "instruments", "outbox",
          "upload_attempts")
_CHUNK = 200
_CLUSTERED = {"measurements": ("case_row", "cases")}  # WITHOUT ROWID: read by parent


@dataclass
class TableState:
    readable: int = 0
    unreadable: int = 0  # rowids in range that could not be read
    orphaned: int = 0    # read, but their parent row was lost
    error: str | None = None  # the table could not even be scanned


@dataclass
class Check:
    problems: list[str] = field(default_factory=list)
    tables: dict[str, TableState] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise StoreError("no such store file", path=path)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _rows(conn: sqlite3.Connection, table: str, state: TableState) -> Iterator[Any]:
    """Every readable row of ``table`` (with its rowid first), counting what is not."""
    if table in _CLUSTERED:
        yield from _clustered_rows(conn, table, state)
        return
    try:
        top = conn.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError as exc:
        state.error = str(exc)
        return
    for start in range(1, top + 1, _CHUNK):
        sql = f"SELECT rowid, * FROM {table} WHERE rowid >= ? AND rowid < ?"
        try:
            chunk = conn.execute(sql, (start, start + _CHUNK)).fetchall()
        except sqlite3.DatabaseError:
            chunk = []
            for rowid in range(start, start + _CHUNK):
                try:
                    chunk += conn.execute(sql, (rowid, rowid + 1)).fetchall()
                except sqlite3.DatabaseError:
                    state.unreadable += 1
        state.readable += len(chunk)
        yield from chunk


def _clustered_rows(conn: sqlite3.Connection, table: str, state: TableState) -> Iterator[Any]:
    """A WITHOUT ROWID table, read whole or, past a damaged page, parent by parent
    (a parent whose rows cannot be read counts as one loss)."""
    parent_key, parent_table = _CLUSTERED[table]
    sql = f"SELECT NULL, * FROM {table}"
    try:
        rows = conn.execute(sql).fetchall()
    except sqlite3.DatabaseError:
        rows = []
        parents = TableState()
        for parent in _rows(conn, parent_table, parents):
            try:
                rows += conn.execute(f"{sql} WHERE {parent_key} = ?", (parent[0],)).fetchall()
            except sqlite3.DatabaseError:
                state.unreadable += 1
    state.readable += len(rows)
    yield from rows


def check(path: Path) -> Check:
    """SQLite's integrity_check, and how many rows of each table can still be read."""
    result = Check()
    conn = _open_read_only(path)
    try:
        try:
            found = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
        except sqlite3.DatabaseError as exc:
            found = [str(exc)]
        result.problems = [line for line in found if line != "ok"]
        for table in TABLES:
            state = result.tables[table] = TableState()
            for _ in _rows(conn, table, state):
                pass
    finally:
        conn.close()
    return result


def recover(path: Path, target: Path) -> Check:
    """Copy every readable row of the store at ``path`` into a new store ``target``."""
    from bridge.store.db import Store
    from bridge.store.schema_v3 import summarize_missing

    if target.exists():
        raise StoreError("exists already; give a new file for the recovered store",
                         path=target)
    result = Check()
    source = _open_read_only(path)
    try:
        with Store.open(target) as copy:
            for table in TABLES:
                state = result.tables[table] = TableState()
                columns = [row[1] for row in copy.conn.execute(f"PRAGMA table_info({table})")]
                try:
                    names = ["rowid", *(d[0] for d in source.execute(
                        f"SELECT * FROM {table} LIMIT 0").description)]
                except sqlite3.DatabaseError as exc:
                    state.error = str(exc)
                    continue
                kept = [column for column in columns if column in names]
                with copy.write() as conn:
                    for row in _rows(source, table, state):
                        _copy_row(conn, table, kept, dict(zip(names, row, strict=True)),
                                  state)
            with copy.write() as conn:
                summarize_missing(conn)  # the production view's facts, of what was saved
    finally:
        source.close()
    return result


def _copy_row(conn: sqlite3.Connection, table: str, kept: list[str],
              values: dict[str, object], state: TableState) -> None:
    names = kept if table in _CLUSTERED else ["rowid", *kept]
    sql = (f"INSERT INTO {table} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    try:
        conn.execute(sql, [values[column] for column in names])
    except sqlite3.IntegrityError:  # its parent was lost with a damaged page
        state.orphaned += 1
        state.readable -= 1

