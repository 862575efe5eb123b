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
import math
import sys
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    model = _read(BridgeConfig, data)
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


# -- the quick reading ----------------------------------------------------------------------
# A hardpy.toml as people write it (each value of its key's own TOML type) is read here
# without pydantic, which costs a plan's pytest process ~0.15 s to import and build. It
# accepts only what pydantic accepts with the same result; anything else (a wrong key or
# type, a value pydantic would convert, a bound crossed) goes to pydantic, whose errors
# are the ones users see.

_UNSURE: Any = object()


class _Field(typing.NamedTuple):
    name: str
    hint: Any
    metadata: typing.Mapping[str, Any]
    required: bool


def _fields_of(cls: type) -> dict[str, _Field]:
    """Key as written in the file -> its field (aliases too; not the "extra" field)."""
    hints = typing.get_type_hints(cls)
    keys = {}
    for spec in dataclasses.fields(cls):
        if spec.metadata.get("extra"):
            continue
        required = spec.default is dataclasses.MISSING \
            and spec.default_factory is dataclasses.MISSING
        item = _Field(spec.name, hints[spec.name], spec.metadata, required)
        for key in spec.metadata.get("aliases", (spec.name,)):
            keys[key] = item
    return keys


_SECTIONS: tuple[type, ...] = (StoreSection, StandSection, StandCloudSection,
                               BridgeCloudSection, BridgeSection, InstrumentSection, BridgeConfig)
_KEYS: dict[type, dict[str, _Field]] = {cls: _fields_of(cls) for cls in _SECTIONS}
_EXTRA: dict[type, str | None] = {
    cls: next((spec.name for spec in dataclasses.fields(cls) if spec.metadata.get("extra")), None)
    for cls in _SECTIONS}


def _read(cls: type, data: Any) -> Any:
    """``data`` as a ``cls``, or None if pydantic must decide."""
    if type(data) is not dict:
        return None
    keys, extra_field = _KEYS[cls], _EXTRA[cls]
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        spec = keys.get(key)
        if spec is None:
            if extra_field is None:
                return None
            extra[key] = value
            continue
        if spec.name in values:  # two spellings of one key
            return None
        values[spec.name] = _value(spec.hint, spec.metadata, value)
        if values[spec.name] is _UNSURE:
            return None
    if any(spec.required and spec.name not in values for spec in keys.values()):
        return None
    if extra_field is not None:
        values[extra_field] = extra
    return cls(**values)


def _value(hint: Any, metadata: typing.Mapping[str, Any], value: Any) -> Any:
    """One value as pydantic would give it, else _UNSURE (only TOML's own types come)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    kind = type(value)
    if hint in _KEYS:
        found = _read(hint, value)
        return _UNSURE if found is None else found
    if origin in (typing.Union, _UNION_TYPE):  # X | None: TOML has no None
        return _value(args[0], metadata, value) if len(args) == 2 and args[1] is type(None) \
            else _UNSURE
    if origin is dict:
        if kind is not dict:
            return _UNSURE
        items = {key: _value(args[1], {}, item) for key, item in value.items()}
        return _UNSURE if _UNSURE in items.values() else items
    if hint is Any:
        return value
    if origin is Literal:
        return value if kind is str and value in args else _UNSURE
    if hint is str or hint is bool:
        return value if kind is hint else _UNSURE
    if hint is Path:
        return Path(value) if kind is str and value else _UNSURE
    if hint is int:
        return value if kind is int and _within(value, metadata) else _UNSURE
    if hint is float:  # an int as pydantic converts it: exactly, so not beyond 2**53
        ok = math.isfinite(value) if kind is float else kind is int and abs(value) <= 2**53
        return float(value) if ok and _within(value, metadata) else _UNSURE
    return _UNSURE


def _within(value: float, metadata: typing.Mapping[str, Any]) -> bool:
    return value >= metadata.get("ge", -math.inf) and value <= metadata.get("le", math.inf)


_UNION_TYPE = type(int | None)
