"""``hardpy.toml``: find it, validate it, explain what is wrong with it.

HardPy's own file is accepted as it is: its keys for CouchDB (``[database]``) and the
operator panel (``[frontend]``, ``[socket]``, ``sound_on``, ...) are read and ignored
with one notice, because a test plan written for HardPy must run here unchanged. Our
own sections are strict: a wrong key or type stops the run before the first case,
naming the file, the line and the key.

One file serves both tools: HardPy refuses the whole file when one of its own sections
(``[stand_cloud]``, ``[database]``, ``[frontend]``) holds a key it does not know, so
every key of ours lives in our own top-level sections, ``[bridge.stand_cloud]`` for
StandCloud. The old placement inside ``[stand_cloud]`` is still read, with a notice.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bridge.config_quick import read_plainly
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

# The schema: frozen dataclasses, one field per key, constraints in the field's metadata
# ("strict": only a TOML bool; "ge"/"le"; "finite"; "aliases": other spellings read;
# "extra": this field takes the section's other keys). config_pydantic.py builds pydantic
# models from them for what the quick reading below does not settle.
_STRICT = {"strict": True}  # "no" must not read as false and, e.g., turn TLS checks off


@dataclass(frozen=True)
class StoreSection:
    path: Path = Path(DEFAULT_STORE)


@dataclass(frozen=True)
class StandSection:
    """How the stand runs: on real instruments or on their simulators."""

    mode: Literal["real", "sim"] = "real"
    #: Seconds between the attempts of an ``attempt(n)`` case (HardPy pauses 1 s), so
    #: that what failed transiently (a port, a supply settling) gets time to recover.
    attempt_pause: float = field(default=1.0, metadata={"ge": 0, "le": 3600, "finite": True})
    #: The strict rule: a failing measurement fails its case at the call. HardPy (and our
    #: default) only records it and lets the plan's asserts decide.
    measurements_fail_case: bool = False


# Our StandCloud keys: they live in [bridge.stand_cloud], HardPy's [stand_cloud] refuses them.
BRIDGE_CLOUD_KEYS = ("verify", "ca_file", "fill_unknown")


@dataclass(frozen=True)
class StandCloudSection:
    """HardPy's ``[stand_cloud]``; ``verify``, ``ca_file`` and ``fill_unknown`` hold the
    values in use (from ``[bridge.stand_cloud]``, or from here where they used to be)."""

    address: str = ""
    # HardPy's own docs spell it api-key; both are read.
    api_key: str = field(default="", metadata={"aliases": ("api_key", "api-key")})
    autosync: bool = field(default=False, metadata=_STRICT)
    autosync_timeout: int = field(default=30, metadata={"ge": 1})
    connection_only: bool = field(default=False, metadata=_STRICT)
    verify: bool = field(default=True, metadata=_STRICT)
    ca_file: Path | None = None
    # HardPy's "unknown" fill-in of missing mandatory fields
    fill_unknown: bool = field(default=False, metadata=_STRICT)


@dataclass(frozen=True)
class BridgeCloudSection:
    """``[bridge.stand_cloud]``: how our client talks to StandCloud."""

    verify: bool = field(default=True, metadata=_STRICT)
    ca_file: Path | None = None
    # HardPy's "unknown" fill-in of missing mandatory fields
    fill_unknown: bool = field(default=False, metadata=_STRICT)


@dataclass(frozen=True)
class BridgeSection:
    """``[bridge]``: stand-bridge's own keys, out of HardPy's sections."""

    #: With real HardPy installed our plugin steps aside unless this is true (or
    #: ``--bridge`` is given); false keeps it aside even without HardPy.
    enabled: bool | None = field(default=None, metadata=_STRICT)
    stand_cloud: BridgeCloudSection = field(default_factory=BridgeCloudSection)


@dataclass(frozen=True)
class InstrumentSection:
    """One instrument: its driver class, its resource, and driver options (the rest)."""

    driver: str
    resource: str | None = None
    options: dict[str, Any] = field(default_factory=dict, metadata={"extra": True})


@dataclass(frozen=True)
class BridgeConfig:
    title: str | None = None
    tests_name: str | None = None
    bridge: BridgeSection = field(default_factory=BridgeSection)
    store: StoreSection = field(default_factory=StoreSection)
    stand: StandSection = field(default_factory=StandSection)
    stand_cloud: StandCloudSection = field(default_factory=StandCloudSection)
    instruments: dict[str, InstrumentSection] = field(default_factory=dict)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
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

    def __init__(self, model: BridgeConfig, path: Path | None, moved_keys: Sequence[str] = ()):
        self.model = model
        self.path = path
        #: our keys this file still sets inside HardPy's [stand_cloud] (read as before)
        self.moved_keys = list(moved_keys)

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

    @property
    def notices(self) -> list[str]:
        """One line per moved key: where it lives now and why."""
        return [f"note: {self.path}: [stand_cloud] {key} has moved to [bridge.stand_cloud]"
                " (real HardPy refuses the whole file with it in [stand_cloud]); read as before"
                for key in self.moved_keys]


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
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}); TOML files are UTF-8: save "
                          "it as UTF-8 without BOM, not UTF-16", path=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from exc
    except RecursionError:
        raise ConfigError("nested too deeply to be a configuration", path=path) from None
    model = read_plainly(BridgeConfig, data)
    if model is None:  # not plainly right: pydantic decides, and explains what is wrong
        from bridge.config_pydantic import validate

        model = validate(BridgeConfig, data, path, text)
    cloud = data.get("stand_cloud", {})  # a valid file: each section is a table
    moved = [key for key in BRIDGE_CLOUD_KEYS if key in cloud]
    return StandConfig(_with_bridge_cloud_keys(model, data), path, moved)


def _with_bridge_cloud_keys(model: BridgeConfig, data: dict[str, Any]) -> BridgeConfig:
    """``[bridge.stand_cloud]`` over the old placement in ``[stand_cloud]``: one place to read."""
    given = data.get("bridge", {}).get("stand_cloud", {})
    if not given:
        return model
    ours = model.bridge.stand_cloud
    update = {key: getattr(ours, key) for key in BRIDGE_CLOUD_KEYS if key in given}
    return dataclasses.replace(model, stand_cloud=dataclasses.replace(model.stand_cloud, **update))
