"""What a test plan hands to the API: measurements, instruments, sub-units, charts.

The names and fields are HardPy's, so HardPy test plans build them unchanged. A
measurement judges itself when it is built (``result``, None without an operation);
as in HardPy, recording a failing one does not fail the case: the plan's own ``assert
meas.result`` does (``set_case_measurement(meas, fail_case=True)`` is the strict rule).
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from bridge.errors import MeasurementError
from bridge.values import iso_dates

Number = int | float


class ComparisonOperation(str, Enum):
    """How a value is judged: against ``comparison_value``, or against two limits."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    GTLT = "gtlt"  # lower < value < upper
    GELE = "gele"  # lower <= value <= upper
    GELT = "gelt"  # lower <= value < upper
    GTLE = "gtle"  # lower < value <= upper
    LTGT = "ltgt"  # value < lower or value > upper
    LEGE = "lege"  # value <= lower or value >= upper
    LEGT = "legt"  # value <= lower or value > upper
    LTGE = "ltge"  # value < lower or value >= upper


_SINGLE = {
    "eq": lambda v, c: v == c,
    "ne": lambda v, c: v != c,
    "gt": lambda v, c: v > c,
    "ge": lambda v, c: v >= c,
    "lt": lambda v, c: v < c,
    "le": lambda v, c: v <= c,
}
_RANGE = {
    "gtlt": lambda v, lo, hi: lo < v < hi,
    "gele": lambda v, lo, hi: lo <= v <= hi,
    "gelt": lambda v, lo, hi: lo <= v < hi,
    "gtle": lambda v, lo, hi: lo < v <= hi,
    "ltgt": lambda v, lo, hi: v < lo or v > hi,
    "lege": lambda v, lo, hi: v <= lo or v >= hi,
    "legt": lambda v, lo, hi: v <= lo or v > hi,
    "ltge": lambda v, lo, hi: v < lo or v >= hi,
}


