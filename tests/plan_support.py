"""A test-plan folder run by pytest (in this process, or in its own), against a real store."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from forkserver import Captured, Child, ForkServer, Piped, shared

# anyio (an httpx dependency) registers a pytest plugin whose imports cost each pytest
# process about 0.5 s, half of a small plan's run; no plan here uses it.
PYTEST_ADDOPTS = "-p no:anyio"

# What a pytest or bridge process of ours imports before our code: imported once per
# worker by a fork server (tests/forkserver.py), ~0.4 of each process's ~0.8 s CPU.
# Never a pytest plugin's package (anyio, xdist, platformdirs): pytest imports those
# itself, to rewrite their asserts. Never bridge, drivers, hil or hardpy: the code
# under test is imported by the child, as on a stand.
WARM = ("pytest", "_pytest.faulthandler", "_pytest.helpconfig", "_pytest.junitxml",
        "_pytest.pastebin", "_pytest.setuponly", "_pytest.setupplan", "_pytest.skipping",
        "_pytest.threadexception", "_pytest.unittest", "_pytest.unraisableexception",
        "_pytest.warnings", "execnet", "pydantic.main", "pydantic.json_schema", "pyvisa",
        "pyvisa_sim", "serial", "httpx", "rich", "yaml", "sqlite3", "tzlocal", "psutil",
        "tomllib", "xml.etree.ElementTree", "uuid", "zoneinfo")
PYTEST = ("-m", "pytest", "-q", "-p", "no:cacheprovider")  # as a plan's process is run
BRIDGE = ("-m", "bridge.cli.main")  # as a shell runs `bridge`


def own_python() -> ForkServer:
    """This venv's python, warm: one fork server per worker, started at first use.

    Its environment is a plan's: what Python reads only at start-up (PYTHONPATH,
    PYTHONWARNINGS…) is then what a plan's process would read.
    """
    return shared(sys.executable, WARM, env=Plan.env())


def bridge_piped(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Piped:
    """``python -m bridge.cli.main ARGS`` in its own process (forked from
    :func:`own_python`), its stdout read while it runs: a link it prints, an address it
    serves. ``env``: a plan's by default."""
    return own_python().piped([*BRIDGE, *args], cwd=cwd, env=Plan.env() if env is None else env)


def on_a_terminal(start: Callable[[int], Any], timeout: float = 120) -> tuple[int, str]:
    """A process started by ``start(terminal)`` on a pty (its stdout and stderr), read
    until it closes the terminal: (exit code, what it wrote there)."""
    controller, terminal = os.openpty()
    child = start(terminal)
    os.close(terminal)
    output = b""
    for _ in range(100_000):  # bounded: until every writer of the terminal is gone
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: every writer is gone
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    return child.wait(timeout=timeout), output.decode(errors="replace")


