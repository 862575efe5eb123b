"""The full validation of ``hardpy.toml`` (pydantic), for what config.py's quick reading
does not settle: a value to convert, or a mistake to explain as 'file:line: key: what
was expected'.

The pydantic models are built from config.py's dataclasses (their one definition), on
first use: importing pydantic and building them costs ~0.15 s, which a plan whose file
is plainly right never pays.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import typing
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    create_model,
)

from bridge.errors import ConfigError

_CONSTRAINTS = {"ge": "ge", "le": "le"}


def validate(cls: type, data: Any, path: Path, text: str) -> Any:
    """``data`` validated as the dataclass ``cls``; a ConfigError naming line and key."""
    try:
        model = _model(cls).model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, path, text) from None
    return _dataclass(cls, model)


@functools.cache
def _model(cls: type) -> type[BaseModel]:
    """The pydantic model of a config dataclass: same keys, types, defaults and bounds."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    extra: typing.Literal["allow", "forbid"] = "forbid"
    for spec in dataclasses.fields(cls):
        meta = spec.metadata
        if meta.get("extra"):
            extra = "allow"
            continue
        options: dict[str, Any] = {key: meta[name] for name, key in _CONSTRAINTS.items()
                                   if name in meta}
        if meta.get("finite"):
            options["allow_inf_nan"] = False
        if "aliases" in meta:
            options["validation_alias"] = AliasChoices(*meta["aliases"])
        if spec.default_factory is not dataclasses.MISSING:
            factory = spec.default_factory
            options["default_factory"] = _model(factory) if dataclasses.is_dataclass(factory) \
                else factory
        elif spec.default is not dataclasses.MISSING:
            options["default"] = spec.default
        fields[spec.name] = (_hint(hints[spec.name], bool(meta.get("strict"))),
                             Field(**options))
    model = create_model(cls.__name__, __config__=ConfigDict(extra=extra, frozen=True),
                         **fields)
    _DATACLASS_OF[model] = cls
    return model


_DATACLASS_OF: dict[type[BaseModel], type] = {}


def _hint(hint: Any, strict: bool) -> Any:
    """A dataclass field's type as pydantic's: nested dataclasses as their models,
    a strict bool as StrictBool."""
    if hint is bool and strict:
        return StrictBool
    if dataclasses.is_dataclass(hint):
        return _model(hint)  # type: ignore[arg-type]
    args = typing.get_args(hint)
    if not args or typing.get_origin(hint) is typing.Literal:
        return hint
    inner = tuple(_hint(arg, strict) for arg in args)
    if typing.get_origin(hint) is dict:
        return dict[inner[0], inner[1]]  # type: ignore[valid-type]
    return functools.reduce(lambda left, right: left | right, inner)  # X | None


def _dataclass(cls: type, model: BaseModel) -> Any:
    """The validated model as the config dataclass."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        if spec.metadata.get("extra"):
            values[spec.name] = dict(model.model_extra or {})
        else:
            values[spec.name] = _plain(getattr(model, spec.name))
    return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _dataclass(_DATACLASS_OF[type(value)], value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


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