def _finite(name: str, number: Number | None) -> None:
    if number is not None and (isinstance(number, bool) or not math.isfinite(number)):
        raise MeasurementError(f"{name} must be a finite number, got {number!r}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    @model_validator(mode="after")
    def _storable(self) -> _Model:
        """Every field as the store and the report can carry it (see bridge.values)."""
        from bridge.values import MAX_NAME, MAX_TEXT, check_json, check_text

        kind = type(self).__name__
        for name in type(self).model_fields:
            value = getattr(self, name)
            where = f"{kind}.{name}"
            if isinstance(value, str) and not isinstance(value, Enum):
                check_text(where, value, limit=MAX_TEXT if name in _LONG_TEXT else MAX_NAME)
            elif isinstance(value, int | float | list | dict) and not isinstance(value, bool):
                check_json(where, value)
        return self


_LONG_TEXT = {"value", "comparison_value", "comment"}  # DUT replies, free text


class NumericMeasurement(_Model):
    """A number, optionally judged by ``operation`` against a value or two limits."""

    value: Number
    name: str | None = None
    unit: str | None = None
    operation: ComparisonOperation | None = None
    comparison_value: Number | None = None
    lower_limit: Number | None = None
    upper_limit: Number | None = None
    result: bool | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _judge(self) -> NumericMeasurement:
        label = f"measurement {self.name!r}" if self.name else "measurement"
        for field in ("value", "comparison_value", "lower_limit", "upper_limit"):
            _finite(f"{label}: {field}", getattr(self, field))
        op = self.operation.value if self.operation else None
        if op in _SINGLE:
            if self.lower_limit is not None or self.upper_limit is not None:
                raise MeasurementError(f"{label}: operation {op} takes comparison_value, "
                                       "not lower_limit/upper_limit")
            if self.comparison_value is None:
                raise MeasurementError(f"{label}: operation {op} needs comparison_value")
            self.result = _SINGLE[op](self.value, self.comparison_value)
        elif op in _RANGE:
            lower, upper = self.lower_limit, self.upper_limit
            if lower is None or upper is None:
                raise MeasurementError(f"{label}: operation {op} needs lower_limit and "
                                       "upper_limit")
            if self.comparison_value is not None:
                raise MeasurementError(f"{label}: operation {op} takes limits, "
                                       "not comparison_value")
            if lower > upper:
                raise MeasurementError(f"{label}: lower_limit {lower} is above "
                                       f"upper_limit {upper}")
            self.result = _RANGE[op](self.value, lower, upper)
        # Limits without an operation are kept for the report, unjudged (HardPy).
        return self

    def as_row(self) -> tuple:
        """The store's measurement columns after ``position``, in table order."""
        return ("numeric", self.name, self.value, self.unit,
                self.operation.value if self.operation else None, self.comparison_value,
                self.lower_limit, self.upper_limit, None, self.result)

    def describe(self) -> str:
        """'rail = 5.3 V, expected gele [4.9, 5.1]' for failure messages."""
        unit = f" {self.unit}" if self.unit else ""
        limits = (f"{self.comparison_value}" if self.comparison_value is not None
                  else f"[{self.lower_limit}, {self.upper_limit}]")
        op = self.operation.value if self.operation else "none"
        return f"{self.name or 'value'} = {self.value}{unit}, expected {op} {limits}"


class StringMeasurement(_Model):
    """A text, optionally compared (eq/ne) with ``comparison_value``."""

    value: str
    name: str | None = None
    operation: ComparisonOperation | None = None
    comparison_value: str | None = None
    casesensitive: bool = True
    result: bool | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _judge(self) -> StringMeasurement:
        label = f"measurement {self.name!r}" if self.name else "measurement"
        op = self.operation.value if self.operation else None
        if op is None:  # a comparison_value alone is kept, unjudged (HardPy)
            return self
        if op not in ("eq", "ne"):
            raise MeasurementError(f"{label}: a string measurement supports eq and ne, "
                                   f"not {op}")
        if self.comparison_value is None:
            raise MeasurementError(f"{label}: operation {op} needs comparison_value")
        value, expected = self.value, self.comparison_value
        if not self.casesensitive:
            value, expected = value.casefold(), expected.casefold()
        self.result = (value == expected) == (op == "eq")
        return self

    def as_row(self) -> tuple:
        return ("string", self.name, self.value, None,
                self.operation.value if self.operation else None, self.comparison_value,
                None, None, self.casesensitive, self.result)

    def describe(self) -> str:
        op = self.operation.value if self.operation else "none"
        return f"{self.name or 'value'} = {self.value!r}, expected {op} {self.comparison_value!r}"


Info = Annotated[dict[str, str | int | float | None], BeforeValidator(iso_dates)]


class Instrument(_Model):
    """One piece of stand equipment, as StandCloud lists it."""

    name: str | None = None
    revision: str | None = None
    serial_number: str | None = None
    part_number: str | None = None
    number: int | None = Field(default=None, ge=0)
    comment: str | None = None
    info: Info = {}


class SubUnit(_Model):
    """A part of the DUT with its own identity (a module, a daughter board)."""

    name: str | None = None
    type: str | None = None
    serial_number: str | None = None
    part_number: str | None = None
    revision: str | None = None
    info: Info = {}


class ChartType(str, Enum):
    """Axis scales of a chart."""

    LINE = "line"
    LINE_LOG_X = "line_log_x"
    LINE_LOG_Y = "line_log_y"
    LOG_X_Y = "log_x_y"


class Chart(_Model):
    """Curves of one case (x/y series), e.g. a sweep or a ramp."""

    type: ChartType = ChartType.LINE
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    marker_name: list[str | None] = []
    x_data: list[list[Number]] = []
    y_data: list[list[Number]] = []

    def add_series(self, x_data: list[Number], y_data: list[Number],
                   marker_name: str | None = None) -> None:
        """Add one curve: x and y of the same, non-zero length."""
        _check_series(marker_name, x_data, y_data)
        self.x_data.append(list(x_data))
        self.y_data.append(list(y_data))
        self.marker_name.append(marker_name)

    @model_validator(mode="after")
    def _same_shape(self) -> Chart:
        """As HardPy's Chart: one marker name per series, no empty series."""
        series = len(self.x_data)
        if len(self.y_data) != series:
            raise ValueError(f"chart: x_data holds {series} series, y_data "
                             f"{len(self.y_data)}")
        if len(self.marker_name) != series:
            raise ValueError(f"chart: marker_name holds {len(self.marker_name)} names for "
                             f"{series} series (one per series; None for none)")
        for index, (xs, ys) in enumerate(zip(self.x_data, self.y_data, strict=True)):
            _check_series(self.marker_name[index] or index, xs, ys)
        return self

    def to_report(self) -> dict[str, Any]:
        return {"type": self.type.value, "title": self.title, "x_label": self.x_label,
                "y_label": self.y_label, "marker_name": list(self.marker_name),
                "x_data": self.x_data, "y_data": self.y_data}


def _check_series(name: str | int | None, x_data: list[Number], y_data: list[Number]) -> None:
    if len(x_data) != len(y_data):
        raise ValueError(f"chart series {name!r}: x has {len(x_data)} points, "
                         f"y has {len(y_data)}")
    if not x_data:
        raise ValueError(f"chart series {name!r}: a series cannot be empty")
