"""``hardpy.toml``: find it, validate it, explain what is wrong with it.

HardPy's own file is accepted as it is: its keys for CouchDB (``[database]``) and the
operator panel (``[frontend]``, ``[socket]``, ``sound_on``, ...) are read and ignored
with one notice, because a test plan written for HardPy must run here unchanged. Our
own sections are strict: a wrong key or type stops the run before the first case,
naming the file, the line and the key.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from bridge.errors import BridgeError, ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = "hardpy.toml"
DEFAULT_STORE = ".bridge/runs.db"
# What HardPy's own versions put in hardpy.toml for CouchDB and its operator panel.
IGNORED_HARDPY_SECTIONS = ("database", "frontend", "socket")
IGNORED_HARDPY_KEYS = ("tests_dir", "current_test_config", "test_configs", "sound_on",
                       "enable_test_pass_fail_modal")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSection(_Strict):
    path: Path = Path(DEFAULT_STORE)


class StandSection(_Strict):
    """How the stand runs: on real instruments or on their simulators."""

    mode: Literal["real", "sim"] = "real"
    #: Seconds between the attempts of an ``attempt(n)`` case (HardPy pauses 1 s), so
    #: that what failed transiently (a port, a supply settling) gets time to recover.
    attempt_pause: float = Field(default=1.0, ge=0)


class StandCloudSection(_Strict):
    address: str = ""
    # HardPy's own docs spell it api-key; both are read.
    api_key: str = Field(default="", validation_alias=AliasChoices("api_key", "api-key"))
    autosync: bool = False
    autosync_timeout: int = Field(default=30, ge=1)
    connection_only: bool = False
    verify: bool = True
    ca_file: Path | None = None
    fill_unknown: bool = False  # HardPy's "unknown" fill-in of missing mandatory fields


class InstrumentSection(BaseModel):
    """One instrument: its driver class, its resource, and driver options (the rest)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    driver: str
    resource: str | None = None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class BridgeConfig(_Strict):
    title: str | None = None
    tests_name: str | None = None
    store: StoreSection = StoreSection()
    stand: StandSection = StandSection()
    stand_cloud: StandCloudSection = StandCloudSection()
    instruments: dict[str, InstrumentSection] = {}
    slots: dict[str, dict[str, Any]] = {}
    # HardPy-only sections and keys: accepted, not used (see ignored_hardpy_keys).
    database: dict[str, Any] | None = None
    frontend: dict[str, Any] | None = None
    socket: dict[str, Any] | None = None
    tests_dir: Any = None
    current_test_config: Any = None
    test_configs: Any = None
    sound_on: Any = None
    enable_test_pass_fail_modal: Any = None


class StandConfig:
    """A validated configuration and where it came from."""

    def __init__(self, model: BridgeConfig, path: Path | None):
        self.model = model
        self.path = path

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def store_path(self) -> Path:
        path = self.model.store.path
        return path if path.is_absolute() else self.root / path

    @property
    def test_plan_name(self) -> str:
        return self.model.tests_name or self.root.resolve().name

    @property
    def ignored_hardpy_keys(self) -> list[str]:
        """HardPy's sections (as ``[name]``) and keys this file sets, which we do not use."""
        return ([f"[{name}]" for name in IGNORED_HARDPY_SECTIONS
                 if getattr(self.model, name) is not None]
                + [name for name in IGNORED_HARDPY_KEYS if getattr(self.model, name) is not None])


_in_use: StandConfig | None = None


def use(stand: StandConfig | None) -> None:
    """Called by the plugin with this session's configuration (None at its end)."""
    global _in_use
    _in_use = stand


def in_use() -> StandConfig:
    """This pytest session's configuration, else the hardpy.toml here or above: for
    code a test plan calls without passing one (HardPy's StandCloudLoader)."""
    return _in_use if _in_use is not None else load_config(find_config(Path.cwd()))


def find_config(start: Path) -> Path | None:
    """The ``hardpy.toml`` in ``start`` or the nearest parent holding one."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def require_config(start: Path) -> Path:
    """Like ``find_config``, for commands that have nothing to do outside a test plan."""
    found = find_config(start)
    if found is None:
        raise BridgeError(
            f"no {CONFIG_NAME} found in {start.resolve()} or above (run this in a test-plan "
            f"folder, give --config FILE or --store PATH, or start a plan with `bridge init DIR`)")
    return found


def load_config(path: Path | None) -> StandConfig:
    """Read and validate ``path``; ``None`` gives the defaults (no file)."""
    if path is None:
        return StandConfig(BridgeConfig(), None)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from exc
    try:
        model = BridgeConfig.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, path, text) from None
    return StandConfig(model, path)


def _explain(exc: ValidationError, path: Path, text: str) -> ConfigError:
    """Turn pydantic's first complaint into 'file:line: key: what was expected'."""
    error = exc.errors()[0]
    location = [str(part) for part in error["loc"]]
    key = ".".join(location)
    if error["type"] == "extra_forbidden":
        what = "unknown key"
    else:
        what = f"{error['msg']} (got {error.get('input')!r})"
    return ConfigError(what, path=path, line=_line_of(text, location), key=key)


def _line_of(text: str, location: list[str]) -> int | None:
    """Best-effort line number of the last key of ``location`` in the TOML text."""
    if not location:
        return None
    leaf = re.escape(location[-1])
    pattern = re.compile(rf"^\s*(\[+\s*)?([\w.\"-]*\.)?\"?{leaf}\"?\s*(=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
