"""The pytest plugin: records a test plan's run into the store.

It is active only when a ``hardpy.toml`` sits next to the tests (or the user passes
``--bridge`` / HardPy's ``--hardpy-pt``); otherwise it adds its options and nothing
else, so unrelated pytest runs neither change nor pay for our imports.
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

if TYPE_CHECKING:
    from bridge.config import StandConfig
    from bridge.recorder import RunRecorder

MARKERS = {
    "case_name": "case_name(name): human-readable name of the test case",
    "module_name": "module_name(name): human-readable name of the test module",
    "attempt": "attempt(n): re-run a failing case up to n times, recording each attempt",
    "critical": "critical: a failure or skip of this case (or module) stops the run",
    "dependency": "dependency('module::case'): skip unless that case (or module) passed",
}
RUN_ID = pytest.StashKey[str]()
CASE = pytest.StashKey["CaseInfo"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bridge", "stand-bridge (test stand recording)")
    group.addoption("--bridge", action="store_true", default=False,
                    help="record this run even without a hardpy.toml next to the tests")
    group.addoption("--hardpy-pt", action="store_true", dest="bridge",
                    help="HardPy's switch; same as --bridge")
    group.addoption("--bridge-config", metavar="FILE", default=None,
                    help="the stand configuration file (default: hardpy.toml next to tests)")
    group.addoption("--stand", choices=("real", "sim"), default=None,
                    help="run on the real instruments or on their simulators "
                         "(default: [stand] mode of hardpy.toml, else real)")
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


def _find_config_file(config: pytest.Config, given: str | None, args: list[str]) -> Path | None:
    if given:
        return Path(given)
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
    if known.bridge or _find_config_file(early_config, known.bridge_config, paths):
        _alias_hardpy()
        from bridge.extras import asks_for_xdist, xdist_missing_message

        loaded = early_config.pluginmanager.has_plugin("xdist")
        if asks_for_xdist(args) and (message := xdist_missing_message(loaded)):
            raise pytest.UsageError(message)  # else: pytest's "unrecognized arguments: -n"


def pytest_configure(config: pytest.Config) -> None:
    path = _find_config_file(config, config.getoption("bridge_config"), config.args)
    if path is None and not config.getoption("bridge"):
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
    if config.getoption("sc_address"):
        cloud["address"] = config.getoption("sc_address")
    if config.getoption("sc_connection_only"):
        cloud["connection_only"] = True
    if cloud:
        model = model.model_copy(update={"stand_cloud": model.stand_cloud.model_copy(update=cloud)})
    return StandConfig(model, stand.path)


def _start_args(config: pytest.Config) -> dict[str, str]:
    args = {}
    for pair in config.getoption("hardpy_start_arg"):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise pytest.UsageError(f"--hardpy-start-arg takes KEY=VALUE, got {pair!r}")
        args[key.strip()] = value
    return args


def _alias_hardpy() -> None:
    """Let ``import hardpy`` give our API when HardPy itself is not installed."""
    if "hardpy" not in sys.modules and importlib.util.find_spec("hardpy") is None:
        import bridge

        sys.modules["hardpy"] = bridge


def finished_run_id(config: pytest.Config) -> str | None:
    """The id of this session's run (set when the run starts)."""
    return config.stash.get(RUN_ID, None)


class CaseInfo:
    """What the markers and the item say about one case, read once at collection."""

    __slots__ = ("attempts", "case_id", "case_name", "critical", "dependency",
                 "module_id", "module_name")

    def __init__(self, item: pytest.Item):
        marks: dict[str, pytest.Mark] = {}
        for mark in item.iter_markers():  # closest first
            if mark.name in MARKERS:
                marks.setdefault(mark.name, mark)
        where = item.nodeid
        self.module_id = item.path.stem
        self.case_id = item.name
        self.module_name = _text(where, marks.get("module_name")) or self.module_id
        self.case_name = _text(where, marks.get("case_name")) or self.case_id
        self.attempts = 1
        mark = marks.get("attempt")
        if mark is not None:
            value = mark.args[0] if mark.args else mark.kwargs.get("n")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise pytest.UsageError(f"{where}: @pytest.mark.attempt takes a whole "
                                        f"number of attempts >= 1, got {value!r}")
            self.attempts = value
        mark = marks.get("critical")
        if mark is not None and (mark.args or mark.kwargs):
            raise pytest.UsageError(f"{where}: @pytest.mark.critical takes no arguments")
        self.critical = mark is not None
        self.dependency: tuple[str, str | None] | None = None
        mark = marks.get("dependency")
        if mark is not None:
            target = mark.args[0] if len(mark.args) == 1 else None
            if not isinstance(target, str) or not target.strip(":") or target.count("::") > 1:
                raise pytest.UsageError(f"{where}: @pytest.mark.dependency takes one "
                                        f"'module::case' or 'module' string, got {mark.args!r}")
            module_id, _, case_id = target.partition("::")
            self.dependency = (module_id, case_id or None)


def _text(where: str, mark: pytest.Mark | None) -> str | None:
    if mark is None:
        return None
    if len(mark.args) != 1 or not isinstance(mark.args[0], str) or not mark.args[0]:
        raise pytest.UsageError(f"{where}: @pytest.mark.{mark.name} takes one non-empty "
                                f"string, got {mark.args!r}")
    return mark.args[0]


