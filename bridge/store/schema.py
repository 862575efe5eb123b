"""The run store's schema: plain DDL, then numbered migrations.

``PRAGMA user_version`` holds the schema version. A store from a newer version is
refused untouched; an older one is upgraded by the migrations in order, each in its
own transaction; a new store is given what they leave (:func:`latest_schema`). Columns
holding measured values have no declared type on purpose: SQLite then keeps ints as
ints, floats as floats and text as text, which the report format distinguishes.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator

from bridge.store.schema_v3 import MIGRATION_V3

SCHEMA_V1 = """
CREATE TABLE runs (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    status                TEXT NOT NULL,   -- run passed failed error stopped interrupted
    start_time            REAL NOT NULL,
    stop_time             REAL,
    host                  TEXT NOT NULL,   -- with pid: who is writing this run
    pid                   INTEGER NOT NULL,
    hw_id                 TEXT NOT NULL,
    timezone              TEXT,
    stand_name            TEXT,
    stand_revision        TEXT,
    stand_location        TEXT,
    stand_number          INTEGER,
    stand_info            TEXT NOT NULL DEFAULT '{}',
    drivers               TEXT NOT NULL DEFAULT '{}',
    dut_name              TEXT,
    dut_type              TEXT,
    dut_serial_number     TEXT,
    dut_part_number       TEXT,
    dut_revision          TEXT,
    dut_info              TEXT NOT NULL DEFAULT '{}',
    dut_sub_units         TEXT NOT NULL DEFAULT '[]',
    process_name          TEXT,
    process_number        INTEGER,
    process_info          TEXT NOT NULL DEFAULT '{}',
    user                  TEXT,
    batch_serial_number   TEXT,
    caused_dut_failure_id TEXT,
    error_code            INTEGER,
    artifact              TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_by_time ON runs (start_time);
CREATE INDEX runs_by_serial ON runs (dut_serial_number, start_time);
CREATE INDEX runs_by_part ON runs (dut_part_number, start_time);
CREATE INDEX runs_by_status ON runs (status, start_time);

CREATE TABLE modules (
    run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    module_id  TEXT NOT NULL,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    grp        TEXT NOT NULL DEFAULT 'main',
    artifact   TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, module_id)
);

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL,
    module_id     TEXT NOT NULL,
    case_id       TEXT NOT NULL,
    attempt       INTEGER NOT NULL,   -- every attempt is a row; the report shows the last
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL,
    start_time    REAL,
    stop_time     REAL,
    grp           TEXT NOT NULL DEFAULT 'main',
    assertion_msg TEXT,
    msg           TEXT,               -- JSON object or NULL
    chart         TEXT,               -- JSON object or NULL
    artifact      TEXT NOT NULL DEFAULT '{}',
    UNIQUE (run_id, module_id, case_id, attempt),
    FOREIGN KEY (run_id, module_id) REFERENCES modules (run_id, module_id) ON DELETE CASCADE
);

-- Clustered by case (WITHOUT ROWID): one B-tree to write per case, no extra index.
CREATE TABLE measurements (
    case_row         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    type             TEXT NOT NULL,   -- numeric | string
    name             TEXT,
    value,
    unit             TEXT,
    operation        TEXT,
    comparison_value,
    lower_limit,
    upper_limit,
    casesensitive    INTEGER,
    result           INTEGER,
    PRIMARY KEY (case_row, position)
) WITHOUT ROWID;

