"""The test-plan API: HardPy's functions, with HardPy's names and meaning.

Each call changes the run being recorded; nothing here touches SQLite directly. A
value that the StandCloud report could not carry is refused at the call, naming the
key, so that a mistake shows in the test that made it, not at upload time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.errors import NotInRunError
from bridge.recorder import RunRecorder, check_json, flat_info
from bridge.values import MAX_TEXT, check_int, check_text

if TYPE_CHECKING:
    from datetime import datetime

    from bridge.models import Chart, Instrument, NumericMeasurement, StringMeasurement, SubUnit
    from bridge.report_schema import RunReport

_active: RunRecorder | None = None
_start_args: dict[str, str] = {}


def activate(recorder: RunRecorder | None, start_args: dict[str, str] | None = None) -> None:
    """Called by the plugin when a run starts (recorder) and ends (None)."""
    global _active, _start_args
    _active = recorder
    _start_args = dict(start_args or {})


def _run(function: str) -> RunRecorder:
    if _active is None:
        raise NotInRunError(
            f"bridge.{function}() was called outside a running test plan: run the plan "
            "with pytest next to a hardpy.toml (or pass --bridge)"
        )
    return _active


def _text(function: str, value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise TypeError(f"{function}() takes a string, got {type(value).__name__}")
    return check_text(f"{function}()", str(value))


def _set(function: str, column: str, value: Any) -> None:
    _run(function).set_once(column, _text(function, value), column)


# -- DUT ------------------------------------------------------------------------------


def set_dut_part_number(part_number: str) -> None:
    """The DUT's part number: mandatory for StandCloud analytics."""
    _set("set_dut_part_number", "dut_part_number", part_number)


def set_dut_serial_number(serial_number: str) -> None:
    """Tells units of one part number apart, and counts their test attempts."""
    _set("set_dut_serial_number", "dut_serial_number", serial_number)


def set_dut_name(name: str) -> None:
    _set("set_dut_name", "dut_name", name)


def set_dut_type(dut_type: str) -> None:
    _set("set_dut_type", "dut_type", dut_type)


def set_dut_revision(revision: str) -> None:
    _set("set_dut_revision", "dut_revision", revision)


def set_dut_info(info: dict[str, str | int | float | datetime | None]) -> None:
    """Facts about the DUT (firmware version, options); merged over earlier calls."""
    _run("set_dut_info").merge("dut_info", flat_info("dut info", info))


def set_dut_sub_unit(sub_unit: SubUnit | None = None, /, **fields: Any) -> int:
    """Add a sub-unit of the DUT (a SubUnit, or its fields as keywords); its index."""
    from bridge.models import SubUnit

    sub_unit = _model_or_fields("set_dut_sub_unit", SubUnit, sub_unit, fields)
    return _run("set_dut_sub_unit").append("dut_sub_units", sub_unit.model_dump())


# -- test stand -----------------------------------------------------------------------


def set_stand_name(name: str) -> None:
    """The test stand's name: mandatory for StandCloud analytics."""
    _set("set_stand_name", "stand_name", name)


def set_stand_info(info: dict[str, str | int | float | datetime | None]) -> None:
    _run("set_stand_info").merge("stand_info", flat_info("stand info", info))


def set_stand_location(location: str) -> None:
    _set("set_stand_location", "stand_location", location)


def set_stand_number(number: int) -> None:
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        from bridge.errors import TestStandNumberError

        raise TestStandNumberError(
            f"set_stand_number() takes a non-negative int, got {number!r}")
    check_int("set_stand_number()", number)
    _run("set_stand_number").set_once("stand_number", number, "stand_number")


def set_stand_revision(revision: str) -> None:
    _set("set_stand_revision", "stand_revision", revision)


def set_driver_info(drivers: dict[str, Any]) -> None:
    """Driver name → its data (any JSON); recorded by our drivers when they open."""
    check_json("driver info", drivers)
    _run("set_driver_info").merge("drivers", dict(drivers))


def set_instrument(instrument: Instrument | None = None, /, **fields: Any) -> int:
    """Add a piece of stand equipment (an Instrument, or its fields as keywords, as
    HardPy's docs write it); returns its index."""
    from bridge.models import Instrument

    instrument = _model_or_fields("set_instrument", Instrument, instrument, fields)
    return _run("set_instrument").add_instrument(instrument.model_dump())


def _model_or_fields(function: str, model: type[Any], given: Any, fields: dict[str, Any]) -> Any:
    if given is None:
        return model(**fields)  # validated: an unknown or mistyped field is named
    if fields or not isinstance(given, model):
        raise TypeError(f"{function}() takes a {model.__name__} or its fields as keywords, "
                        f"got {type(given).__name__}" + (" and keywords" if fields else ""))
    return given