class Plan:
    """A test-plan folder in tmp, run by pytest as on a stand."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    @staticmethod
    def env() -> dict[str, str]:
        # Not inherited: the outer run's xdist worker id would pick a slot in the inner.
        return {**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
                "PYTEST_ADDOPTS": PYTEST_ADDOPTS, "PYTHONDONTWRITEBYTECODE": "1",
                "COLUMNS": "160"}

    def pytest(self, *args: str, input: str = "") -> subprocess.CompletedProcess[str]:
        """pytest run here, in this process, as ``python -m pytest -q ARGS`` would end.

        A pytest process costs ~0.5 s of start-up and proves nothing more about the
        plugin; runs about the process itself (signals, stdin, kill -9, xdist, a real
        stand's environment) use ``pytest_process``.
        """
        return run_pytest_here(["-p", "no:cacheprovider", "-q", *args], self.root, self.env(),
                               input)

    def pytest_process(self, *args: str, timeout: float = 120, input: str | None = None,
                       fresh: bool = False) -> subprocess.CompletedProcess[str]:
        """``python -m pytest -q ARGS`` in a process of its own, forked from
        :func:`own_python`; ``fresh``: started from nothing instead, for a test whose
        subject is what the process imports. ``input``: pytest's stdin (the operator's
        answers), else empty."""
        argv = [*PYTEST, *args]
        if fresh:
            return subprocess.run([sys.executable, *argv], cwd=self.root, capture_output=True,
                                  text=True, timeout=timeout, env=self.env(),
                                  input=input or "")
        return own_python().run(argv, cwd=self.root, env=self.env(), timeout=timeout,
                                input=input)

    def start_pytest(self, merge_stderr: bool = True,
                     limits: dict[str, tuple[int, int]] | None = None) -> Captured:
        """``python -m pytest -q`` started in a process of its own (forked from
        :func:`own_python`), to be signalled, killed or run beside others; stdin empty,
        stderr into stdout unless ``merge_stderr`` is false; read with ``communicate``."""
        return own_python().start(PYTEST, cwd=self.root, env=self.env(),
                                  merge_stderr=merge_stderr, limits=limits)

    def pytest_on(self, stdin: int, stdout: int, stderr: int) -> Child:
        """``python -m pytest -q`` started on these file descriptors (a pty: a terminal),
        in a process of its own forked from :func:`own_python`."""
        return own_python().popen(PYTEST, cwd=self.root, env=self.env(), stdin=stdin,
                                  stdout=stdout, stderr=stderr)

    def bridge(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``bridge ARGS`` run here, in this process: what it prints and its exit code.

        A ``bridge`` process costs ~0.3 s of start-up and proves nothing more about what
        a command does; tests about the process itself (console script, signals, locks
        between processes) use ``bridge_process``.
        """
        return run_cli(list(args), cwd=self.root)

    def bridge_process(self, *args: str,
                       timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``python -m bridge.cli.main ARGS`` in its own process (forked from
        :func:`own_python`), as a shell runs it."""
        return own_python().run([*BRIDGE, *args], cwd=self.root, env=self.env(),
                                timeout=timeout)

    def export(self, run: str = "last") -> dict:
        result = self.bridge("export", run)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def run_ids(self) -> list[str]:
        result = self.bridge("runs", "--json")
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["id"] for line in result.stdout.splitlines() if line.strip()]

    @property
    def store_path(self) -> Path:
        return self.root / ".bridge" / "runs.db"


@contextlib.contextmanager
def _cwd_and_columns(cwd: Path) -> Iterator[None]:
    """The folder and terminal width a shell would give the command, restored after."""
    before, columns, argv0 = Path.cwd(), os.environ.get("COLUMNS"), sys.argv[0]
    os.chdir(cwd)
    os.environ["COLUMNS"] = "160"
    sys.argv[0] = "bridge"  # the program name argparse shows
    try:
        yield
    finally:
        os.chdir(before)
        sys.argv[0] = argv0
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns


def run_cli(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``bridge.cli.main.main(argv)`` with its output captured, as a process would end.

    An exception main() lets through ends the process with a traceback and status 1:
    the same here, so a test that looks for "Traceback" still sees one.
    """
    from bridge.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with _cwd_and_columns(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors, --help, --version
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except Exception:  # noqa: BLE001 - a process would end so: traceback, status 1
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(["bridge", *argv], code, out.getvalue(), err.getvalue())


_TESTS = str(Path(__file__).resolve().parent) + os.sep
_LIBRARY: set[str] = set()  # names seen to be library modules: checked once


def _library_module(name: str, module: object, plan: str) -> bool:
    """A module the worker may keep between runs: not from the plan's folder (``plan``,
    resolved) or from tests/. (Not "not from /tmp": a checkout may live there.)"""
    if name in _LIBRARY:
        return True
    file = getattr(module, "__file__", None)
    if file is None:
        kept = getattr(module, "__spec__", None) is not None or module is None
    else:
        kept = not os.path.realpath(file).startswith((_TESTS, plan + os.sep))
    if kept:
        _LIBRARY.add(name)
    return kept


def _fresh_simulated_stand() -> None:
    """The simulated stand at power-on, as a new process would find it."""
    workbench = sys.modules.get("drivers.sim.workbench")
    if workbench is not None:
        workbench.BENCH.reset()


def run_pytest_here(argv: list[str], cwd: Path, env: dict[str, str],
                    input: str = "") -> subprocess.CompletedProcess[str]:
    """``pytest.main(argv)`` in ``cwd`` with ``env``, its output captured, and the
    worker left as it was: modules, sys.path, environment, signal handlers. ``input``
    is what the run reads on stdin (the operator's answers).

    The plan's own modules (test files, conftest) and tests/' modules share names
    (``conftest``, ``test_*``), so tests/' are set aside for the run and the plan's
    dropped after it; library modules stay imported, which is the time saved.
    """
    import pytest

    gc.freeze()  # the worker's objects: pytest's collections after each run skip them
    plan = os.path.realpath(cwd)
    modules, path, environ = dict(sys.modules), list(sys.path), dict(os.environ)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for name, module in modules.items():
        if not _library_module(name, module, plan):
            del sys.modules[name]
    out, err, stdin = io.StringIO(), io.StringIO(), sys.stdin
    before = Path.cwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.stdin = io.StringIO(input)
    _fresh_simulated_stand()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.resetwarnings()  # a process starts without the outer run's filters
            code = int(pytest.main(argv))
        with warnings.catch_warnings():  # what the plan left open, a process exit closes
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
    finally:
        sys.stdin = stdin
        os.chdir(before)
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path
        for name in [name for name, module in sys.modules.items() if name not in modules
                     and (name.startswith("hardpy") or not _library_module(name, module, plan))]:
            del sys.modules[name]
        sys.modules.update(modules)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        _fresh_simulated_stand()
    return subprocess.CompletedProcess(["pytest", *argv], code, out.getvalue(), err.getvalue())
