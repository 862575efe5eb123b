"""The run being recorded: what the test-plan API writes into, and when it lands.

One ``RunRecorder`` exists per pytest process while a test plan runs. API calls
change it in memory; the plugin tells it when a case starts and finishes, and each
finished case is handed to the store's writer in one transaction together with the
run-level fields that changed meanwhile.
"""

from __future__ import annotations

import time
from typing import Any

from bridge.errors import DuplicateParameterError, NotInRunError
from bridge.statuses import FAILING, Status
from bridge.store.writer import RunWriter

Measurement = Any  # NumericMeasurement | StringMeasurement (pydantic, imported lazily)


class CaseState:
    """The running case (one per attempt). A slotted class, not a dataclass: one is
    made per case, and a dataclass would compile its methods at every plan's start."""

    __slots__ = ("artifact", "attempt", "case_id", "chart", "group", "measurements",
                 "module_id", "msg", "name", "position", "start_time")

    def __init__(self, module_id: str, case_id: str, name: str, position: int, *,
                 attempt: int = 1, group: str = "main"):
        self.module_id = module_id
        self.case_id = case_id
        self.name = name
        self.position = position
        self.attempt = attempt
        self.start_time: float = time.time()
        self.group = group
        self.measurements: list[tuple] = []
        self.msg: dict[str, str] = {}
        self.chart: dict | None = None
        self.artifact: dict[str, Any] = {}


class ModuleState:
    """A module of the run: its row, and its cases' final statuses."""

    __slots__ = ("artifact", "changed", "failures", "group", "module_id", "name",
                 "position", "skips", "statuses")

    def __init__(self, module_id: str, name: str, position: int, group: str = "main"):
        self.module_id = module_id
        self.name = name
        self.position = position
        self.group = group
        self.artifact: dict[str, Any] = {}
        self.statuses: dict[str, str] = {}  # case id -> final status
        self.failures = 0
        self.skips = 0
        self.changed = True  # the module's row must be (re)written with the next case

    @property
    def status(self) -> str:
        """As the store's module rows say it: failed, then stopped, then all skipped."""
        if self.failures:
            return Status.FAILED
        if Status.STOPPED in self.statuses.values():
            return Status.STOPPED
        if self.statuses and self.skips == len(self.statuses):
            return Status.SKIPPED
        return Status.PASSED

    def settle(self, case_id: str, status: str) -> None:
        self.statuses[case_id] = status
        self.failures += status in FAILING
        self.skips += status == Status.SKIPPED

    def row(self) -> dict[str, Any]:
        return {"module_id": self.module_id, "position": self.position, "name": self.name,
                "group": self.group, "artifact": self.artifact}