class BridgePlugin:
    """Hooks of an active run: case boundaries, outcomes, attempts, stops."""

    def __init__(self, stand: StandConfig, config: pytest.Config):
        self.stand = stand
        self.config = config
        self.recorder: RunRecorder | None = None
        self.stop_reason: str | None = None
        self.start_args = _start_args(config)
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

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Start the run once collection succeeded: a plan that cannot load leaves none."""
        import uuid

        from bridge import api
        from bridge.recorder import RunRecorder
        from bridge.stand import hardware_id, timezone_name
        from bridge.store.writer import RunWriter

        if session.config.option.collectonly:
            return
        run_id = str(uuid.uuid4())
        writer = RunWriter(self.store, run_id)
        writer.start(self.stand.test_plan_name, hardware_id(), time.time(),
                     {"timezone": timezone_name()})
        self.recorder = RunRecorder(writer)
        self.config.stash[RUN_ID] = run_id
        api.activate(self.recorder, self.start_args)

    @pytest.fixture(scope="session")
    def post_run_functions(self) -> list[Callable[[], object]]:
        """HardPy's list of functions to call once the run is finished and stored
        (a conftest appends, e.g., its own upload); get_current_report() works there."""
        return self.post_run

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.recorder is None:
            return
        from bridge import api

        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED and self.stop_reason is None
        self.recorder.finish("stopped" if interrupted else self.recorder.status())
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
            except Exception as exc:
                name = getattr(function, "__qualname__", repr(function))
                self.post_run_errors.append(
                    f"post_run_functions: {name} failed: {type(exc).__name__}: {exc}\n"
                    + "".join(traceback.format_exception(exc)))
        if self.post_run_errors and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_unconfigure(self) -> None:
        self.store.close()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.recorder is None:
            return
        write = terminalreporter.write_line
        terminalreporter.section("stand-bridge")
        write(f"run {self.recorder.run_id} stored in {self.store.path}")
        for name in self.stand.ignored_hardpy_keys:
            write(f"note: {name} of {self.stand.path} is HardPy's; stand-bridge ignores it")
        for option in ("--hardpy-db-url", "--hardpy-clear-database"):
            if self.config.getoption(option.lstrip("-").replace("-", "_")):
                write(f"note: {option} is HardPy's (CouchDB); stand-bridge ignores it")
        for error in self.post_run_errors:
            write(error, red=True)
        fields = self.recorder.fields
        for column, function in (("dut_part_number", "set_dut_part_number"),
                                 ("stand_name", "set_stand_name")):
            if not fields.get(column):
                write(f"warning: StandCloud needs the {column.replace('_', ' ')}: call "
                      f"bridge.{function}() in the test plan", yellow=True)

    # -- cases ------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        info = item.stash[CASE]
        if self.recorder is not None:
            self.recorder.begin_case(info.module_id, info.module_name, info.case_id,
                                     info.case_name)
        self._outcome = {"status": "passed", "message": None}
        if self.recorder is not None:  # the call phase runs the attempts
            item.runtest = functools.partial(self._attempts, item, item.runtest)  # type: ignore[method-assign]
        try:
            return (yield)
        finally:
            item.__dict__.pop("runtest", None)
            if self.recorder is not None and self.recorder.case is not None:
                status = self._outcome["status"]
                self.recorder.save_attempt(status, self._outcome["message"], final=True)
                if info.critical and status != "passed" and not self.stop_reason:
                    self.stop_reason = (f"critical case {info.module_id}::{info.case_id} "
                                        f"{status}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.stop_reason:
            pytest.skip(f"run stopped: {self.stop_reason}")
        dependency = item.stash[CASE].dependency
        if dependency and self.recorder is not None:
            module_id, case_id = dependency
            module = self.recorder.modules.get(module_id)
            if module is None:
                status = None
            elif case_id is None:
                status = module.status if module.statuses else None
            else:
                status = module.statuses.get(case_id)
            if status != "passed":
                target = f"{module_id}::{case_id}" if case_id else module_id
                pytest.skip(f"dependency {target} did not pass ({status or 'not run'})")

    def _attempts(self, item: pytest.Item, runtest: Any) -> None:
        """Run the case up to ``attempt(n)`` times; failing measurements fail it."""
        from bridge.errors import MeasurementFailed

        recorder = self.recorder
        assert recorder is not None
        attempts = item.stash[CASE].attempts
        for attempt in range(1, attempts + 1):
            try:
                runtest()
                failed = recorder.current_case("attempt").failed_measurements
                if failed:
                    raise MeasurementFailed("measurement failed: " + "; ".join(failed))
                return
            except (Exception, pytest.fail.Exception) as exc:
                if attempt == attempts:
                    raise
                recorder.save_attempt("failed", _message_of(exc), final=False)
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
        return str(longrepr[2]).removeprefix("Skipped: ")
    return None


class ControllerNote:
    """Under pytest-xdist the controller records nothing: each worker stores its run."""

    def __init__(self, stand: StandConfig):
        self.stand = stand

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("stand-bridge")
        terminalreporter.write_line(f"each worker stored its own run in {self.stand.store_path}")
