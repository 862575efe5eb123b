"""Schema v3: the production view's facts, kept by the store itself.

A migration of its own module: the SQL that copies a finished run's rows is long, and
the trigger (on the live path) and ``summarize_missing`` (on bulk loads) share it.
"""

from __future__ import annotations

import sqlite3

# Over 100,000 runs the production view took 30 s: it joined runs, cases and
# measurements, checked each case was its final attempt and sorted millions of rows to
# group them. A finished run's rows are final, so once, when a run leaves 'run', they
# are copied per part number the way the view reads them: runs by time (fact_runs),
# units with their first and last run (unit_facts), case attempts by case (case_facts),
# values by measurement name and value (value_facts: a histogram bin is then a range,
# no sort), and running sums per case and per name (case_sums, value_sums). Scope
# columns keep the runs table's names (``name`` is the run's test plan) so one WHERE
# serves all. Runs loaded with a final status straight away (recovered stores, the
# simulator) are summarized by ``summarize_missing`` (fact_runs last: it says which
# runs are done); the view checks the counts and reads the raw tables if any run in
# scope is missing here.
# A value's bin on the view's grid from its limits, in production_data's operations
# and order (so the same doubles): pad = (upper - lower) * 0.25, low = lower - pad,
# high = upper + pad, width (high - low) / 24 (production_data.BINS).
_LOW = "(m.lower_limit - (m.upper_limit - m.lower_limit) * 0.25)"
_HIGH = "(m.upper_limit + (m.upper_limit - m.lower_limit) * 0.25)"
_WIDTH = f"(({_HIGH} - {_LOW}) / 24)"
_BIN = f"MIN(MAX(CAST((m.value - {_LOW}) / {_WIDTH} AS INTEGER), 0), 23)"

