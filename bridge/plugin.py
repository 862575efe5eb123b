"""The pytest plugin: records a test plan's run into the store.

It is active only when a ``hardpy.toml`` sits next to the tests (or the user passes
``--bridge`` / HardPy's ``--hardpy-pt``); otherwise it adds its options and nothing
else, so unrelated pytest runs neither change nor pay for our imports. Where real
HardPy is installed too, HardPy runs its plans and we step aside (see beside_hardpy).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bridge.beside_hardpy import (
    HARDPY_DEFAULT_SC_ADDRESS,
    SteppedAside,
    real_hardpy_version,
    stepping_aside_note,
    we_record,
)
from bridge.markers import MARKERS, CaseInfo

if TYPE_CHECKING:
    from bridge.config import StandConfig
    from bridge.recorder import RunRecorder

RUN_ID = pytest.StashKey[str]()
CASE = pytest.StashKey["CaseInfo"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    with_hardpy = real_hardpy_version() is not None  # then HardPy owns its options
    group = parser.getgroup("bridge", "stand-bridge (test stand recording)")
    group.addoption("--bridge", action="store_true", default=False,
                    help="record this run even without a hardpy.toml next to the tests"
                         " (or where real HardPy is installed)")
    if not with_hardpy:
        group.addoption("--hardpy-pt", action="store_true", dest="bridge",
                        help="HardPy's switch; same as --bridge")
    group.addoption("--bridge-config", metavar="FILE", default=None,
                    help="the stand configuration file (default: hardpy.toml next to tests)")
    group.addoption("--stand", choices=("real", "sim"), default=None,
                    help="run on the real instruments or on their simulators "
                         "(default: [stand] mode of hardpy.toml, else real)")
    if with_hardpy:
        return
    # HardPy's own options, so that its pytest.ini addopts run here unchanged.
    hardpy = parser.getgroup("hardpy", "HardPy's options, as stand-bridge reads them")
    hardpy.addoption("--hardpy-tests-name", metavar="NAME", default=None,
                     help="the test plan's name (default: tests_name of hardpy.toml)")
    hardpy.addoption("--hardpy-start-arg", metavar="KEY=VALUE", action="append", default=[],
                     help="a start argument for hardpy.get_start_args() (repeatable)")
    hardpy.addoption("--sc-address", metavar="ADDRESS", default=None,
                     help="StandCloud address (default: [stand_cloud] address)")
    hardpy.addoption("--sc-connection-only", action="store_true", default=False,
                     help="refuse to start when StandCloud is unreachable")
    hardpy.addoption("--hardpy-db-url", metavar="URL", default=None,
                     help="HardPy's CouchDB; ignored: runs go to the SQLite store")
    hardpy.addoption("--hardpy-clear-database", action="store_true", default=False,
                     help="ignored: the store keeps every run")
    hardpy.addoption("--hardpy-config-file", metavar="DIR", default=None,
                     help="the folder holding hardpy.toml (HardPy's; as --bridge-config)")
    hardpy.addoption("--hardpy-current-test-config", metavar="NAME", default=None,
                     help="the test configuration get_hardpy_config() names as current")
    hardpy.addoption("--sc-autosync", action="store_true", default=False,
                     help="upload each finished run to StandCloud (as [stand_cloud] autosync)")
    for option in ("--hardpy-sp", "--hardpy-sh"):  # deprecated and unused in HardPy too
        hardpy.addoption(option, metavar="VALUE", default=None, help="ignored (HardPy's)")


def _find_config_file(config: pytest.Config, given: str | None, args: list[str]) -> Path | None:
    if given:
        return Path(given)
    hardpy_folder = getattr(config.known_args_namespace, "hardpy_config_file", None)
    if hardpy_folder:  # HardPy's option names the folder (a file is taken as it is)
        path = Path(hardpy_folder)
        return path / "hardpy.toml" if path.is_dir() else path
    folders = []
    for arg in args:
        path = Path(str(arg).split("::", 1)[0])
        if not path.is_absolute():
            path = config.invocation_params.dir / path
        folders.append(path if path.is_dir() else path.parent)
    folders += [config.invocation_params.dir, config.rootpath]
    for folder in folders:
        candidate = folder / "hardpy.toml"
        if candidate.is_file():
            return candidate
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    """A HardPy plan's conftest imports hardpy: the alias must exist before it loads."""
    known = early_config.known_args_namespace
    paths = known.file_or_dir or early_config.getini("testpaths")  # as config.args will be
    explicit = known.bridge or known.bridge_config is not None
    if we_record(explicit, _find_config_file(early_config, known.bridge_config, paths)):
        _alias_hardpy()
        from bridge.extras import asks_for_xdist, xdist_missing_message

        loaded = early_config.pluginmanager.has_plugin("xdist")
        if asks_for_xdist(args) and (message := xdist_missing_message(loaded)):
            raise pytest.UsageError(message)  # else: pytest's "unrecognized arguments: -n"


