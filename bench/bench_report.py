"""Benchmark of issue 12: the HTML pages at production scale, with baselines in-script.

1. production view over 100,000 runs x 20 numeric measurements (5 cases x 4), one part
   number: goal <= 2 s, and <= 3x the bare SQL aggregation of the same rows (one
   GROUP BY pass computing count / mean / min / max / fails per measurement);
2. run page of a 1000-case run (1000 measurements, 10 charts of 200 points): <= 0.5 s;
3. that run page's size without artifacts: <= 300 kB.

The big store is generated once into $BENCH_REPORT_DIR (default: a temp folder kept
between runs) with plain executemany, in the store's own schema, then given the facts
(schema v3) a stand's store gets as each run finishes; a store generated before v3 is
upgraded once when opened. The bare SQL aggregation reads the raw tables, as a user's
own query of the store would: the same rows the view summarizes.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from _timing import median_seconds, verdict

from bridge.pages import run_page
from bridge.pages.production import production_page
from bridge.pages.production_data import Scope
from bridge.store import Store
from bridge.store.schema import LATEST_VERSION
from bridge.store.schema_v3 import summarize_missing

RUNS, CASES, PER_CASE = 100_000, 5, 4
FOLDER = Path(os.environ.get("BENCH_REPORT_DIR", Path(tempfile.gettempdir()) / "bench-report"))


def make_production_store(path: Path, runs: int = RUNS) -> None:
    """``runs`` runs of part PN-BENCH on 3 stands over 30 days; ~3 % fail and retest."""
    rng = random.Random(12)
    store = Store.open(path)
    conn = store.conn
    start = time.time() - 30 * 86400
    run_rows, module_rows, case_rows, measurement_rows = [], [], [], []
    case_id = 0
    serial = 0
    for index in range(runs):
        run = str(uuid.UUID(int=rng.getrandbits(128)))
        failed = rng.random() < 0.03
        if not (index and run_rows and run_rows[-1][2] == "failed"):
            serial += 1
        at = start + index * 30 * 86400 / runs
        run_rows.append((run, "Board acceptance", "failed" if failed else "passed", at,
                         at + 40, "bench", 1, "hw", f"stand-{index % 3}", "PN-BENCH",
                         f"SN-{serial:06d}"))
        module_rows.append((run, "test_board", 0, "Board"))
        bad_case = rng.randrange(CASES) if failed else -1
        for c in range(CASES):
            case_id += 1
            status = "failed" if c == bad_case else "passed"
            case_rows.append((case_id, run, "test_board", f"test_{c}", 1, c, f"Case {c}",
                              status, at + c * 8, at + c * 8 + 5 + rng.random() * c))
            for k in range(PER_CASE):
                n = c * PER_CASE + k
                value = 5 + 0.01 * n + rng.gauss(0, 0.02) + (0.2 if c == bad_case else 0)
                measurement_rows.append((case_id, k, "numeric", f"m{n:02d}", value, "V",
                                         "gele", 4.9 + 0.01 * n, 5.1 + 0.01 * n,
                                         int(abs(value - 5 - 0.01 * n) <= 0.1)))
    with store.write() as tx:
        tx.executemany("INSERT INTO runs (id, name, status, start_time, stop_time, host, pid,"
                       " hw_id, stand_name, dut_part_number, dut_serial_number)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?)", run_rows)
        tx.executemany("INSERT INTO modules (run_id, module_id, position, name)"
                       " VALUES (?,?,?,?)", module_rows)
        tx.executemany("INSERT INTO cases (id, run_id, module_id, case_id, attempt, position,"
                       " name, status, start_time, stop_time) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       case_rows)
        tx.executemany("INSERT INTO measurements (case_row, position, type, name, value, unit,"
                       " operation, lower_limit, upper_limit, result)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)", measurement_rows)
        summarize_missing(tx)  # the facts a stand's store gets as each run finishes
    conn.execute("ANALYZE")
    store.close()


BARE_AGGREGATION = """
SELECT m.name, COUNT(*), AVG(m.value), MIN(m.value), MAX(m.value), SUM(m.result = 0)
FROM runs r JOIN cases c ON c.run_id = r.id JOIN measurements m ON m.case_row = c.id
WHERE r.dut_part_number = ? AND m.type = 'numeric'
GROUP BY m.name
"""


def bench_production() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"production-{RUNS}.db"
    if not path.exists():
        print(f"generating {RUNS} runs x {CASES * PER_CASE} measurements into {path} …")
        partial = path.with_suffix(".partial")
        for leftover in FOLDER.glob(partial.name + "*"):
            leftover.unlink()
        make_production_store(partial)
        partial.rename(path)
    with sqlite3.connect(path) as probe:
        version = probe.execute("PRAGMA user_version").fetchone()[0]
    probe.close()
    if version < LATEST_VERSION:
        print(f"upgrading {path} to schema {LATEST_VERSION} (once; minutes) …")
    store = Store.open(path, create=False)
    store.conn.execute("PRAGMA temp_store = MEMORY")  # as the page sets it: a fair baseline
    bare = median_seconds(lambda: store.conn.execute(BARE_AGGREGATION,
                                                      ("PN-BENCH",)).fetchall(), 3)
    page = ""

    def write() -> None:
        nonlocal page
        page = production_page(store.conn, Scope("PN-BENCH"))

    cpu = time.process_time()
    ours = median_seconds(write, 3)
    cpu = (time.process_time() - cpu) / 3
    store.close()
    print(f"production view, {RUNS} runs x {CASES * PER_CASE} measurements: {ours:.2f} s "
          f"[goal <= 2 s: {verdict(ours, 2.0)}]; bare SQL aggregation {bare:.2f} s, ratio "
          f"{ours / bare:.2f}x [goal <= 3x: {verdict(ours / bare, 3.0)}]; page "
          f"{len(page.encode()) / 1000:.0f} kB; {cpu:.2f} s of CPU per page "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


def make_big_run(path: Path) -> str:
    from bridge import api
    from bridge.models import Chart, NumericMeasurement
    from bridge.recorder import RunRecorder
    from bridge.store.writer import RunWriter

    store = Store.open(path)
    run_id = str(uuid.uuid4())
    writer = RunWriter(store, run_id)
    writer.start("bench", "hw", time.time(), {})
    recorder = RunRecorder(writer)
    api.activate(recorder)
    for case in range(1000):
        recorder.begin_case("test_bench", "bench", f"test_{case}", f"Case {case}")
        api.set_case_measurement(NumericMeasurement(
            value=1 + case * 1e-4, name=f"m{case}", unit="V", operation="gele",
            lower_limit=0.9, upper_limit=1.2))
        if case % 100 == 0:
            chart = Chart(title=f"sweep {case}", x_label="f, Hz", y_label="gain, dB")
            chart.add_series(list(range(1, 201)), [-(i / 50) ** 2 for i in range(200)])
            api.set_case_chart(chart)
        recorder.save_attempt("passed", None, final=True)
    recorder.finish("passed")
    api.activate(None)
    store.close()
    return run_id


def bench_run_page() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big-run.db"
        run_id = make_big_run(path)
        conn = sqlite3.connect(path)
        page = ""

        def write() -> None:
            nonlocal page
            page = run_page(conn, run_id)

        took = median_seconds(write, 5)
        conn.close()
    size = len(page.encode()) / 1000
    print(f"run page, 1000 cases + 10 charts: {took:.3f} s [goal <= 0.5 s: "
          f"{verdict(took, 0.5)}]; {size:.0f} kB [goal <= 300 kB: {verdict(size, 300)}]")


if __name__ == "__main__":
    bench_run_page()
    bench_production()
