"""stand-bridge: record pytest test plans of a test stand and bring them to StandCloud.

A test plan uses the functions and models below (HardPy's names). They are loaded on
first use, so that importing the package (as pytest does for the plugin) costs
nothing in projects that do not use it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = (
    "set_dut_part_number", "set_dut_serial_number", "set_dut_name", "set_dut_type",
    "set_dut_revision", "set_dut_info", "set_dut_sub_unit", "set_stand_name",
    "set_stand_info", "set_stand_location", "set_stand_number", "set_stand_revision",
    "set_driver_info", "set_instrument", "set_process_name", "set_process_number",
    "set_process_info", "set_batch_serial_number", "set_user_name", "set_error_code",
    "set_message", "set_case_measurement", "set_case_chart", "set_case_artifact",
    "set_module_artifact", "set_run_artifact", "get_current_report",
    "get_current_attempt", "get_start_args",
)  # fmt: skip
_MODELS = (
    "NumericMeasurement", "StringMeasurement", "Instrument", "SubUnit", "Chart",
    "ChartType", "ComparisonOperation",
)  # fmt: skip
_OPERATOR = (
    "DialogBox", "TextInputWidget", "NumericInputWidget", "RadiobuttonWidget",
    "CheckboxWidget", "ImageWidget", "StepWidget", "MultistepWidget", "ImageComponent",
    "HTMLComponent", "run_dialog_box", "set_operator_message", "clear_operator_message",
    "BaseWidget", "PassFailDialog",
)  # fmt: skip
_ERRORS = (
    "BridgeError", "ConfigError", "DuplicateParameterError", "DuplicateFieldError",
    "DuplicateSerialNumberError", "DuplicatePartNumberError", "DuplicateTestStandNameError",
    "FirmwareError", "OperatorError", "TestStandNumberError",
    "InstrumentError", "MeasurementError", "MeasurementFailed", "NotInRunError",
    "StandCloudError", "StoreError",
)  # fmt: skip
_CLOUD = ("StandCloudLoader", "StandCloudConnector", "StandCloudReader", "StandCloudAPIMode")
_COUCHDB = ("CouchdbConfig", "CouchdbLoader")  # HardPy's; kept so its conftests load
_HARDPY = {"ErrorCode": "bridge.error_code", "JsonLoader": "bridge.json_loader",
           "HardpyConfig": "bridge.hardpy_config", "get_hardpy_config": "bridge.hardpy_config",
           "Group": "bridge.hardpy_config"}
_HOME = {
    **dict.fromkeys(_API, "bridge.api"),
    **dict.fromkeys(_MODELS, "bridge.models"),
    **dict.fromkeys(_OPERATOR, "bridge.operator"),
    **dict.fromkeys(_ERRORS, "bridge.errors"),
    **dict.fromkeys(_CLOUD, "bridge.cloud.compat"),
    **dict.fromkeys(_COUCHDB, "bridge.couchdb"),
    **_HARDPY,
}
__all__ = [*_API, *_MODELS, *_OPERATOR, *_ERRORS, *_CLOUD, *_COUCHDB, *_HARDPY]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'bridge' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
