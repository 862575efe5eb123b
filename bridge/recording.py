"""Recording a run: its start and end, each case's outcome and its attempts.

Registered by the plugin (bridge.plugin) in a process that records: without xdist, or
in each xdist worker. A case's attempts run inside pytest's call phase (``item.runtest``
is wrapped), each attempt stored; the store failing stops the run as an error.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from bridge.beside_hardpy import real_hardpy_version
from bridge.hardpy_options import start_args
from bridge.markers import CASE, CaseInfo
from bridge.statuses import Status

if TYPE_CHECKING:
    from bridge.config import StandConfig
    from bridge.recorder import RunRecorder

RUN_ID = pytest.StashKey[str]()


def finished_run_id(config: pytest.Config) -> str | None:
    """The id of this session's run (set when the run starts)."""
    return config.stash.get(RUN_ID, None)


class BridgePlugin:
    """Hooks of an active run: case boundaries, outcomes, attempts, stops."""

    def __init__(self, stand: StandConfig, config: pytest.Config):
        self.stand = stand
        self.config = config
        self.recorder: RunRecorder | None = None
        self.stop_reason: str | None = None
        self.store_failure: str | None = None  # why the run store stopped taking the run
        self.session: pytest.Session | None = None
        self._restore_sigterm: Any = None
        self.start_args = start_args(config)
        chosen = config.getoption("hardpy_current_test_config")
        if chosen or "bridge.hardpy_config" in sys.modules:  # its default needs no import
            from bridge.hardpy_config import set_current_test_config

            set_current_test_config(chosen)
        from bridge.dependencies import Dependencies

        self.dependencies = Dependencies()
        config.pluginmanager.register(self.dependencies, "bridge-dependencies")
        self.post_run: list[Callable[[], object]] = []
        self.post_run_errors: list[str] = []
        self._outcome: dict[str, Any] = {}
        from bridge.errors import BridgeError
        from bridge.store import Store

        try:  # fail before the first case if the store cannot be written
            self.store = Store.open(stand.store_path)
        except BridgeError as exc:
            raise pytest.UsageError(str(exc)) from None

    # -- session ----------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        modules: dict[pytest.Module, dict[str, pytest.Mark]] = {}
        for item in items:
            item.stash[CASE] = CaseInfo(item, modules)
        self.dependencies.collected(
            (item.nodeid, info.module_id, info.case_id, info.dependencies)
            for item in items for info in (item.stash[CASE],))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Start the run once collection succeeded: a plan that cannot load leaves none."""
        import uuid

        from bridge import api
        from bridge.host import hardware_id, timezone_name
        from bridge.recorder import RunRecorder
        from bridge.store.writer import RunWriter

        if session.config.option.collectonly:
            return
        from bridge.errors import StoreError

        run_id = str(uuid.uuid4())
        writer = RunWriter(self.store, run_id)
        try:  # a full disk or a damaged store refuses the run before its first case
            self.store.check_room()
            writer.start(self.stand.test_plan_name, hardware_id(), time.time(),
                         {"timezone": timezone_name()})
        except StoreError as exc:
            raise pytest.UsageError(f"cannot start the run: {exc}") from None
        self.session = session
        from bridge.interrupts import sigterm_as_interrupt

        self._restore_sigterm = sigterm_as_interrupt()
        self.recorder = RunRecorder(writer)
        self.recorder.measurements_fail_case = self.stand.model.stand.measurements_fail_case
        self.config.stash[RUN_ID] = run_id
        api.activate(self.recorder, self.start_args)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.recorder is None:
            return
        from bridge import api
        from bridge.interrupts import restore_sigterm

        restore_sigterm(self._restore_sigterm)
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED and self.stop_reason is None
        status = Status.ERROR if self.store_failure else Status.STOPPED if interrupted \
            else self.recorder.status()
        if self.store_failure:
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        try:
            self.recorder.finish(status)
        except Exception as exc:  # noqa: BLE001 (the store took the cases, not the run's end)
            self._store_failed(f"the run could not be closed ({_message_of(exc)}); the "
                               "next run settles it as interrupted")
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        try:
            self._call_post_run_functions(session)
        finally:
            api.activate(None)

    def _call_post_run_functions(self, session: pytest.Session) -> None:
        """Call each one even if another fails; a failure fails the session, with its
        traceback in the summary (the run itself is already stored)."""
        import traceback

        for function in self.post_run:
            try:
                function()
            except Exception as exc:  # noqa: BLE001 (a plan's function: each one runs)
                name = getattr(function, "__qualname__", repr(function))
                self.post_run_errors.append(
                    f"post_run_functions: {name} failed: {type(exc).__name__}: {exc}\n"
                    + "".join(traceback.format_exception(exc)))
        if self.post_run_errors and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_unconfigure(self) -> None:
        self.store.close()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The run as stored (cases by status, failing measurements, its id), then notes."""
        if self.recorder is None:
            return
        import sqlite3

        from bridge.cloud.required import MISSING_HINTS, RUN_COLUMNS
        from bridge.errors import BridgeError
        from bridge.run_outline import run_outline
        from bridge.run_summary import summary_lines

        write = terminalreporter.write_line
        terminalreporter.section("stand-bridge")
        if self.store_failure:
            write(f"error: run {self.recorder.run_id} stopped: {self.store_failure}", red=True)
        else:
            try:
                for line, markup in summary_lines(
                        run_outline(self.store.conn, self.recorder.run_id)):
                    write(line, **markup)
            except (BridgeError, OSError, sqlite3.Error) as exc:  # never hide the outcome
                write(f"run {self.recorder.run_id}: cannot read it back: {exc}", red=True)
            write(f"stored in {self.store.path}")
        for name in self.stand.ignored_hardpy_keys:
            write(f"note: {name} of {self.stand.path} is HardPy's; stand-bridge ignores it")
        for notice in self.stand.notices:
            write(notice)
        for option in ("--hardpy-db-url", "--hardpy-clear-database"):
            if real_hardpy_version() is None and self.config.getoption(
                    option.lstrip("-").replace("-", "_")):
                write(f"note: {option} is HardPy's (CouchDB); stand-bridge ignores it")
        for error in self.post_run_errors:
            write(error, red=True)
        for column, label in RUN_COLUMNS.items():
            if not self.recorder.fields.get(column):
                write(f"warning: StandCloud needs the {label}: call {MISSING_HINTS[label]}"
                      " in the test plan", yellow=True)

    # -- cases ------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        info = item.stash[CASE]
        self._outcome = {"status": Status.PASSED, "message": None, "ran": True}
        if self.recorder is not None:  # the case begins; the call phase runs its attempts
            self.recorder.begin_case(info.module_id, info.module_name, info.case_id,
                                     info.case_name, group=info.group,
                                     module_group=info.module_group)
            if info.attempts > 1:  # one attempt: pytest's runtest as it is
                item.runtest = functools.partial(self._attempts, item, item.runtest)  # type: ignore[method-assign]
        try:
            return (yield)
        except (KeyboardInterrupt, pytest.exit.Exception) as exc:  # Ctrl-C, SIGTERM, exit()
            self._outcome.update(status=Status.STOPPED, message=_message_of(exc))
            raise
        finally:
            item.__dict__.pop("runtest", None)
            if self.recorder is not None:
                if self.recorder.in_case:  # stopped before its teardown: stored here
                    self._save_case()
                status = self._outcome["status"]
                if info.critical and status != Status.PASSED and not self.stop_reason:
                    self.stop_reason = (f"critical case {info.module_id}::{info.case_id} "
                                        f"{status}")

    def _save_case(self) -> bool:
        """Store the case's final attempt; a store that refuses it makes it an error."""
        outcome = self._outcome
        if self._save(outcome["status"], outcome["message"], final=True, ran=outcome["ran"]):
            return True
        outcome["status"] = Status.ERROR
        return False

    def _save(self, status: str, message: str | None, *, final: bool, ran: bool = True) -> bool:
        """Land an attempt; a store that cannot take it stops the run as an error
        (never a traceback, and never a run that looks passed without its cases)."""
        assert self.recorder is not None
        try:
            self.recorder.save_attempt(status, message, final=final, ran=ran)
            return True
        except Exception as exc:  # noqa: BLE001 (any failure to store ends the run as error)
            where = self.recorder.case_label()  # the case is still the running one
            self.recorder.drop_case()
            self._store_failed(f"{where} could not be stored: {_message_of(exc)}")
            return False

    def _store_failed(self, reason: str) -> None:
        if self.store_failure is None:
            self.store_failure = reason
            self.stop_reason = self.stop_reason or "the run store failed"
        if self.session is not None:
            self.session.shouldstop = f"stand-bridge: {reason}"

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.stop_reason:
            self._outcome["ran"] = False  # skipped by the plugin: no times, attempt 0 (HardPy)
            pytest.skip(f"run stopped: {self.stop_reason}")
        targets = item.stash[CASE].dependencies
        if targets and self.recorder is not None:
            reason = self.dependencies.skip_reason(targets, self.recorder.status_of)
            if reason:
                self._outcome["ran"] = False
                pytest.skip(reason)

    def _attempts(self, item: pytest.Item, runtest: Any) -> None:
        """Run the case up to ``attempt(n)`` times, each attempt stored."""
        recorder = self.recorder
        assert recorder is not None
        attempts = item.stash[CASE].attempts
        for attempt in range(1, attempts + 1):
            try:
                runtest()
                return
            except (Exception, pytest.fail.Exception) as exc:
                if attempt == attempts or not self._save(Status.FAILED, _message_of(exc),
                                                         final=False):
                    raise
            time.sleep(self.stand.model.stand.attempt_pause)
            recorder.restart_attempt_clock()  # the next attempt starts after the pause

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        state = report.outcome  # a string: cheaper than .skipped / .failed, once per phase
        if state != "passed":
            outcome = self._outcome
            if state == "skipped" and outcome["status"] == Status.PASSED:
                outcome["status"] = Status.SKIPPED
                outcome["message"] = _skip_reason(report)
            elif state == "failed" and outcome["status"] in (Status.PASSED, Status.SKIPPED):
                outcome["status"] = Status.FAILED if call.when == "call" else Status.ERROR
                outcome["message"] = (_message_of(call.excinfo.value) if call.excinfo
                                      else str(report.longrepr))
        if call.when == "teardown" and self.recorder is not None and self.recorder.in_case \
                and not self._save_case():
            report.outcome = "failed"  # pytest's count and exit code say so, not "passed"
            report.longrepr = f"stand-bridge: {self.store_failure}"
        return report


def _message_of(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 2000 else text[:1997] + "..."


def _skip_reason(report: pytest.TestReport) -> str | None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])  # "Skipped: <reason>", as HardPy stores it
    return None