def pytest_configure(config: pytest.Config) -> None:
    path = _find_config_file(config, config.getoption("bridge_config"), config.args)
    explicit = config.getoption("bridge") or config.getoption("bridge_config") is not None
    if not we_record(explicit, path):
        note = stepping_aside_note(path) if path is not None else None
        if note and not hasattr(config, "workerinput"):
            config.pluginmanager.register(SteppedAside(note), "bridge-stepped-aside")
        return
    from bridge.config import load_config, use
    from bridge.errors import BridgeError

    try:
        stand = _with_command_line(load_config(path), config)
    except BridgeError as exc:
        raise pytest.UsageError(str(exc)) from None
    from bridge.extras import simulated_stand_missing_message

    mode = config.getoption("stand") or stand.model.stand.mode
    if stand.model.instruments and (message := simulated_stand_missing_message(mode)):
        raise pytest.UsageError(message)
    use(stand)
    for text in MARKERS.values():
        config.addinivalue_line("markers", text)
    _alias_hardpy()
    from bridge import operator

    operator.attach(config)  # dialogs release pytest's capturing while the operator answers
    is_xdist_controller = (not hasattr(config, "workerinput")
                           and config.getoption("numprocesses", None) not in (None, 0))
    if is_xdist_controller:
        if stand.model.slots and config.option.dist in ("no", "load"):
            # A stand with DUT slots: every worker runs the whole plan on its own slot.
            config.option.dist = "each"
        config.pluginmanager.register(ControllerNote(stand), "bridge-controller")
        return
    plugin = BridgePlugin(stand, config)
    config.pluginmanager.register(plugin, "bridge-recorder")
    from bridge import fixtures

    config.pluginmanager.register(fixtures, "bridge-fixtures")
    if stand.model.instruments:
        from bridge.instruments import InstrumentsPlugin

        try:
            instruments = InstrumentsPlugin(stand, config, mode)
        except BridgeError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(instruments, "bridge-instruments")
    cloud = stand.model.stand_cloud
    if cloud.address or cloud.api_key:
        from bridge.cloud.plugin import CloudPlugin

        config.pluginmanager.register(CloudPlugin(stand, config), "bridge-cloud")


def pytest_unconfigure(config: pytest.Config) -> None:
    stand_config = sys.modules.get("bridge.config")  # imported only if the plugin was active
    if stand_config is not None:
        stand_config.use(None)


def _with_command_line(stand: StandConfig, config: pytest.Config) -> StandConfig:
    """The configuration with HardPy's command-line options applied over the file's."""
    from bridge.config import StandConfig

    model = stand.model
    name = config.getoption("hardpy_tests_name")
    if name:
        model = model.model_copy(update={"tests_name": name})
    cloud: dict[str, Any] = {}
    address = config.getoption("sc_address")
    if address and not (real_hardpy_version() and address == HARDPY_DEFAULT_SC_ADDRESS):
        cloud["address"] = address  # (HardPy's option defaults to its public service)
    if config.getoption("sc_connection_only"):
        cloud["connection_only"] = True
    if config.getoption("sc_autosync"):
        cloud["autosync"] = True
    if cloud:
        model = model.model_copy(update={"stand_cloud": model.stand_cloud.model_copy(update=cloud)})
    return StandConfig(model, stand.path, stand.moved_keys)


def _start_args(config: pytest.Config) -> dict[str, str]:
    args = {}
    for pair in config.getoption("hardpy_start_arg"):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise pytest.UsageError(f"--hardpy-start-arg takes KEY=VALUE, got {pair!r}")
        args[key.strip()] = value
    return args