class RunRecorder:
    """In-memory state of the running test plan, flushed case by case."""

    def __init__(self, writer: RunWriter):
        self.writer = writer
        self.run_id = writer.run_id
        self.fields: dict[str, Any] = {
            "stand_info": {}, "drivers": {}, "dut_info": {}, "dut_sub_units": [],
            "process_info": {}, "artifact": {},
        }
        self._dirty: set[str] = set()
        self._new_instruments: list[dict[str, Any]] = []
        self.instrument_count = 0
        self.modules: dict[str, ModuleState] = {}
        self.case: CaseState | None = None
        self.case_count = 0
        self.first_failure: str | None = None
        self.measurements_fail_case = False  # [stand] measurements_fail_case: the strict rule

    # -- run-level fields -------------------------------------------------------------

    def set_once(self, column: str, value: Any, label: str) -> None:
        """A field HardPy sets once per run: a second, different value is an error."""
        if self.fields.get(column) not in (None, value):
            raise DuplicateParameterError(label)
        self.fields[column] = value
        self._dirty.add(column)

    def merge(self, column: str, values: dict[str, Any]) -> None:
        self.fields[column].update(values)
        self._dirty.add(column)

    def append(self, column: str, value: Any) -> int:
        self.fields[column].append(value)
        self._dirty.add(column)
        return len(self.fields[column]) - 1

    def add_instrument(self, row: dict[str, Any]) -> int:
        position = self.instrument_count
        self._new_instruments.append({**row, "position": position})
        self.instrument_count += 1
        return position

    def _take_changes(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not self._dirty and not self._new_instruments:  # most cases change neither
            return {}, []
        changed = {column: self.fields[column] for column in self._dirty}
        instruments, self._new_instruments = self._new_instruments, []
        self._dirty = set()
        return changed, instruments

    def flush(self) -> None:
        """Write run-level changes now (e.g. before reading the report back)."""
        changed, instruments = self._take_changes()
        if changed or instruments:
            self.writer.save_case(None, None, [], changed, instruments)

    # -- cases ------------------------------------------------------------------------

    @property
    def in_case(self) -> bool:
        """Whether a case is running (begun, its final attempt not yet saved)."""
        return self.case is not None

    def case_label(self) -> str:
        """``module::case`` of the running case, for messages."""
        case = self.case
        return f"{case.module_id}::{case.case_id}" if case else "a case"

    def drop_case(self) -> None:
        """Forget the running case unsaved (the store refused it; the run stops)."""
        self.case = None

    def restart_attempt_clock(self) -> None:
        """The next attempt starts now (after the pause between attempts)."""
        self.current_case("attempt").start_time = time.time()

    def status_of(self, module_id: str, case_id: str | None) -> str | None:
        """The final status of a case (of a module: ``case_id`` None); None until it ran."""
        module = self.modules.get(module_id)
        if module is None or not module.statuses:
            return None
        return module.status if case_id is None else module.statuses.get(case_id)

    def set_module_artifact(self, data: dict[str, Any]) -> None:
        """Merge into the running case's module artifact, written with the next case."""
        module = self.modules[self.current_case("set_module_artifact").module_id]
        module.artifact.update(data)
        module.changed = True

    def current_report(self) -> dict[str, Any]:
        """The run as stored so far plus the running case (status ``run``), as a dict."""
        from bridge.report import build_report

        self.flush()
        return self.with_running_case(build_report(self.writer.store.conn, self.run_id))

    def current_case(self, function: str) -> CaseState:
        if self.case is None:
            raise NotInRunError(f"bridge.{function}() needs a running test case; it was "
                                "called outside of one (at collection or session end?)")
        return self.case

    def module(self, module_id: str, name: str, group: str = "main") -> ModuleState:
        module = self.modules.get(module_id)
        if module is None:
            module = ModuleState(module_id, name, len(self.modules), group)
            self.modules[module_id] = module
        return module

    def begin_case(self, module_id: str, module_name: str, case_id: str, name: str, *,
                   group: str = "main", module_group: str = "main") -> None:
        self.module(module_id, module_name, module_group)
        self.case = CaseState(module_id, case_id, name, self.case_count, group=group)
        self.case_count += 1

    def save_attempt(self, status: str, assertion_msg: str | None, *, final: bool,
                     ran: bool = True) -> None:
        """Land the current attempt of the current case; start the next unless final.
        A case the plugin skipped before it ran (``ran=False``) has no times and
        attempt 0, as in HardPy."""
        case = self.current_case("save_attempt")
        stopped: float | None = time.time()
        if not ran:
            case.start_time, stopped, case.attempt = None, None, 0  # type: ignore[assignment]
        module = self.modules[case.module_id]
        if final:
            module.settle(case.case_id, status)
            if status in FAILING and self.first_failure is None:
                self.first_failure = f"{case.module_id}::{case.case_id}"
                self.set_once("caused_dut_failure_id", self.first_failure,
                              "caused_dut_failure_id")
        row = {
            "module_id": case.module_id, "case_id": case.case_id, "attempt": case.attempt,
            "position": case.position, "name": case.name, "status": status,
            "start_time": case.start_time, "stop_time": stopped, "group": case.group,
            "assertion_msg": assertion_msg, "msg": case.msg, "chart": case.chart,
            "artifact": case.artifact,
        }
        changed, instruments = self._take_changes()
        module_row = module.row() if module.changed else None
        module.changed = False
        self.writer.save_case(module_row, row, case.measurements, changed, instruments)
        if final:
            self.case = None
        else:  # what the failed attempt recorded stays in its own row only
            if self.first_failure is None and self.fields.get("error_code") is not None:
                self.fields["error_code"] = None  # the retry may still pass (HardPy)
                self._dirty.add("error_code")
            self.case = CaseState(case.module_id, case.case_id, case.name, case.position,
                                  attempt=case.attempt + 1, group=case.group)

    def add_measurement(self, measurement: Measurement) -> int:
        case = self.current_case("set_case_measurement")
        position = len(case.measurements)
        case.measurements.append((position, *measurement.as_row()))
        return position

    def with_running_case(self, report: dict[str, Any]) -> dict[str, Any]:
        """``report`` (the store's view) with the case running now, status ``run``."""
        from bridge.report import measurement_entry

        case = self.case
        if case is None:
            return report
        module = self.modules[case.module_id]
        entry = report["modules"].setdefault(case.module_id, {
            "name": module.name, "status": "run", "start_time": int(case.start_time),
            "stop_time": None, "group": module.group, "cases": {},
            "artifact": module.artifact})
        entry["status"] = "run"
        entry["cases"][case.case_id] = {
            "name": case.name, "status": "run", "start_time": int(case.start_time),
            "stop_time": None, "group": case.group, "assertion_msg": None,
            "msg": dict(case.msg) or None,
            "measurements": [measurement_entry(row) for row in case.measurements],
            "chart": case.chart, "attempt": case.attempt, "artifact": dict(case.artifact)}
        return report

    def status(self) -> str:
        failed = any(m.failures for m in self.modules.values())
        return Status.FAILED if failed else Status.PASSED

    def finish(self, status: str) -> None:
        changed, instruments = self._take_changes()
        self.writer.finish(status, time.time(), changed, instruments)


def check_json(kind: str, data: dict[str, Any]) -> None:
    """Refuse, at the call, a value that the report (JSON) could not carry."""
    from bridge.values import check_json as check_value

    if not isinstance(data, dict):
        raise TypeError(f"{kind} must be a dict, got {type(data).__name__}")
    check_value(kind, data)


def flat_info(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Info values are flat in StandCloud's format: str, int, float or None (datetimes
    become ISO 8601 text); anything else is refused, naming the key."""
    from bridge.values import iso_dates

    data = iso_dates(data)
    check_json(kind, data)
    for key, value in data.items():
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, str | int | float)):
            raise TypeError(f"{kind}[{key!r}] must be str, int, float, datetime or None "
                            f"(StandCloud's format), got {type(value).__name__}")
    return data
