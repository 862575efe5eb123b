"""The fork server's children are processes as ``python -m/-c`` would start them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from compat_venv import run
from forkserver import ForkServer
from plan_support import Plan, on_a_terminal, own_python

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


def test_started_children_run_at_once_and_communicate_their_merged_output(server, tmp_path):
    code = ("import sys, time; print('out', sys.argv[1], flush=True); time.sleep(0.2);"
            " print('err', sys.argv[1], file=sys.stderr)")
    children = [server.start(["-c", code, str(n)], cwd=tmp_path, env=dict(os.environ),
                             merge_stderr=True) for n in range(3)]
    assert len({child.pid for child in children}) == 3
    assert [child.communicate(60) for child in children] == [
        (f"out {n}\nerr {n}\n", "") for n in range(3)]
    assert [child.returncode for child in children] == [0, 0, 0]


def test_a_child_that_overruns_communicate_is_killed(server, tmp_path):
    child = server.start(["-c", "import time; time.sleep(60)"], cwd=tmp_path,
                         env=dict(os.environ))
    with pytest.raises(subprocess.TimeoutExpired):
        child.communicate(0.5)
    assert child.returncode == -signal.SIGKILL


def test_a_limit_is_set_in_the_child_only(server, tmp_path):
    import resource

    code = "import resource; print(resource.getrlimit(resource.RLIMIT_FSIZE))"
    limited = server.start(["-c", code], cwd=tmp_path, env=dict(os.environ),
                           limits={"RLIMIT_FSIZE": (12345, 12345)})
    assert limited.communicate(60)[0] == "(12345, 12345)\n"
    plain = server.run(["-c", code], cwd=tmp_path, env=dict(os.environ), timeout=60)
    assert plain.stdout == f"{resource.getrlimit(resource.RLIMIT_FSIZE)}\n"


STDIO = ("import sys; print([(s.isatty(), s.line_buffering, s.write_through, s.encoding) "
         "for s in (sys.stdin, sys.stdout, sys.stderr)])")


@pytest.mark.parametrize("unbuffered", [False, True])
def test_on_a_terminal_or_a_file_stdio_is_set_up_as_in_a_fresh_process(tmp_path, unbuffered):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env |= {"PYTHONUNBUFFERED": "1"} if unbuffered else {}
    server = ForkServer(sys.executable, [], env=env)
    try:
        forked = on_a_terminal(lambda tty: server.popen(
            ["-c", STDIO], cwd=tmp_path, env=env, stdin=tty, stdout=tty, stderr=tty))
        fresh = on_a_terminal(lambda tty: subprocess.Popen(
            [sys.executable, "-c", STDIO], cwd=tmp_path, env=env, stdin=tty, stdout=tty,
            stderr=tty))
        piped = server.run(["-c", STDIO], cwd=tmp_path, env=env, timeout=60).stdout
    finally:
        server.close()
    assert forked == fresh and forked[0] == 0 and "(True, " in forked[1]
    assert piped == subprocess.run([sys.executable, "-c", STDIO], cwd=tmp_path, env=env,
                                   capture_output=True, text=True, timeout=60, input="").stdout


# Run in a forked child: the top-level packages it started with, and those of the venv's
# pytest plugins (pytest imports them itself, to rewrite their asserts).
WARM_AND_PLUGINS = """\
import json, sys
warm = sorted({name.split(".")[0] for name in sys.modules})
import importlib.metadata
plugins = set()
for entry in importlib.metadata.entry_points(group="pytest11"):
    plugins.add(entry.module.split(".")[0])
    plugins |= {file.parts[0].removesuffix(".py") for file in entry.dist.files or ()
                if file.suffix == ".py"} if entry.dist else set()
print(json.dumps([warm, sorted(plugins)]))
"""


def test_our_warm_python_holds_no_pytest_plugin_and_no_code_under_test(tmp_path):
    result = own_python().run(["-c", WARM_AND_PLUGINS], cwd=tmp_path, env=Plan.env(),
                              timeout=60)
    warm, plugins = map(set, json.loads(result.stdout or "[[], []]"))
    assert {"pytest", "pyvisa", "httpx"} <= warm, result.stderr
    assert {"anyio", "xdist", "platformdirs"} <= plugins
    assert warm & (plugins | {"bridge", "drivers", "hil", "hardpy"}) == set()


def test_hardpys_warm_python_holds_no_pytest_plugin_no_hardpy_and_no_keyring(
        hardpy_python, tmp_path):
    result = run(hardpy_python, "-c", WARM_AND_PLUGINS, cwd=tmp_path)
    warm, plugins = map(set, json.loads(result.stdout or "[[], []]"))
    assert {"pytest", "requests", "pydantic", "glom"} <= warm, result.stderr
    assert {"anyio", "hardpy", "bridge"} <= plugins
    assert warm & (plugins | {"bridge", "drivers", "hardpy", "keyring"}) == set()


def test_a_child_on_a_pipe_writes_there_as_a_fresh_process_would(server, tmp_path):
    """Under pytest's capture the server's own stdout is a file; a child's on a pipe must
    not be taken for one (``reconfigure()`` would seek it: "Illegal seek")."""
    code = ("import sys; sys.stdout.reconfigure(errors='backslashreplace'); "
            "print(sys.stdout.seekable(), sys.stdout.name)")
    child = server.piped(["-c", code], cwd=tmp_path, env=dict(os.environ))
    assert child.stdout.readline() == "False <stdout>\n"
    assert child.communicate(60) == ("", "")
    assert child.returncode == 0