# -- process, operator, batch ---------------------------------------------------------


def set_process_name(name: str) -> None:
    _set("set_process_name", "process_name", name)


def set_process_number(number: int) -> None:
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError(f"set_process_number() takes an int, got {number!r}")
    check_int("set_process_number()", number)
    _run("set_process_number").set_once("process_number", number, "process_number")


def set_process_info(info: dict[str, str | int | float | datetime | None]) -> None:
    _run("set_process_info").merge("process_info", flat_info("process info", info))


def set_batch_serial_number(serial_number: str) -> None:
    _set("set_batch_serial_number", "batch_serial_number", serial_number)


def set_user_name(name: str) -> None:
    _set("set_user_name", "user", name)


def set_error_code(code: int) -> None:
    """The run's error code (the first one set wins, as in HardPy)."""
    if not isinstance(code, int) or isinstance(code, bool) or code < 0:
        raise ValueError(f"set_error_code() takes a non-negative int, got {code!r}")
    check_int("set_error_code()", code)
    recorder = _run("set_error_code")
    if recorder.fields.get("error_code") is None:
        recorder.set_once("error_code", code, "error_code")


# -- the running case -----------------------------------------------------------------


def set_message(msg: str, msg_key: str | None = None) -> None:
    """A text for the operator, kept with the case; the same key replaces it, and
    without a key it gets a fresh uuid4 key (HardPy)."""
    import uuid

    case = _run("set_message").current_case("set_message")
    if not isinstance(msg, str):
        raise TypeError(f"set_message() takes a string, got {type(msg).__name__}")
    check_text("set_message()", msg, limit=MAX_TEXT)
    if msg_key is not None:
        check_text("set_message(): msg_key", msg_key)
    case.msg[msg_key if msg_key is not None else str(uuid.uuid4())] = msg


def set_case_measurement(
    measurement: NumericMeasurement | StringMeasurement, *, fail_case: bool | None = None
) -> int:
    """Record a measurement; its index in the case. As in HardPy a failing one is only
    recorded and the plan's asserts decide the case; ``fail_case=True`` (or ``[stand]
    measurements_fail_case = true``) fails the case here, at the caller's line."""
    __tracebackhide__ = True  # a failure points at the plan's line, not at ours
    recorder = _run("set_case_measurement")
    if not hasattr(measurement, "as_row"):
        raise TypeError("set_case_measurement() takes a NumericMeasurement or "
                        f"StringMeasurement, got {type(measurement).__name__}")
    position = recorder.add_measurement(measurement)
    strict = recorder.measurements_fail_case if fail_case is None else fail_case
    if strict and measurement.result is False:
        from bridge.errors import MeasurementFailed

        raise MeasurementFailed(f"measurement failed: {measurement.describe()}")
    return position


def set_case_chart(chart: Chart) -> None:
    from bridge.models import Chart

    if not isinstance(chart, Chart):
        raise TypeError(f"set_case_chart() takes a Chart, got {type(chart).__name__}")
    if not chart.x_data:
        raise ValueError("set_case_chart(): the chart has no data series (add_series)")
    report = chart.to_report()  # add_series() may have added what the model did not check
    check_json("chart", report)
    _run("set_case_chart").current_case("set_case_chart").chart = report


def set_case_artifact(data: dict[str, Any]) -> None:
    """Data kept with the case for analysis (any JSON), not shown to the operator."""
    check_json("case artifact", data)
    _run("set_case_artifact").current_case("set_case_artifact").artifact.update(data)


def set_module_artifact(data: dict[str, Any]) -> None:
    check_json("module artifact", data)
    _run("set_module_artifact").set_module_artifact(data)


def set_run_artifact(data: dict[str, Any]) -> None:
    check_json("run artifact", data)
    _run("set_run_artifact").merge("artifact", dict(data))


# -- reading back ---------------------------------------------------------------------


def get_current_attempt() -> int:
    """The attempt number of the running case (1 unless the attempt marker re-ran it)."""
    return _run("get_current_attempt").current_case("get_current_attempt").attempt


def get_start_args() -> dict[str, str]:
    """HardPy's start arguments: ``--hardpy-start-arg key=value`` pairs, values as text."""
    _run("get_start_args")
    return dict(_start_args)


def get_current_report() -> RunReport:
    """The run as recorded so far, in StandCloud's report format: finished cases, and
    the running one (status ``run``) when called from a case, as in HardPy."""
    from bridge.report_schema import RunReport

    return RunReport.model_validate(_run("get_current_report").current_report())



def in_run() -> bool:
    """Whether a test plan is being recorded in this process."""
    return _active is not None
