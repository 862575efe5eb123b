"""A test-plan folder run by pytest in its own process, against a real store."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator
from pathlib import Path

# anyio (an httpx dependency) registers a pytest plugin whose imports cost each pytest
# process about 0.5 s, half of a small plan's run; no plan here uses it.
PYTEST_ADDOPTS = "-p no:anyio"


class Plan:
    """A test-plan folder in tmp, run by pytest in its own process, like on a stand."""

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

    def pytest(self, *args: str, timeout: float = 120,
               input: str | None = None) -> subprocess.CompletedProcess[str]:
        """``input``: piped to pytest's stdin (the operator's answers), else inherited."""
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
            cwd=self.root, capture_output=True, text=True, timeout=timeout, env=self.env(),
            input=input)

    def bridge(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``bridge ARGS`` run here, in this process: what it prints and its exit code.

        A ``bridge`` process costs ~0.3 s of start-up and proves nothing more about what
        a command does; tests about the process itself (console script, signals, locks
        between processes) use ``bridge_process``.
        """
        return run_cli(list(args), cwd=self.root)

    def bridge_process(self, *args: str,
                       timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``python -m bridge.cli.main ARGS`` in its own process, as a shell runs it."""
        return subprocess.run([sys.executable, "-m", "bridge.cli.main", *args], cwd=self.root,
                              capture_output=True, text=True, timeout=timeout, env=self.env())

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
