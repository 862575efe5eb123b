"""Where the login tokens live between commands.

The OS keyring when a working backend exists; otherwise (a headless Linux stand PC
usually has no Secret Service) one JSON file in the user's config directory, mode
0600, written atomically (a temporary file created 0600 in the same directory, then
renamed over the old one). A file found with looser permissions is repaired and the
user is told; one owned by someone else is refused.

Environment, mainly for tests and unusual set-ups:
``BRIDGE_TOKEN_STORE`` = ``file`` | ``keyring`` forces a backend,
``BRIDGE_TOKEN_DIR`` puts the token file in that directory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from bridge.errors import AuthError

SERVICE = "stand-bridge/standcloud"
FILE_NAME = "standcloud-tokens.json"

Notify = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class TokenStore(Protocol):
    name: str

    def load(self, key: str) -> dict[str, Any] | None: ...
    def save(self, key: str, token: dict[str, Any]) -> None: ...
    def delete(self, key: str) -> bool: ...


class FileTokenStore:
    """Tokens of every address in one 0600 JSON file."""

    def __init__(self, directory: Path, notify: Notify = _stderr):
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self.notify = notify
        self.name = f"file {self.path}"

    def _read(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise AuthError(f"cannot read the token file {self.path}: {exc.strerror}") from None
        with os.fdopen(fd, "r", encoding="utf-8") as handle:
            self._check_permissions(handle.fileno())
            try:
                data = json.load(handle)
            except ValueError:
                raise AuthError(
                    f"the token file {self.path} is damaged: run sc-logout, then sc-login"
                ) from None
        return data if isinstance(data, dict) else {}

    def _check_permissions(self, fd: int) -> None:
        if os.name == "nt":  # no POSIX modes: the user profile's ACL protects the file
            return
        info = os.fstat(fd)
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise AuthError(
                f"the token file {self.path} belongs to another user (uid {info.st_uid});"
                " refusing to use it: remove it and run sc-login again"
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            os.fchmod(fd, 0o600)
            self.notify(
                f"warning: the token file {self.path} was readable by others"
                f" (mode {mode:04o}); repaired to 0600. If other users could read it,"
                " run sc-logout and sc-login to get new tokens."
            )

    def _write(self, data: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp creates the file with mode 0600 from the start: no window of exposure.
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def load(self, key: str) -> dict[str, Any] | None:
        return self._read().get(key)

    def save(self, key: str, token: dict[str, Any]) -> None:
        data = self._read()
        data[key] = token
        self._write(data)

    def delete(self, key: str) -> bool:
        data = self._read()
        if key not in data:
            return False
        del data[key]
        if data:
            self._write(data)
        else:
            self.path.unlink(missing_ok=True)
        return True


class KeyringTokenStore:
    """One keyring entry per StandCloud address."""

    def __init__(self, backend: Any):
        self.backend = backend
        self.name = f"keyring ({type(backend).__module__}.{type(backend).__name__})"

    def load(self, key: str) -> dict[str, Any] | None:
        raw = self.backend.get_password(SERVICE, key)
        return json.loads(raw) if raw else None

    def save(self, key: str, token: dict[str, Any]) -> None:
        self.backend.set_password(SERVICE, key, json.dumps(token))

    def delete(self, key: str) -> bool:
        import keyring.errors

        try:
            self.backend.delete_password(SERVICE, key)
        except keyring.errors.PasswordDeleteError:
            return False
        return True


def token_dir() -> Path:
    override = os.environ.get("BRIDGE_TOKEN_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("stand-bridge", appauthor=False))


def working_keyring() -> Any | None:
    """The keyring backend if it is a real one (not the 'fail' or a null backend)."""
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 (a broken keyring backend may raise anything)
        logging.getLogger(__name__).warning(
            "the system keyring is unusable (%s: %s); tokens go to the 0600 file instead",
            type(exc).__name__, exc)
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def token_stores(notify: Notify = _stderr) -> list[TokenStore]:
    """Every store that may hold tokens, the one to write to first."""
    forced = os.environ.get("BRIDGE_TOKEN_STORE", "").lower()
    file_store = FileTokenStore(token_dir(), notify)
    if forced == "file":
        return [file_store]
    backend = working_keyring()
    if forced == "keyring":
        if backend is None:
            raise AuthError("BRIDGE_TOKEN_STORE=keyring, but no working keyring backend exists")
        return [KeyringTokenStore(backend)]
    if backend is None:
        return [file_store]
    return [KeyringTokenStore(backend), file_store]
