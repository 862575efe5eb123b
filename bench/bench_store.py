"""Benchmark (b) of the core issue: one run storing 100,000 measurements.

Our path (test-plan API → recorder → writer: 1000 cases of 100 measurements, one
transaction per case) against a raw ``sqlite3.executemany`` of the same rows into an
identical measurements table in one transaction, both in this process, on fresh
files. Goal: <= 2x the time and <= 200 MB peak memory (tracemalloc, separate pass).
Building the pydantic measurement objects is test-plan code and timed apart.
"""

from __future__ import annotations

import resource
import sqlite3
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

from _timing import verdict

from bridge import api
from bridge.models import NumericMeasurement
from bridge.recorder import RunRecorder
from bridge.store import Store
from bridge.store.schema import SCHEMA_V1
from bridge.store.writer import RunWriter

CASES, PER_CASE = 1000, 100


def build_measurements() -> list[NumericMeasurement]:
    return [
        NumericMeasurement(
            value=i * 0.001,
            name=f"m{i % PER_CASE}",
            unit="V",
            operation="gele",
            lower_limit=0,
            upper_limit=1000,
        )
        for i in range(CASES * PER_CASE)
    ]


def store_through_api(folder: Path, measurements: list[NumericMeasurement]) -> float:
    store = Store.open(folder / f"{uuid.uuid4()}.db")
    writer = RunWriter(store, str(uuid.uuid4()))
    started = time.perf_counter()
    writer.start("bench", "hw", time.time(), {})
    recorder = RunRecorder(writer)
    api.activate(recorder)
    for case in range(CASES):
        recorder.begin_case("test_bench", "bench", f"test_{case}", f"test_{case}")
        for measurement in measurements[case * PER_CASE : (case + 1) * PER_CASE]:
            api.set_case_measurement(measurement)
        recorder.save_attempt("passed", None, final=True)
    recorder.finish("passed")
    api.activate(None)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def case_commits(folder: Path, synchronous: str, cases: int = 300) -> float:
    """Seconds per case commit (10 measurements each) with PRAGMA synchronous as given."""
    from bridge.store import db

    saved, db.SYNCHRONOUS = db.SYNCHRONOUS, synchronous
    try:
        store = Store.open(folder / f"{uuid.uuid4()}.db")
    finally:
        db.SYNCHRONOUS = saved
    writer = RunWriter(store, str(uuid.uuid4()))
    writer.start("bench", "hw", time.time(), {})
    recorder = RunRecorder(writer)
    rows = [NumericMeasurement(value=i, name=f"m{i}", unit="V") for i in range(10)]
    started = time.perf_counter()
    for case in range(cases):
        recorder.begin_case("test_bench", "bench", f"test_{case}", f"test_{case}")
        for measurement in rows:
            recorder.add_measurement(measurement, fail_case=True)
        recorder.save_attempt("passed", None, final=True)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed / cases


def durability_cost(folder: Path) -> None:
    """FULL syncs the WAL at every commit (a finished case survives a power loss);
    NORMAL syncs only at checkpoints (the last cases before a power loss may be lost,
    the file stays consistent). Same script, same disk, so the ratio is comparable."""
    from bridge.store import db

    normal = min(case_commits(folder, "NORMAL") for _ in range(3))
    full = min(case_commits(folder, "FULL") for _ in range(3))
    print(f"(durability) per case commit: synchronous=NORMAL {normal * 1e3:.2f} ms, "
          f"FULL {full * 1e3:.2f} ms, ratio FULL/NORMAL {full / normal:.1f}x "
          f"(the store uses {db.SYNCHRONOUS}: see README, Where results go)")


def raw_executemany(folder: Path, measurements: list[NumericMeasurement]) -> float:
    conn = sqlite3.connect(folder / f"{uuid.uuid4()}.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    table = SCHEMA_V1.split("CREATE TABLE measurements", 1)[1].split(";", 1)[0]
    table = table.replace("REFERENCES cases (id) ON DELETE CASCADE", "")
    conn.execute("CREATE TABLE measurements" + table)
    rows = [
        (
            i // PER_CASE,
            i % PER_CASE,
            "numeric",
            m.name,
            m.value,
            m.unit,
            "gele",
            None,
            m.lower_limit,
            m.upper_limit,
            None,
            m.result,
        )
        for i, m in enumerate(measurements)
    ]
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO measurements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    started = time.perf_counter()
    measurements = build_measurements()
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:  # a real disk
        folder = Path(tmp)
        durability_cost(folder)
        raw = min(raw_executemany(folder, measurements) for _ in range(3))
        ours = min(store_through_api(folder, measurements) for _ in range(3))
        tracemalloc.start()
        store_through_api(folder, measurements)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    ratio = ours / raw
    print(
        f"(b) {CASES * PER_CASE:,} measurements: raw executemany {raw:.3f} s, "
        f"stand-bridge {ours:.3f} s ({CASES} commits), ratio {ratio:.2f}x "
        f"[goal <= 2x: {verdict(ratio, 2.0)}]"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"    peak memory allocated while storing {peak:.1f} MB [goal <= 200 MB: "
        f"{verdict(peak, 200)}]; whole process peak RSS {rss:.0f} MB, mostly the "
        f"100,000 measurement objects, which took {built:.2f} s to build (test-plan "
        "code, not counted)"
    )


if __name__ == "__main__":
    main()
