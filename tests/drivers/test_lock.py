"""Shared-instrument lock and the interleaving checker, across real processes."""

from __future__ import annotations

import os
import textwrap
import threading
from pathlib import Path

from plan_support import own_python

from drivers.lock import SharedLock
from drivers.sim.interleave import InterleaveChecker
from drivers.sim.workbench import BENCH

WORKER = textwrap.dedent("""
    import os, sys, time
    from drivers.lock import SharedLock
    from drivers.sim.interleave import InterleaveChecker
    folder, use_lock, n = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
    checker = InterleaveChecker(os.path.join(folder, "psu.probe"))
    lock = SharedLock(os.path.join(folder, "psu.lock"), checker)
    for _ in range(n):
        if use_lock:
            with lock:
                sum(range(2000))  # a transaction takes a little while
        else:
            checker.begin(); sum(range(2000)); checker.end()
    print(checker.transactions, checker.violations)
""")


def run_workers(folder, use_lock: bool, processes: int = 4, n: int = 300) -> list[str]:
    """Processes of their own, forked at once from a warm interpreter (plan_support)."""
    procs = [own_python().start(["-c", WORKER, str(folder), "1" if use_lock else "0", str(n)],
                                cwd=Path.cwd(), env=dict(os.environ))
             for _ in range(processes)]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * processes, outputs
    return [out.strip() for out, _ in outputs]


def test_with_the_lock_no_two_processes_are_ever_inside_one_transaction(tmp_path):
    outputs = run_workers(tmp_path, use_lock=True)
    assert outputs == ["300 0"] * 4
    assert InterleaveChecker(tmp_path / "psu.probe").total_violations() == 0


def test_the_checker_catches_overlapping_transactions(tmp_path):
    first = InterleaveChecker(tmp_path / "dmm.probe")
    second = InterleaveChecker(tmp_path / "dmm.probe")
    first.begin()
    second.begin()  # another "process" inside a transaction on the same instrument
    second.end()
    first.end()
    assert (first.violations, second.violations) == (0, 1)
    assert first.total_violations() == 1


def test_lock_is_reentrant_and_observes_only_the_outer_transaction(tmp_path):
    checker = InterleaveChecker(tmp_path / "x.probe")
    lock = SharedLock(tmp_path / "x.lock", checker)
    with lock, lock:
        pass
    assert checker.transactions == 1


def test_lock_serialises_threads_with_their_own_lock_objects(tmp_path):
    holder, waiter = SharedLock(tmp_path / "y.lock"), SharedLock(tmp_path / "y.lock")
    entered = threading.Event()

    def wait_for_it():
        with waiter:
            entered.set()

    with holder:
        thread = threading.Thread(target=wait_for_it)
        thread.start()
        assert not entered.wait(0.05)
    thread.join(5)
    assert entered.is_set()


def test_the_simulator_counts_commands_that_bypass_the_lock(tmp_path, bench, sim_backend):
    from drivers.psu import ScpiPowerSupply

    checker = InterleaveChecker(tmp_path / "psu.probe")
    bench.watch(ScpiPowerSupply.SIM_RESOURCE, checker)
    lock = SharedLock(tmp_path / "psu.lock", checker)
    with ScpiPowerSupply.open(ScpiPowerSupply.SIM_RESOURCE, lock=lock,
                              **BENCH.sim_options(ScpiPowerSupply)) as psu:
        psu.voltage = 5.0  # VOLT + SYST:ERR?, one transaction
        assert (checker.commands, checker.unguarded) == (3, 0)  # with *IDN? at open
        psu.transport.write("OUTP 1,(@1)")  # around the driver's lock
        assert checker.unguarded == 1
    assert checker.total_violations() == 1
