"""How config.py declares hardpy.toml's sections, and the quick reading of a plain file.

A section is a ``Record``: one annotated attribute per key, its default, its rules in
``key(...)`` ("strict": only a TOML bool; "ge"/"le"; "finite"; "aliases": other
spellings read; "extra": this attribute takes the section's other keys). Frozen,
compared and shown like a dataclass, without generating code per class: dataclasses
compile six methods per class, ~20 M instructions for the seven sections, which every
plan's pytest process would pay.

The quick reading takes a hardpy.toml as people write it (each value of its key's own
TOML type) without pydantic, which costs a plan ~0.15 s to import and build. It accepts
only what pydantic accepts with the same result; anything else (a wrong key or type, a
value pydantic would convert, a bound crossed) is left to config_pydantic.py, whose
errors are the ones users see.
"""

from __future__ import annotations

import inspect
import math
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeGuard

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: Any) -> Callable[[type], type]:  # for the type checker
        return lambda cls: cls

_MISSING: Any = object()


class Key:
    """One key of a section: its default (or a factory of it) and its rules."""

    __slots__ = ("default", "factory", "hint", "name", "rules")

    def __init__(self, default: Any = _MISSING, factory: Callable[[], Any] | None = None,
                 rules: Mapping[str, Any] | None = None):
        self.default, self.factory, self.rules = default, factory, dict(rules or {})
        self.name = ""
        self.hint: Any = None

    @property
    def required(self) -> bool:
        return self.default is _MISSING and self.factory is None

    def new_default(self) -> Any:
        return self.factory() if self.factory is not None else self.default


def key(default: Any = _MISSING, *, default_factory: Callable[[], Any] | None = None,
        **rules: Any) -> Any:
    """A key with rules, or with a default made fresh for each record (a dict, a section)."""
    return Key(default, default_factory, rules)


@dataclass_transform(frozen_default=True, field_specifiers=(key,))
class Record:
    """A frozen record of one section; its annotations (evaluated, not strings) are its keys."""

    KEYS: ClassVar[dict[str, Key]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        keys = {}
        for name, hint in inspect.get_annotations(cls).items():
            if typing.get_origin(hint) is ClassVar or hint is ClassVar:
                continue
            value = cls.__dict__.get(name, _MISSING)
            spec = value if isinstance(value, Key) else Key(value)
            spec.name, spec.hint = name, hint
            keys[name] = spec
            if name in cls.__dict__:
                delattr(cls, name)  # instances hold every value
        cls.KEYS = keys

    def __init__(self, **values: Any):
        for name, spec in self.KEYS.items():
            if name in values:
                value = values.pop(name)
            elif spec.required:
                raise TypeError(f"{type(self).__name__}() needs {name}")
            else:
                value = spec.new_default()
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}() has no {', '.join(values)}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use config_schema.replace")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.KEYS)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.KEYS)
        return f"{type(self).__name__}({shown})"


R = typing.TypeVar("R", bound=Record)


def replace(record: R, **changes: Any) -> R:
    """A copy of ``record`` with ``changes`` (as dataclasses.replace)."""
    return type(record)(**{**{name: getattr(record, name) for name in record.KEYS}, **changes})


def is_record(hint: Any) -> TypeGuard[type[Record]]:
    return isinstance(hint, type) and issubclass(hint, Record)


# -- the quick reading ------------------------------------------------------------------

_UNSURE: Any = object()
_UNION_TYPE = type(int | None)


def read(cls: type[R], data: Any) -> R | None:
    """``data`` as a ``cls``, or None if pydantic must decide."""
    if type(data) is not dict:
        return None
    by_key = _by_key(cls)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    extra_key = next((spec.name for spec in cls.KEYS.values() if spec.rules.get("extra")), None)
    for name, value in data.items():
        spec = by_key.get(name)
        if spec is None:
            if extra_key is None:
                return None
            extra[name] = value
            continue
        if spec.name in values:  # two spellings of one key
            return None
        found = values[spec.name] = _value(spec.hint, spec.rules, value)
        if found is _UNSURE:
            return None
    if any(spec.required and spec.name not in values for spec in by_key.values()):
        return None
    if extra_key is not None:
        values[extra_key] = extra
    return cls(**values)


def _by_key(cls: type[Record]) -> dict[str, Key]:
    """Key as written in the file -> its key (aliases too; not the "extra" one)."""
    return {alias: spec for spec in cls.KEYS.values() if not spec.rules.get("extra")
            for alias in spec.rules.get("aliases", (spec.name,))}


def _value(hint: Any, rules: Mapping[str, Any], value: Any) -> Any:
    """One value as pydantic would give it, else _UNSURE (only TOML's own types come)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    kind = type(value)
    if is_record(hint):
        found = read(hint, value)
        return _UNSURE if found is None else found
    if origin in (typing.Union, _UNION_TYPE):  # X | None: TOML has no None
        return _value(args[0], rules, value) if len(args) == 2 and args[1] is type(None) \
            else _UNSURE
    if origin is dict:
        if kind is not dict:
            return _UNSURE
        items = {name: _value(args[1], {}, item) for name, item in value.items()}
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
        return value if kind is int and _within(value, rules) else _UNSURE
    if hint is float:  # an int as pydantic converts it: exactly, so not beyond 2**53
        ok = math.isfinite(value) if kind is float else kind is int and abs(value) <= 2**53
        return float(value) if ok and _within(value, rules) else _UNSURE
    return _UNSURE


def _within(value: float, rules: Mapping[str, Any]) -> bool:
    return value >= rules.get("ge", -math.inf) and value <= rules.get("le", math.inf)
