"""The package's public names are exactly the intended ones, and all resolve."""

import subprocess
import sys

import bridge

HARDPY_API = {
    "set_dut_part_number", "set_dut_serial_number", "set_dut_name", "set_dut_type",
    "set_dut_revision", "set_dut_info", "set_dut_sub_unit", "set_stand_name",
    "set_stand_info", "set_stand_location", "set_stand_number", "set_stand_revision",
    "set_driver_info", "set_instrument", "set_process_name", "set_process_number",
    "set_process_info", "set_batch_serial_number", "set_user_name", "set_error_code",
    "set_message", "set_case_measurement", "set_case_chart", "set_case_artifact",
    "set_module_artifact", "set_run_artifact", "get_current_report", "get_current_attempt",
    "get_start_args", "NumericMeasurement", "StringMeasurement", "Instrument", "SubUnit", "Chart",
    "ChartType", "ComparisonOperation", "ErrorCode", "JsonLoader", "get_hardpy_config",
    "HardpyConfig", "Group",
}
ERRORS = {
    "BridgeError", "ConfigError", "DuplicateParameterError", "FirmwareError",
    "InstrumentError", "MeasurementError", "MeasurementFailed", "NotInRunError",
    "StandCloudError", "StoreError",
    # HardPy's names for DuplicateParameterError
    "DuplicateFieldError", "DuplicateSerialNumberError", "DuplicatePartNumberError",
    "DuplicateTestStandNameError", "TestStandNumberError",
}


HARDPY_OPERATOR = {
    "DialogBox", "TextInputWidget", "NumericInputWidget", "RadiobuttonWidget",
    "CheckboxWidget", "ImageWidget", "StepWidget", "MultistepWidget", "ImageComponent",
    "HTMLComponent", "run_dialog_box", "set_operator_message", "clear_operator_message",
    "OperatorError", "BaseWidget", "PassFailDialog",
}
HARDPY_CLOUD = {"StandCloudLoader", "StandCloudConnector", "StandCloudReader", "StandCloudAPIMode",
                "CouchdbConfig", "CouchdbLoader"}


def test_public_names_are_exactly_the_intended_ones():
    assert set(bridge.__all__) == HARDPY_API | ERRORS | HARDPY_OPERATOR | HARDPY_CLOUD
    for name in bridge.__all__:
        assert getattr(bridge, name) is not None
        assert getattr(bridge, name).__doc__ or name.startswith("set_"), name


def test_importing_the_package_loads_nothing_heavy():
    code = ("import sys, bridge, bridge.plugin; "
            "print(sorted(m for m in ('pydantic', 'sqlite_utils', 'rich', 'httpx', "
            "'authlib', 'pyvisa', 'serial') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
