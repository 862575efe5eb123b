"""The quick reading of a plain ``hardpy.toml``: without pydantic, when it is plainly right.

A file as people write it (each value of its key's own TOML type) is read here, which
spares a plan's pytest process ~0.15 s of importing pydantic and building its models.
It accepts only what pydantic accepts with the same result; anything else (a wrong key
or type, a value pydantic would convert, a bound crossed) is left to config_pydantic.py,
whose errors are the ones users see. The sections are config.py's dataclasses: their
fields' metadata hold the rules ("strict", "ge"/"le", "finite", "aliases", "extra").
"""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from pathlib import Path
from typing import Any, Literal

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


@functools.cache
def _section(cls: type) -> tuple[dict[str, _Field], str | None]:
    """A section's keys, and the field that takes its other keys (if one does)."""
    extra = next((spec.name for spec in dataclasses.fields(cls) if spec.metadata.get("extra")),
                 None)
    return _fields_of(cls), extra


def read_plainly(cls: type, data: Any) -> Any:
    """``data`` as a ``cls``, or None if pydantic must decide."""
    if type(data) is not dict:
        return None
    keys, extra_field = _section(cls)
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
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        found = read_plainly(hint, value)
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