_FACTS_OF = """
INSERT INTO case_facts (dut_part_number, module_id, case_id, case_row, case_name, duration,
                        failed, start_time, stand_name, name)
SELECT r.dut_part_number, c.module_id, c.case_id, c.id, c.name, c.stop_time - c.start_time,
       c.status IN ('failed', 'error') AND NOT EXISTS (
           SELECT 1 FROM cases later WHERE later.run_id = c.run_id
           AND later.position = c.position AND later.attempt > c.attempt),
       r.start_time, r.stand_name, r.name
FROM runs r JOIN cases c ON c.run_id = r.id
WHERE {where} AND r.dut_part_number IS NOT NULL;
INSERT INTO value_facts (dut_part_number, measurement, value, case_row, position, result,
                         start_time, stand_name, name)
SELECT r.dut_part_number, m.name, m.value, c.id, m.position, m.result, r.start_time,
       r.stand_name, r.name
FROM runs r JOIN cases c ON c.run_id = r.id JOIN measurements m ON m.case_row = c.id
WHERE {where} AND r.dut_part_number IS NOT NULL AND m.type = 'numeric'
  AND m.name IS NOT NULL AND typeof(m.value) IN ('integer', 'real')
  AND NOT EXISTS (SELECT 1 FROM cases later WHERE later.run_id = c.run_id
                  AND later.position = c.position AND later.attempt > c.attempt);
INSERT INTO case_sums (dut_part_number, module_id, case_id, stand_name, name, case_name,
                       attempts, timed, duration_total, longest, failed)
SELECT r.dut_part_number, c.module_id, c.case_id, r.stand_name, r.name, MAX(c.name), COUNT(*),
       COUNT(c.stop_time - c.start_time), TOTAL(c.stop_time - c.start_time),
       MAX(c.stop_time - c.start_time),
       SUM(c.status IN ('failed', 'error') AND NOT EXISTS (
           SELECT 1 FROM cases later WHERE later.run_id = c.run_id
           AND later.position = c.position AND later.attempt > c.attempt))
FROM runs r JOIN cases c ON c.run_id = r.id
WHERE {where} AND r.dut_part_number IS NOT NULL
GROUP BY r.dut_part_number, c.module_id, c.case_id, r.stand_name, r.name
ON CONFLICT (dut_part_number, module_id, case_id, stand_name, name) DO UPDATE SET
    case_name = MAX(case_name, excluded.case_name), attempts = attempts + excluded.attempts,
    timed = timed + excluded.timed, duration_total = duration_total + excluded.duration_total,
    longest = MAX(COALESCE(longest, excluded.longest), COALESCE(excluded.longest, longest)),
    failed = failed + excluded.failed;
INSERT INTO value_sums (dut_part_number, measurement, stand_name, name, count, total, squares,
                        low, high, fails)
SELECT r.dut_part_number, m.name, r.stand_name, r.name, COUNT(*), SUM(m.value),
       SUM(m.value * m.value), MIN(m.value), MAX(m.value), COALESCE(SUM(m.result = 0), 0)
FROM runs r JOIN cases c ON c.run_id = r.id JOIN measurements m ON m.case_row = c.id
WHERE {where} AND r.dut_part_number IS NOT NULL AND m.type = 'numeric'
  AND m.name IS NOT NULL AND typeof(m.value) IN ('integer', 'real')
  AND NOT EXISTS (SELECT 1 FROM cases later WHERE later.run_id = c.run_id
                  AND later.position = c.position AND later.attempt > c.attempt)
GROUP BY r.dut_part_number, m.name, r.stand_name, r.name
ON CONFLICT (dut_part_number, measurement, stand_name, name) DO UPDATE SET
    count = count + excluded.count, total = total + excluded.total,
    squares = squares + excluded.squares, low = MIN(low, excluded.low),
    high = MAX(high, excluded.high), fails = fails + excluded.fails;
INSERT INTO unit_facts (dut_part_number, unit, runs, first_start, first_row, first_status,
                        first_stand, last_start, last_row, last_status)
SELECT r.dut_part_number, CASE WHEN r.dut_serial_number IS NULL OR r.dut_serial_number = ''
       THEN 'run:' || r.id ELSE r.dut_serial_number END, 1, r.start_time, r.rowid, r.status,
       r.stand_name, r.start_time, r.rowid, r.status
FROM runs r WHERE {where} AND r.dut_part_number IS NOT NULL
ON CONFLICT (dut_part_number, unit) DO UPDATE SET
    runs = runs + 1,
    first_start = MIN(first_start, excluded.first_start),
    first_row = CASE WHEN (excluded.first_start, excluded.first_row) < (first_start, first_row)
                THEN excluded.first_row ELSE first_row END,
    first_status = CASE WHEN (excluded.first_start, excluded.first_row) < (first_start, first_row)
                   THEN excluded.first_status ELSE first_status END,
    first_stand = CASE WHEN (excluded.first_start, excluded.first_row) < (first_start, first_row)
                  THEN excluded.first_stand ELSE first_stand END,
    last_start = MAX(last_start, excluded.last_start),
    last_row = CASE WHEN (excluded.last_start, excluded.last_row) > (last_start, last_row)
               THEN excluded.last_row ELSE last_row END,
    last_status = CASE WHEN (excluded.last_start, excluded.last_row) > (last_start, last_row)
                  THEN excluded.last_status ELSE last_status END;
INSERT INTO value_bins (dut_part_number, measurement, lower_limit, upper_limit, stand_name,
                        name, bin, count)
SELECT r.dut_part_number, m.name, COALESCE(m.lower_limit, ''), COALESCE(m.upper_limit, ''),
       r.stand_name, r.name, COALESCE(CASE WHEN typeof(m.lower_limit) IN ('integer', 'real')
       AND typeof(m.upper_limit) IN ('integer', 'real') AND m.upper_limit > m.lower_limit
       THEN {BIN} END, -1), COUNT(*)
FROM runs r JOIN cases c ON c.run_id = r.id JOIN measurements m ON m.case_row = c.id
WHERE {where} AND r.dut_part_number IS NOT NULL AND m.type = 'numeric'
  AND m.name IS NOT NULL AND typeof(m.value) IN ('integer', 'real')
  AND NOT EXISTS (SELECT 1 FROM cases later WHERE later.run_id = c.run_id
                  AND later.position = c.position AND later.attempt > c.attempt)
GROUP BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (dut_part_number, measurement, lower_limit, upper_limit, stand_name, name, bin)
DO UPDATE SET count = count + excluded.count;
INSERT INTO fact_runs (dut_part_number, start_time, run_row, id, name, status, stand_name,
                       dut_serial_number)
SELECT r.dut_part_number, r.start_time, r.rowid, r.id, r.name, r.status, r.stand_name,
       r.dut_serial_number FROM runs r WHERE {where} AND r.dut_part_number IS NOT NULL;
"""
_FACTS_OF = _FACTS_OF.replace("{BIN}", _BIN)
SUMMARIZE_MISSING = _FACTS_OF.format(where=(
    "r.status != 'run' AND NOT EXISTS (SELECT 1 FROM fact_runs f WHERE"
    " f.dut_part_number = r.dut_part_number AND f.start_time = r.start_time"
    " AND f.run_row = r.rowid)"))

