"""The StandCloud report format ("runstore" schema, version 1) as pydantic models.

This is the contract with StandCloud: the simulator validates every upload against it
and the test suite validates every export against it. Every key is required (the
format sends every key, ``null`` when unset) and unknown keys are refused, so a
report that passes here has exactly the keys StandCloud expects.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

Status = Literal["passed", "failed", "skipped", "error", "run", "ready", "stopped"]
Group = Literal["setup", "main", "teardown"]
Operation = Literal[
    "eq", "ne", "gt", "ge", "lt", "le",
    "gtlt", "gele", "gelt", "gtle", "ltgt", "lege", "legt", "ltge",
]  # fmt: skip
Number = StrictInt | float
Info = dict[str, StrictStr | StrictInt | float | None]
OptStr = StrictStr | None
OptInt = StrictInt | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumericMeasurementReport(_Model):
    type: Literal["numeric"]
    name: OptStr
    value: Number
    unit: OptStr
    operation: Operation | None
    comparison_value: Number | None
    lower_limit: Number | None
    upper_limit: Number | None
    result: StrictBool | None


class StringMeasurementReport(_Model):
    type: Literal["string"]
    name: OptStr
    value: StrictStr
    operation: Literal["eq", "ne"] | None
    comparison_value: OptStr
    casesensitive: StrictBool
    result: StrictBool | None


Measurement = Annotated[
    NumericMeasurementReport | StringMeasurementReport, Field(discriminator="type")
]


class ChartReport(_Model):
    type: Literal["line", "line_log_x", "line_log_y", "log_x_y"]
    title: OptStr
    x_label: OptStr
    y_label: OptStr
    marker_name: list[OptStr]
    x_data: list[list[Number]]
    y_data: list[list[Number]]


class CaseReport(_Model):
    name: StrictStr
    status: Status
    start_time: OptInt
    stop_time: OptInt
    group: Group
    assertion_msg: OptStr
    msg: dict[str, StrictStr] | None
    measurements: list[Measurement]
    chart: ChartReport | None
    attempt: StrictInt
    artifact: dict[str, Any]


class ModuleReport(_Model):
    name: StrictStr
    status: Status
    start_time: OptInt
    stop_time: OptInt
    group: Group
    cases: dict[str, CaseReport]
    artifact: dict[str, Any]


class InstrumentReport(_Model):
    name: OptStr
    revision: OptStr
    serial_number: OptStr
    part_number: OptStr
    number: OptInt
    comment: OptStr
    info: Info


class TestStandReport(_Model):
    hw_id: StrictStr
    name: OptStr
    revision: OptStr
    timezone: OptStr
    location: OptStr
    number: OptInt
    drivers: dict[str, Any]
    instruments: list[InstrumentReport]
    info: Info


class SubUnitReport(_Model):
    name: OptStr
    type: OptStr
    serial_number: OptStr
    part_number: OptStr
    revision: OptStr
    info: Info


class DutReport(_Model):
    name: OptStr
    type: OptStr
    serial_number: OptStr
    part_number: OptStr
    revision: OptStr
    sub_units: list[SubUnitReport]
    info: Info


class ProcessReport(_Model):
    name: OptStr
    number: OptInt
    info: Info


class RunReport(_Model):
    """One test run as StandCloud receives it."""

    id: StrictStr
    rev: StrictStr
    name: StrictStr
    status: Status
    start_time: StrictInt
    stop_time: OptInt
    test_stand: TestStandReport
    dut: DutReport
    process: ProcessReport
    modules: dict[str, ModuleReport]
    user: OptStr
    batch_serial_number: OptStr
    caused_dut_failure_id: OptStr
    error_code: OptInt
    artifact: dict[str, Any]