CREATE TABLE instruments (
    id            INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    name          TEXT,
    revision      TEXT,
    serial_number TEXT,
    part_number   TEXT,
    number        INTEGER,
    comment       TEXT,
    info          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX instruments_by_run ON instruments (run_id);

-- A finished run waits here for StandCloud; it leaves 'pending' only on a 201.
CREATE TABLE outbox (
    run_id          TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    state           TEXT NOT NULL DEFAULT 'pending',  -- pending uploaded rejected held
    queued_at       REAL NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at REAL,
    last_error      TEXT,
    uploaded_at     REAL,
    remote_id       TEXT
);
CREATE INDEX outbox_by_state ON outbox (state, queued_at);

CREATE TABLE upload_attempts (
    id      INTEGER PRIMARY KEY,
    run_id  TEXT NOT NULL REFERENCES outbox (run_id) ON DELETE CASCADE,
    at      REAL NOT NULL,
    outcome TEXT NOT NULL,   -- uploaded rejected retry held
    error   TEXT
);
CREATE INDEX upload_attempts_by_run ON upload_attempts (run_id);

-- The latest attempt of each case: what the report and the views show.
CREATE VIEW final_cases AS
SELECT c.* FROM cases c
WHERE c.attempt = (SELECT MAX(attempt) FROM cases o
                   WHERE o.run_id = c.run_id AND o.module_id = c.module_id
                     AND o.case_id = c.case_id);

-- One row per measurement with its run, DUT and stand: the table analysts want.
CREATE VIEW measurement_rows AS
SELECT r.id AS run_id, r.name AS test_plan, r.status AS run_status,
       datetime(r.start_time, 'unixepoch') AS run_started,
       r.stand_name, r.hw_id, r.dut_part_number, r.dut_serial_number,
       c.module_id, c.case_id, c.name AS case_name, c.attempt, c.status AS case_status,
       m.position, m.type, m.name, m.value, m.unit, m.operation, m.comparison_value,
       m.lower_limit, m.upper_limit, m.result
FROM measurements m
JOIN cases c ON c.id = m.case_row
JOIN runs r ON r.id = c.run_id;

-- A module's status and times follow from its cases (latest attempts), so a case
-- commit never has to rewrite its module's row.
CREATE VIEW module_rows AS
SELECT m.run_id, m.module_id, m.position, m.name, m.grp, m.artifact,
       CASE WHEN SUM(c.status IN ('failed', 'error')) > 0 THEN 'failed'
            WHEN COUNT(c.id) > 0 AND SUM(c.status = 'skipped') = COUNT(c.id) THEN 'skipped'
            ELSE 'passed' END AS status,
       MIN(c.start_time) AS start_time, MAX(c.stop_time) AS stop_time
FROM modules m LEFT JOIN final_cases c
  ON c.run_id = m.run_id AND c.module_id = m.module_id
GROUP BY m.run_id, m.module_id;

-- One row per case (latest attempt) with its run, DUT and stand.
CREATE VIEW case_rows AS
SELECT r.id AS run_id, r.name AS test_plan, r.stand_name, r.dut_part_number,
       r.dut_serial_number, c.module_id, c.case_id, c.name AS case_name, c.attempt,
       c.status, c.stop_time - c.start_time AS duration, c.assertion_msg
FROM final_cases c JOIN runs r ON r.id = c.run_id;
"""


# v2: a case is unique by (run, position, attempt), not by its names. Positions grow
# through a run, so each case commit appends to the end of that index; keyed by names
# it inserted in the middle of the index, which was half the cost of a commit. The
# table is rebuilt (SQLite cannot drop a constraint) and the views follow.
MIGRATION_V2 = """
DROP VIEW case_rows;
DROP VIEW module_rows;
DROP VIEW measurement_rows;
DROP VIEW final_cases;

CREATE TABLE cases_v2 (
    id            INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL,
    module_id     TEXT NOT NULL,
    case_id       TEXT NOT NULL,
    attempt       INTEGER NOT NULL,   -- every attempt is a row; the report shows the last
    position      INTEGER NOT NULL,   -- the case's place in its run, shared by its attempts
    name          TEXT NOT NULL,
    status        TEXT NOT NULL,
    start_time    REAL,
    stop_time     REAL,
    grp           TEXT NOT NULL DEFAULT 'main',
    assertion_msg TEXT,
    msg           TEXT,               -- JSON object or NULL
    chart         TEXT,               -- JSON object or NULL
    artifact      TEXT NOT NULL DEFAULT '{}',
    UNIQUE (run_id, position, attempt),
    FOREIGN KEY (run_id, module_id) REFERENCES modules (run_id, module_id) ON DELETE CASCADE
);
INSERT INTO cases_v2 SELECT * FROM cases;
DROP TABLE cases;
ALTER TABLE cases_v2 RENAME TO cases;

CREATE VIEW final_cases AS
SELECT c.* FROM cases c
WHERE c.attempt = (SELECT MAX(attempt) FROM cases o
                   WHERE o.run_id = c.run_id AND o.position = c.position);
""" + SCHEMA_V1[SCHEMA_V1.index("-- One row per measurement"):]  # the other views, as in v1

# Index i holds the SQL that upgrades version i to version i + 1.
MIGRATIONS: list[str] = [SCHEMA_V1, MIGRATION_V2, MIGRATION_V3]
LATEST_VERSION = len(MIGRATIONS)


def statements(script: str) -> Iterator[str]:
    """Split a DDL script into statements; SQLite says where one ends (a trigger's body
    holds ';' too), asked only at lines ending in ';', as any statement's last does."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line.split("--", 1)[0] + "\n" if "--" in line else line
        if buffer.rstrip().endswith(";") and sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""


@functools.cache
def latest_schema() -> tuple[str, ...]:
    """The latest version's DDL, in creation order: what the migrations leave in an
    in-memory database, read back (~9 ms, once per process). A new store runs these ~30
    statements in one transaction, not the ~70 of every migration in three: 18 → 11 ms
    a store."""
    conn = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS:
            for statement in statements(script):
                conn.execute(statement)
        return tuple(sql for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"))
    finally:
        conn.close()
