"""The fork server's children are processes as ``python -m/-c`` would start them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from forkserver import ForkServer

SHOW = """\
import json, os, sys
print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "path0": sys.path[0],
                  "env": os.environ.get("ONLY_HERE"), "pid": os.getpid(),
                  "ppid": os.getppid(), "stdin": sys.stdin.read(),
                  "warm": "email.message" in sys.modules, "name": __name__}))
"""


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    server = ForkServer(sys.executable, ["email.message"])
    yield server
    server.close()


def test_a_child_gets_its_own_argv_folder_environment_and_stdin(server, tmp_path):
    env = {**os.environ, "ONLY_HERE": "yes"}
    result = server.run(["-c", SHOW, "a", "b"], cwd=tmp_path, env=env, timeout=60,
                        input="typed")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {**seen, "argv": ["-c", "a", "b"], "cwd": str(tmp_path), "path0": "",
                    "env": "yes", "stdin": "typed", "warm": True, "name": "__main__"}
    assert seen["pid"] not in (os.getpid(), seen["ppid"]) and "ONLY_HERE" not in os.environ


def test_a_module_runs_as_main_from_its_folder(server, tmp_path):
    (tmp_path / "shown.py").write_text(SHOW)
    result = server.run(["-m", "shown", "x"], cwd=tmp_path, env=dict(os.environ), timeout=60)
    seen = json.loads(result.stdout)
    assert (seen["argv"], seen["path0"], seen["name"]) == (
        [str(tmp_path / "shown.py"), "x"], str(tmp_path), "__main__")


@pytest.mark.parametrize(("code", "returncode", "stderr"), [
    ("raise SystemExit(3)", 3, ""),
    ("import sys; sys.exit('bye')", 1, "bye\n"),
    ("1 / 0", 1, "ZeroDivisionError: division by zero\n"),
    ("import atexit; atexit.register(print, 'at exit')", 0, ""),
])
def test_exit_codes_tracebacks_and_atexit_are_the_interpreter_s(server, tmp_path, code,
                                                                returncode, stderr):
    result = server.run(["-c", code], cwd=tmp_path, env=dict(os.environ), timeout=60)
    assert result.returncode == returncode
    assert result.stderr.endswith(stderr)
    assert ("at exit" in result.stdout) == ("atexit" in code)


def test_a_killed_child_reports_the_signal_and_a_slow_one_times_out(server, tmp_path):
    child = server.popen(["-c", "import time; time.sleep(60)"], cwd=tmp_path,
                         env=dict(os.environ), stdin=0, stdout=1, stderr=2)
    assert child.poll() is None
    child.kill()
    assert child.wait(60) == -signal.SIGKILL
    with pytest.raises(subprocess.TimeoutExpired):
        server.run(["-c", "import time; time.sleep(60)"], cwd=tmp_path,
                   env=dict(os.environ), timeout=0.5)