def _alias_hardpy() -> None:
    """Let ``import hardpy`` give our API: where HardPy is installed too, only because
    the user asked us to record (we_record), so the plan's calls must reach us."""
    if sys.modules.get("hardpy") is sys.modules["bridge"]:
        return
    if real_hardpy_version() is not None or importlib.util.find_spec("hardpy") is None:
        import bridge

        sys.modules["hardpy"] = bridge


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
        self.start_args = _start_args(config)
        from bridge.dependencies import Dependencies
        from bridge.hardpy_config import set_current_test_config

        set_current_test_config(config.getoption("hardpy_current_test_config"))
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
        for item in items:
            item.stash[CASE] = CaseInfo(item)
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
        if self.store_failure:
            status = "error"
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        else:
            status = "stopped" if interrupted else self.recorder.status()
        try:
            self.recorder.finish(status)
        # a boundary: the store took the cases but not the run's end; whatever the
        # reason, the session reports it and ends, never with a traceback
        except Exception as exc:  # noqa: BLE001
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
            # user code, and each function must run even if another fails
            except Exception as exc:  # noqa: BLE001
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
        from bridge.run_summary import summary_lines

        write = terminalreporter.write_line
        terminalreporter.section("stand-bridge")
        if self.store_failure:
            write(f"error: run {self.recorder.run_id} stopped: {self.store_failure}", red=True)
        else:
            try:
                for line, markup in summary_lines(self.store.report(self.recorder.run_id)):
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
        if self.recorder is not None:
            self.recorder.begin_case(info.module_id, info.module_name, info.case_id,
                                     info.case_name, group=info.group,
                                     module_group=info.module_group)
        self._outcome = {"status": "passed", "message": None, "ran": True}
        if self.recorder is not None:  # the call phase runs the attempts
            item.runtest = functools.partial(self._attempts, item, item.runtest)  # type: ignore[method-assign]
        try:
            return (yield)
        except (KeyboardInterrupt, pytest.exit.Exception) as exc:
            # Ctrl-C, SIGTERM or pytest.exit() inside the case: it did not pass.
            self._outcome.update(status="stopped", message=_message_of(exc))
            raise
        finally:
            item.__dict__.pop("runtest", None)
            if self.recorder is not None and self.recorder.case is not None:
                status = self._outcome["status"]
                if not self._save(status, self._outcome["message"], final=True,
                                  ran=self._outcome["ran"]):
                    status = "error"
                if info.critical and status != "passed" and not self.stop_reason:
                    self.stop_reason = (f"critical case {info.module_id}::{info.case_id} "
                                        f"{status}")

    def _save(self, status: str, message: str | None, *, final: bool, ran: bool = True) -> bool:
        """Land an attempt; a store that cannot take it stops the run as an error
        (never a traceback, and never a run that looks passed without its cases)."""
        assert self.recorder is not None
        case = self.recorder.case
        try:
            self.recorder.save_attempt(status, message, final=final, ran=ran)
            return True
        # a boundary: whatever the store raised stops the run as an error, not a traceback
        except Exception as exc:  # noqa: BLE001
            self.recorder.case = None
            where = f"{case.module_id}::{case.case_id}" if case else "a case"
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
            reason = self.dependencies.skip_reason(targets, self.recorder.modules)
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
                if attempt == attempts or not self._save("failed", _message_of(exc),
                                                         final=False):
                    raise
            time.sleep(self.stand.model.stand.attempt_pause)
            recorder.current_case("attempt").start_time = time.time()  # starts after the pause

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        outcome = self._outcome
        if report.skipped and outcome["status"] == "passed":
            outcome["status"] = "skipped"
            outcome["message"] = _skip_reason(report)
        elif report.failed:
            status = "failed" if call.when == "call" else "error"
            if outcome["status"] in ("passed", "skipped"):
                outcome["status"] = status
                outcome["message"] = (_message_of(call.excinfo.value) if call.excinfo
                                      else str(report.longrepr))
        return report


def _message_of(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 2000 else text[:1997] + "..."


def _skip_reason(report: pytest.TestReport) -> str | None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])  # "Skipped: <reason>", as HardPy stores it
    return None


class ControllerNote:
    """Under pytest-xdist the controller records nothing: each worker stores its run."""

    def __init__(self, stand: StandConfig):
        self.stand = stand

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("stand-bridge")
        terminalreporter.write_line(f"each worker stored its own run in {self.stand.store_path}")