MIGRATION_V3 = """
CREATE TABLE fact_runs (
    dut_part_number   TEXT NOT NULL,
    start_time        REAL NOT NULL,
    run_row           INTEGER NOT NULL,   -- runs.rowid: runs started at once keep their order
    id                TEXT NOT NULL,
    name              TEXT NOT NULL,      -- the test plan, as in runs
    status            TEXT NOT NULL,
    stand_name        TEXT,
    dut_serial_number TEXT,
    PRIMARY KEY (dut_part_number, start_time, run_row)
) WITHOUT ROWID;

-- Every attempt of every case of a finished run; failed: it is the final one and failed.
CREATE TABLE case_facts (
    dut_part_number TEXT NOT NULL,
    module_id       TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    case_row        INTEGER NOT NULL,
    case_name       TEXT NOT NULL,
    duration        REAL,
    failed          INTEGER NOT NULL,
    start_time      REAL NOT NULL,   -- the run's, like stand_name and name (the test plan)
    stand_name      TEXT,
    name            TEXT NOT NULL,
    PRIMARY KEY (dut_part_number, module_id, case_id, case_row)
) WITHOUT ROWID;

-- The numeric values of final attempts of finished runs.
CREATE TABLE value_facts (
    dut_part_number TEXT NOT NULL,
    measurement     TEXT NOT NULL,
    value           NOT NULL,
    case_row        INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    result          INTEGER,
    start_time      REAL NOT NULL,   -- the run's, like stand_name and name (the test plan)
    stand_name      TEXT,
    name            TEXT NOT NULL,
    PRIMARY KEY (dut_part_number, measurement, value, case_row, position)
) WITHOUT ROWID;

-- Running sums per case and per measurement name, by stand and test plan: the view's
-- totals over all time without a pass over the facts (a scope --since scans those).
-- A NULL stand never conflicts, so such a run adds its own row; the sums still add up.
CREATE TABLE case_sums (
    dut_part_number TEXT NOT NULL,
    module_id       TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    stand_name      TEXT,
    name            TEXT NOT NULL,   -- the test plan
    case_name       TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    timed           INTEGER NOT NULL,   -- attempts with a duration
    duration_total  REAL NOT NULL,
    longest         REAL,
    failed          INTEGER NOT NULL,   -- final attempts that failed
    UNIQUE (dut_part_number, module_id, case_id, stand_name, name)
);
CREATE TABLE value_sums (
    dut_part_number TEXT NOT NULL,
    measurement     TEXT NOT NULL,
    stand_name      TEXT,
    name            TEXT NOT NULL,   -- the test plan
    count           INTEGER NOT NULL,
    total           NOT NULL,
    squares         NOT NULL,
    low             NOT NULL,
    high            NOT NULL,
    fails           INTEGER NOT NULL,
    UNIQUE (dut_part_number, measurement, stand_name, name)
);

-- Per limits, the histogram of the view (24 bins from 1/4 of the tolerance below the
-- lower limit to 1/4 above the upper, binned as production_data does it, to the bit):
-- while a name's limits stay the same its histogram needs no pass over its values.
-- bin -1: no usable limits (the view then bins by the latest values, and counts).
CREATE TABLE value_bins (
    dut_part_number TEXT NOT NULL,
    measurement     TEXT NOT NULL,
    lower_limit     NOT NULL,   -- '' when none
    upper_limit     NOT NULL,
    stand_name      TEXT,
    name            TEXT NOT NULL,   -- the test plan
    bin             INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    UNIQUE (dut_part_number, measurement, lower_limit, upper_limit, stand_name, name, bin)
);

-- Per unit (its serial number, else 'run:' and the run's id) its first and last run:
-- the yields of all time, without reading every run.
CREATE TABLE unit_facts (
    dut_part_number TEXT NOT NULL,
    unit            TEXT NOT NULL,
    runs            INTEGER NOT NULL,
    first_start     REAL NOT NULL,
    first_row       INTEGER NOT NULL,   -- runs.rowid, as in fact_runs
    first_status    TEXT NOT NULL,
    first_stand     TEXT,
    last_start      REAL NOT NULL,
    last_row        INTEGER NOT NULL,
    last_status     TEXT NOT NULL,
    PRIMARY KEY (dut_part_number, unit)
) WITHOUT ROWID;

-- A module whose case was stopped is stopped (it said passed): failed, then stopped,
-- then all skipped, else passed.
DROP VIEW module_rows;
CREATE VIEW module_rows AS
SELECT m.run_id, m.module_id, m.position, m.name, m.grp, m.artifact,
       CASE WHEN SUM(c.status IN ('failed', 'error')) > 0 THEN 'failed'
            WHEN SUM(c.status = 'stopped') > 0 THEN 'stopped'
            WHEN COUNT(c.id) > 0 AND SUM(c.status = 'skipped') = COUNT(c.id) THEN 'skipped'
            ELSE 'passed' END AS status,
       MIN(c.start_time) AS start_time, MAX(c.stop_time) AS stop_time
FROM modules m LEFT JOIN final_cases c
  ON c.run_id = m.run_id AND c.module_id = m.module_id
GROUP BY m.run_id, m.module_id;

CREATE TRIGGER runs_finished AFTER UPDATE OF status ON runs
WHEN OLD.status = 'run' AND NEW.status != 'run'
BEGIN
""" + _FACTS_OF.format(where="r.id = NEW.id") + """
END;
""" + SUMMARIZE_MISSING


def summarize_missing(conn: sqlite3.Connection) -> None:
    """Give every finished run without facts its facts: for stores filled row by row
    with final statuses (recovery, the simulator's pages, fixtures), which the
    trigger, firing when a run leaves 'run', never sees. Inside the caller's transaction."""
    for statement in SUMMARIZE_MISSING.split(";\n"):
        if statement.strip():
            conn.execute(statement)
