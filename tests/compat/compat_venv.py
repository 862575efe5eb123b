"""A venv holding real HardPy from PyPI beside stand-bridge, built once and cached.

It lives outside the repository (``~/.cache/stand-bridge/``, or ``$XDG_CACHE_HOME``),
one per HardPy version, Python version and stand-bridge dependency set: what pip spends
its ~40 s on. stand-bridge itself is installed editable and re-pointed at the checkout
in use (``pip install --no-deps -e``, a few seconds) when a stamp names another checkout
or another ``pyproject.toml`` (entry points), so a fresh clone (every CI run) reuses the
venv. A file lock lets parallel workers and checkouts share it: building and
re-pointing hold it exclusively, a test using the venv holds it shared, so no checkout
is swapped under a running test. Without PyPI the tests are skipped with the reason; on
CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from forkserver import shared

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomli is a dependency below 3.11
    import tomli as tomllib

HARDPY_VERSION = "0.25.2"
REPO = Path(__file__).resolve().parents[2]
# pip's ways of saying it could not reach the index
UNREACHABLE = re.compile(
    r"NewConnectionError|Network is unreachable|Temporary failure in name resolution"
    r"|Max retries exceeded|ConnectTimeout|No matching distribution found for hardpy"
)
PIP = ("-m", "pip", "install", "--quiet", "--disable-pip-version-check")
# Our build backend, in the venv so that re-pointing needs no isolated build env
# (5 s instead of 17 s on a busy machine).
BACKEND = ("hatchling", "editables")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stand-bridge"


def _pyproject() -> bytes:
    return (REPO / "pyproject.toml").read_bytes()


def venv_dir() -> Path:
    """Keyed on what pip downloads and installs, not on where the checkout is."""
    dependencies = sorted(tomllib.loads(_pyproject().decode())["project"]["dependencies"])
    key = hashlib.sha256(json.dumps([HARDPY_VERSION, *BACKEND, *dependencies]).encode())
    py = f"py{sys.version_info.major}{sys.version_info.minor}"
    return cache_root() / f"compat-hardpy-{HARDPY_VERSION}-{py}-{key.hexdigest()[:12]}"


def _checkout_stamp() -> str:
    """Which checkout (and which entry points) the venv's editable stand-bridge is."""
    return f"{REPO}\n{hashlib.sha256(_pyproject()).hexdigest()}\n"


@contextlib.contextmanager
def _locked(venv: Path, mode: int) -> Iterator[None]:
    lock_path = venv.parent / f"{venv.name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, mode)  # another worker may be building or testing: wait for it
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _give_up(what: str, output: str) -> None:
    tail = "\n".join(output.strip().splitlines()[-15:])
    if UNREACHABLE.search(output) and not os.environ.get("CI"):
        pytest.skip(f"PyPI unreachable, no venv with hardpy=={HARDPY_VERSION}: {tail}")
    pytest.fail(f"building the HardPy compat venv failed at {what}:\n{tail}", pytrace=False)


def _steps(steps: list[tuple[str, list[str]]]) -> None:
    for what, command in steps:
        result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            _give_up(what, result.stdout + result.stderr)


def ensure_venv() -> Path:
    """The venv's python, building the venv on first use (once per machine and key)."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    with _locked(venv, fcntl.LOCK_SH):  # built: no need to wait for the tests using it
        if (venv / ".complete").is_file() and (venv / ".compiled-O").is_file():
            return python
    with _locked(venv, fcntl.LOCK_EX):
        if not (venv / ".complete").is_file():
            shutil.rmtree(venv, ignore_errors=True)  # half-built by an interrupted run
            _steps([("venv", [sys.executable, "-m", "venv", str(venv)]),
                    ("pip install", [str(python), *PIP, f"hardpy=={HARDPY_VERSION}",
                                     *BACKEND, "-e", str(REPO)])])
            (venv / ".checkout").write_text(_checkout_stamp())
            (venv / ".complete").write_text(f"hardpy=={HARDPY_VERSION} + stand-bridge's "
                                            "dependencies\n")
        if not (venv / ".compiled-O").is_file():
            # HardPy verifies TLS only under ``python -O``, whose bytecode pip does not
            # write: without it each such run compiles HardPy again (3.1 s, not 1.2 s).
            _steps([("compileall -O", [str(python), "-O", "-m", "compileall", "-q",
                                       str(_site_packages(python))])])
            (venv / ".compiled-O").write_text("bytecode for python -O\n")
    return python


def _site_packages(python: Path) -> Path:
    return Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path"
                                "('purelib'))"], capture_output=True, text=True,
                               check=True).stdout.strip())


@contextlib.contextmanager
def this_checkout(python: Path) -> Iterator[Path]:
    """Hold the venv (shared) with its editable stand-bridge pointing at this checkout."""
    venv = python.parents[1]
    stamp = venv / ".checkout"
    for _ in range(20):  # each round waits for the other checkout's test to end
        with _locked(venv, fcntl.LOCK_SH):
            if stamp.is_file() and stamp.read_text() == _checkout_stamp():
                yield python
                return
        with _locked(venv, fcntl.LOCK_EX):
            if not stamp.is_file() or stamp.read_text() != _checkout_stamp():
                stamp.unlink(missing_ok=True)
                _steps([("pip install --no-deps -e", [
                    str(python), *PIP, "--no-deps", "--no-build-isolation", "-e", str(REPO)])])
                stamp.write_text(_checkout_stamp())
    pytest.fail(f"other checkouts kept re-pointing the compat venv {venv}", pytrace=False)


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment minus what would leak this session into the inner one. Bytecode
    is written: pytest rewrites HardPy's modules (a pytest plugin) on import, and caches
    that in the venv only then (0.3 s of each HardPy process otherwise)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "HARDPY_", "BRIDGE_", "REQUESTS_CA_BUNDLE"))
           and k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    return {**env, "COLUMNS": "160", **extra}


# What a HardPy process imports besides HardPy itself (1.6 of its 1.9 s): its
# libraries, imported once per fork server. Not pytest plugins (anyio, platformdirs),
# whose modules pytest must import itself to rewrite their asserts, nor keyring, which
# stand-bridge uses too.
WARM = ("pytest", "requests", "requests_oauth2client", "jwskate", "chardet", "urllib3",
        "qrcode", "natsort", "cryptography.x509", "oauthlib.oauth2",
        "requests_oauthlib", "pycouchdb", "glom", "dotenv", "uuid6", "tzlocal", "machineid",
        "tomli", "tomli_w", "pydantic", "pydantic.types", "pydantic.json_schema",
        "pydantic.functional_validators")


def run(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python [-O] -m MODULE|-c CODE|SCRIPT ...`` forked from a warm server
    (:mod:`forkserver`); generous timeout: HardPy imports slowly on a busy CI."""
    optimize = args[0] == "-O"
    rest = args[1:] if optimize else args
    # a server started before a re-pointing would import the other checkout's code
    server = shared(python, WARM, optimize=optimize, env=clean_env(),
                    generation=(python.parents[1] / ".checkout").read_text())
    return server.run(rest, cwd=cwd, env=env or clean_env(), timeout=timeout)
