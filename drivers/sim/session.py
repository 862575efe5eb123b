"""The simulated stand as one pytest process sees it (``--stand sim``).

What the instruments plugin needs of the simulators, and nothing of their insides:

- :meth:`SimSession.options` points a driver at its simulator;
- :meth:`SimSession.observer` gives each shared instrument an
  :class:`~drivers.sim.interleave.InterleaveChecker` (its lock reports every
  transaction, the simulated instrument every command it receives);
- :meth:`SimSession.finish` writes each checker's counts to
  ``<lock dir>/<instrument>.<worker>.json`` for the tests that read them
  (tests/drivers/test_hil.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.sim.interleave import InterleaveChecker
from drivers.sim.workbench import BENCH

if TYPE_CHECKING:
    from drivers.base import Driver


class SimSession:
    """Options, interleave checks and their counts, for one process's instruments."""

    def __init__(self, lock_dir: Path, worker: str | None, slot: str | None):
        self.lock_dir = lock_dir
        self.worker = worker
        self.slot = slot
        self.checkers: dict[str, InterleaveChecker] = {}

    @staticmethod
    def options(driver_cls: type[Driver]) -> dict[str, Any]:
        """Options that point ``driver_cls`` at its simulator."""
        return BENCH.sim_options(driver_cls)

    def observer(self, name: str, resource: str) -> InterleaveChecker:
        """The checker for shared instrument ``name``: its lock's observer, and the
        witness of every command its simulator receives (VISA instruments)."""
        checker = self.checkers[name] = InterleaveChecker(self.lock_dir / f"{name}.probe")
        if "::" in resource:  # a simulated VISA instrument: it witnesses commands
            BENCH.watch(resource, checker)
        return checker

    def finish(self) -> None:
        """Write each checker's counts (the last run's, one file per worker)."""
        for name, checker in self.checkers.items():
            stats = {"instrument": name, "worker": self.worker, "slot": self.slot,
                     "transactions": checker.transactions, "violations": checker.violations,
                     "commands": checker.commands, "unguarded": checker.unguarded}
            path = self.lock_dir / f"{name}.{self.worker or 'main'}.json"
            path.write_text(json.dumps(stats), encoding="utf-8")
