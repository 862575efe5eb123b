"""Python processes forked from a warm one: real processes, without their imports' cost.

A HardPy pytest process spends 1.5 of its 2 s importing pytest, requests, pydantic and
the like; one of ours ~0.6 s of 1.2. A :class:`ForkServer` starts the venv's python
once, imports the libraries it is told to (``warm``), and forks a child per request.
The child is a process of its own (pid, argv, cwd, environment, stdin/stdout/stderr,
exit code, signals, kill -9, resource limits) that runs ``-m MODULE``, ``-c CODE`` or
a script as ``python`` would, and exits through the interpreter's own finalisation (threads
joined, atexit run, uncaught exceptions printed). It differs from a fresh process in
only what ``warm`` names: those modules are already imported. The code under test
(bridge, drivers, hardpy) is never warm, so plugin discovery, the ``hardpy`` alias and
our own imports happen in the child as on a stand. What Python reads from the
environment only at start-up (``PYTHONPATH``, ``PYTHONWARNINGS``) is the server's.

Run as a script, this file is the warm process (stdlib only: any venv can run it). It
is one file over ~300 lines for that reason: the warm process needs nothing but this
file, and both ends of the protocol stay side by side.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TextIO

_MESSAGE = 1 << 20


class Child:
    """A forked process, waited for through its server (it is the server's child)."""

    def __init__(self, server: ForkServer, pid: int):
        self.server, self.pid = server, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        self.returncode = self.server._exit_codes.get(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        with self.server._exited:
            if not self.server._exited.wait_for(lambda: self.poll() is not None, timeout):
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Captured(Child):
    """A child whose stdout and stderr go to files, read once it has ended: no pipe to
    keep drained while it runs (several at once, a kill -9 mid-run)."""

    def __init__(self, child: Child, out: IO[bytes] | None, err: IO[bytes] | None):
        super().__init__(child.server, child.pid)
        self._out, self._err = out, err

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """As ``Popen.communicate`` (stdout, stderr, text); a child that overruns
        ``timeout`` is killed, not left running, before TimeoutExpired is raised."""
        try:
            try:
                self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                self.wait(30)
                raise
            return _read(self._out), _read(self._err)
        finally:
            for file in (self._out, self._err):
                if file is not None:
                    file.close()


class Piped(Captured):
    """A child whose stdout is a pipe, read while it runs (``stdout``: the link it prints,
    the address it serves); its stderr goes to a file."""

    def __init__(self, child: Child, stdout: TextIO, err: IO[bytes]):
        super().__init__(child, None, err)
        self.stdout = stdout

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """The rest of stdout, and stderr, as :meth:`Captured.communicate`."""
        rest: list[str] = []
        drain = threading.Thread(target=lambda: rest.append(self.stdout.read()), daemon=True)
        drain.start()  # a full pipe would keep the child from ending
        try:
            _, err = super().communicate(timeout)
        finally:
            drain.join(30)
            self.stdout.close()
        return "".join(rest), err


def _read(file: IO[bytes] | None) -> str:
    if file is None or file.closed:
        return ""
    file.seek(0)
    return file.read().decode()


class ForkServer:
    """``python`` (``-O`` if ``optimize``) with ``warm`` imported, forking on request."""

    def __init__(self, python: str | Path, warm: Sequence[str], *, optimize: bool = False,
                 env: dict[str, str] | None = None):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        flags = ["-O"] if optimize else []
        self._process = subprocess.Popen(
            [str(python), *flags, __file__, str(theirs.fileno()), *warm],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env)
        theirs.close()
        self._sock = ours
        self._lock = threading.Lock()  # one request on the wire at a time
        self._exited = threading.Condition()
        self._exit_codes: dict[int, int] = {}
        self._started: list[int] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while message := self._recv():
            answer = json.loads(message)
            with self._exited:
                if "pid" in answer:
                    self._started.append(answer["pid"])
                else:
                    self._exit_codes[answer["exited"]] = answer["code"]
                self._exited.notify_all()
        with self._exited:  # the server is gone: so are its children (it killed them)
            self._started.append(-1)
            self._exited.notify_all()

    def _recv(self) -> bytes:
        try:
            return self._sock.recv(_MESSAGE)
        except OSError:  # closed by close()
            return b""

    def popen(self, args: Sequence[str], *, cwd: str | Path, env: dict[str, str],
              stdin: int, stdout: int, stderr: int,
              limits: dict[str, tuple[int, int]] | None = None) -> Child:
        """Fork a child running ``python ARGS`` with these file descriptors as 0, 1, 2;
        ``limits``: ``{"RLIMIT_FSIZE": (soft, hard)}``, set in the child before it runs
        (what ``preexec_fn=`` would do)."""
        request = json.dumps({"args": list(args), "cwd": str(cwd), "env": env,
                              "limits": limits or {}}).encode()
        with self._lock, self._exited:
            socket.send_fds(self._sock, [request], [stdin, stdout, stderr])
            self._exited.wait_for(lambda: bool(self._started), timeout=60)
            if not self._started or self._started[-1] < 0:
                raise RuntimeError(f"the fork server ({self._process.args}) is gone")
            return Child(self, self._started.pop())

    def start(self, args: Sequence[str], *, cwd: str | Path, env: dict[str, str],
              input: str | None = None, merge_stderr: bool = False,
              limits: dict[str, tuple[int, int]] | None = None) -> Captured:
        """As ``Popen(stdout=PIPE, stderr=PIPE or STDOUT, text=True)``; stdin is
        ``input``, or empty. Read the output with :meth:`Captured.communicate`."""
        with contextlib.ExitStack() as opened, tempfile.TemporaryFile() as stdin:
            out = opened.enter_context(tempfile.TemporaryFile())
            err = None if merge_stderr else opened.enter_context(tempfile.TemporaryFile())
            stdin.write((input or "").encode())
            stdin.seek(0)
            child = self.popen(args, cwd=cwd, env=env, stdin=stdin.fileno(),
                               stdout=out.fileno(), stderr=(err or out).fileno(),
                               limits=limits)
            opened.pop_all()  # the child's: closed by communicate()
        return Captured(child, out, err)

    def piped(self, args: Sequence[str], *, cwd: str | Path, env: dict[str, str]) -> Piped:
        """As ``Popen(stdout=PIPE, stderr=PIPE, text=True)`` with stdin empty."""
        read_end, write_end = os.pipe()
        with tempfile.TemporaryFile() as stdin, contextlib.ExitStack() as opened:
            err = opened.enter_context(tempfile.TemporaryFile())
            try:
                child = self.popen(args, cwd=cwd, env=env, stdin=stdin.fileno(),
                                   stdout=write_end, stderr=err.fileno())
            finally:
                os.close(write_end)  # the child's now: EOF when it ends
            opened.pop_all()
        return Piped(child, open(read_end, encoding="utf-8"), err)

    def run(self, args: Sequence[str], *, cwd: str | Path, env: dict[str, str],
            timeout: float, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """As ``subprocess.run(capture_output=True, text=True)``; stdin is ``input``, or
        empty."""
        child = self.start(args, cwd=cwd, env=env, input=input)
        try:
            out, err = child.communicate(timeout)
        except subprocess.TimeoutExpired:
            raise subprocess.TimeoutExpired(["python", *args], timeout) from None
        return subprocess.CompletedProcess(["python", *args], child.returncode, out, err)

    def close(self) -> None:
        self._sock.shutdown(socket.SHUT_RDWR)  # the server kills what still runs and exits
        self._sock.close()
        self._process.wait(timeout=30)
        self._reader.join(timeout=30)


_shared: dict[tuple[str, bool], tuple[str, ForkServer]] = {}


def shared(python: str | Path, warm: Sequence[str], *, optimize: bool = False,
           env: dict[str, str] | None = None, generation: str = "") -> ForkServer:
    """This process's server for ``python`` (and ``-O``): started at first use, closed at
    exit. Another ``generation`` (e.g. the checkout a venv's editable install points at,
    read by the server at its start) replaces it."""
    key = (str(python), optimize)
    known = _shared.get(key)
    if known is not None and known[0] == generation:
        return known[1]
    if known is not None:
        known[1].close()
    if not _shared:
        atexit.register(lambda: [server.close() for _, server in _shared.values()])
    server = ForkServer(python, warm, optimize=optimize, env=env)
    _shared[key] = (generation, server)
    return server

# -- the warm process ---------------------------------------------------------------------


def _serve(sock: socket.socket) -> tuple[dict, list[int]]:
    """Fork per request until the client hangs up; return (in the child) its request."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the wake-up fd is written
    alive: set[int] = set()
    while True:
        ready, _, _ = select.select([sock, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 512)
            while alive and (ended := os.waitpid(-1, os.WNOHANG))[0]:
                alive.discard(ended[0])
                answer = {"exited": ended[0], "code": os.waitstatus_to_exitcode(ended[1])}
                sock.send(json.dumps(answer).encode())
        if sock in ready:
            message, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 3)
            if not message:
                for pid in alive:
                    os.kill(pid, signal.SIGKILL)
                sys.exit(0)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wake_read, wake_write, sock.detach()):
                    os.close(fd)
                return json.loads(message), fds
            for fd in fds:
                os.close(fd)
            alive.add(pid)
            sock.send(json.dumps({"pid": pid}).encode())


def _fresh_stdio() -> None:
    """New sys.stdin/stdout/stderr on fds 0-2, made as the interpreter makes them at
    start-up: the server's own remember what its fds were (a seekable file under
    pytest's capture, where the child's may be a pipe: "Illegal seek")."""
    buffered = not sys.__stdout__.write_through  # -u / PYTHONUNBUFFERED
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        old = getattr(sys, f"__{name}__")
        binary = open(fd, "rb" if fd == 0 else "wb", closefd=False,  # noqa: SIM115 - for life
                      buffering=-1 if buffered or fd == 0 else 0)
        raw = binary.raw if isinstance(binary, io.BufferedIOBase) else binary
        raw.name = f"<{name}>"
        stream = io.TextIOWrapper(binary, encoding=old.encoding, errors=old.errors,
                                  newline=None if os.name == "nt" else "\n",
                                  line_buffering=buffered and (raw.isatty() or fd == 2),
                                  write_through=not buffered)
        stream.mode = "r" if fd == 0 else "w"
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _become(request: dict, fds: list[int]) -> list[str]:
    """Take the request's stdio, folder and environment, as ``exec`` would give them."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    _fresh_stdio()
    if request["limits"]:
        import resource

        for name, (soft, hard) in request["limits"].items():
            resource.setrlimit(getattr(resource, name), (soft, hard))
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    if "random" in sys.modules:  # else every child would draw the same numbers
        sys.modules["random"].seed()
    return request["args"]


if __name__ == "__main__":
    import gc
    import importlib
    import runpy
    import types

    for name in sys.argv[2:]:
        importlib.import_module(name)
    gc.freeze()  # the warm heap: no child's collections walk it (nor copy it on write)
    args = _become(*_serve(socket.socket(fileno=int(sys.argv[1]))))
    del sys.path[0]  # this file's folder; the child's first entry is set below
    if args[0] == "-m":
        sys.argv = args[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        sys.path.insert(0, "")
        main = sys.modules["__main__"] = types.ModuleType("__main__")
        exec(compile(args[1], "<string>", "exec"), main.__dict__)
    else:
        sys.argv = list(args)
        sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
        runpy.run_path(args[0], run_name="__main__")
