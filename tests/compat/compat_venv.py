"""A venv holding real HardPy from PyPI beside stand-bridge, built once and cached.

It lives outside the repository (``~/.cache/stand-bridge/``, or ``$XDG_CACHE_HOME``),
one per checkout and per ``pyproject.toml`` (stand-bridge is installed editable, so
code changes need no rebuild; new dependencies or entry points get a fresh venv). A
file lock lets parallel test workers and checkouts share the build. Without PyPI the
tests are skipped with the reason; on CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HARDPY_VERSION = "0.25.2"
REPO = Path(__file__).resolve().parents[2]
# pip's ways of saying it could not reach the index
UNREACHABLE = re.compile(
    r"NewConnectionError|Network is unreachable|Temporary failure in name resolution"
    r"|Max retries exceeded|ConnectTimeout|No matching distribution found for hardpy"
)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stand-bridge"


def venv_dir() -> Path:
    key = hashlib.sha256(str(REPO).encode() + (REPO / "pyproject.toml").read_bytes())
    py = f"py{sys.version_info.major}{sys.version_info.minor}"
    return cache_root() / f"compat-hardpy-{HARDPY_VERSION}-{py}-{key.hexdigest()[:12]}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building: wait for it
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _give_up(what: str, output: str) -> None:
    tail = "\n".join(output.strip().splitlines()[-15:])
    if UNREACHABLE.search(output) and not os.environ.get("CI"):
        pytest.skip(f"PyPI unreachable, no venv with hardpy=={HARDPY_VERSION}: {tail}")
    pytest.fail(f"building the HardPy compat venv failed at {what}:\n{tail}", pytrace=False)


def ensure_venv() -> Path:
    """The venv's python, building the venv on first use."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    stamp = venv / ".complete"
    with _locked(venv.parent / f"{venv.name}.lock"):
        if stamp.is_file():
            return python
        shutil.rmtree(venv, ignore_errors=True)  # half-built by an interrupted run
        steps = [
            ("venv", [sys.executable, "-m", "venv", str(venv)]),
            ("pip install", [str(python), "-m", "pip", "install", "--quiet",
                             "--disable-pip-version-check", f"hardpy=={HARDPY_VERSION}",
                             "-e", str(REPO)]),
        ]
        for what, command in steps:
            result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
            if result.returncode != 0:
                _give_up(what, result.stdout + result.stderr)
        stamp.write_text(f"hardpy=={HARDPY_VERSION} + stand-bridge -e {REPO}\n")
    return python


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment minus what would leak this session into the inner one."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "HARDPY_", "BRIDGE_", "REQUESTS_CA_BUNDLE"))
           and k != "VIRTUAL_ENV"}
    return {**env, "COLUMNS": "160", **extra}


def run(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the compat venv's python; generous timeout: HardPy imports slowly on a busy CI."""
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True,
                          env=env or clean_env(), timeout=timeout)
