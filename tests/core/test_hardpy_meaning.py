"""HardPy's public API and its meaning, as HardPy 0.25.2 behaves (issue 8, §2 and §3).

One HardPy-style project runs once (module fixture) and each test below checks one
behaviour in its stored report or its output; a few behaviours need runs of their own.
Over 300 lines because that project's four files (~150 lines) are written here, beside
the checks that read them.
"""

import json
import re

import pytest
from plan_support import Plan

from bridge.models import Chart, NumericMeasurement, StringMeasurement
from bridge.report_schema import RunReport

FIRST = '''
import pytest
import hardpy
from hardpy import ComparisonOperation as Op, DialogBox, ErrorCode, NumericMeasurement

pytestmark = pytest.mark.module_group("setup")


@pytest.mark.module_name("on a function: ignored, as in HardPy")
@pytest.mark.case_name("")
@pytest.mark.case_group("teardown")
def test_names(hardpy_start_args):
    assert hardpy_start_args == {"mode": "debug"}


calls = []


@pytest.mark.attempt(2)
def test_failed_attempt_is_cleared():
    calls.append(1)
    if len(calls) == 1:
        hardpy.set_message("from attempt 1", "first")
        hardpy.set_case_artifact({"attempt1": True})
        assert False, ErrorCode(3, "first attempt")
    report = hardpy.get_current_report()
    case = report.modules["test_first"].cases["test_failed_attempt_is_cleared"]
    assert (case.attempt, case.msg, case.artifact) == (2, None, {})
    assert report.error_code is None  # no case failed yet: the retry clears it


def test_error_code_first_wins():
    assert 1 == 2, ErrorCode(7, "no answer from DUT")


def test_error_code_without_message():
    assert 1 == 2, ErrorCode(9)


def test_error_code_refuses_negative_codes():
    with pytest.raises(ValueError, match="non-negative"):
        ErrorCode(-1)


def test_failing_measurement_is_only_recorded():
    meas = NumericMeasurement(value=9, name="rail", operation=Op.LT, comparison_value=1)
    hardpy.set_case_measurement(meas)
    assert meas.result is False


def test_limits_without_operation():
    numeric = NumericMeasurement(value=5, lower_limit=1, upper_limit=2)
    string = hardpy.StringMeasurement(value="a", comparison_value="b")
    assert numeric.result is None and string.result is None
    hardpy.set_case_measurement(numeric)
    hardpy.set_case_measurement(string)


def test_running_case_is_in_the_report():
    hardpy.set_message("hello", "k")
    hardpy.set_case_measurement(NumericMeasurement(value=1.5, name="v"))
    module = hardpy.get_current_report().modules["test_first"]
    case = module.cases["test_running_case_is_in_the_report"]
    assert (case.status, case.msg, case.stop_time) == ("run", {"k": "hello"}, None)
    assert case.measurements[0].value == 1.5
    assert module.cases["test_names"].status == "passed"


def test_pass_fail_dialogs():
    answer = hardpy.run_dialog_box(
        DialogBox("Is the LED lit?", pass_fail=True, button_text=["Lit", "Dark"]))
    assert isinstance(answer, hardpy.PassFailDialog)
    assert (answer.result, answer.data, bool(answer)) == (True, True, True)
    answer = hardpy.run_dialog_box(
        DialogBox("Serial?", widget=hardpy.TextInputWidget(), pass_fail=True))
    assert (answer.result, answer.data, bool(answer)) == (False, "SN-1", False)


def test_hardpy_config():
    config = hardpy.get_hardpy_config()
    assert isinstance(config, hardpy.HardpyConfig)
    assert (config.tests_name, config.current_test_config) == ("Parity", "Config 2")
    assert config.frontend.port == 8000
    assert [c.name for c in config.test_configs] == ["Config 1", "Config 2"]


def test_other_public_names():
    assert hardpy.Group.SETUP == "setup"
    assert hardpy.run_dialog_box(DialogBox("Confirm", widget=hardpy.BaseWidget())) is True
    assert hardpy.HTMLComponent(html="<b>x</b>").is_raw_html is True
    with pytest.raises(hardpy.TestStandNumberError):
        hardpy.set_stand_number(-1)
'''

SECOND = '''
import pytest
import hardpy

pytestmark = pytest.mark.module_name("")


@pytest.mark.dependency("test_second::test_later")
def test_target_not_run_yet():
    module = hardpy.get_current_report().modules["test_second"]  # its first case runs
    assert (module.status, list(module.cases)) == ("run", ["test_target_not_run_yet"])


@pytest.mark.dependency("test_first::test_names")
@pytest.mark.dependency("test_first::test_error_code_first_wins")
def test_two_dependencies_one_failed():
    pass


@pytest.mark.dependency("test_frist::test_names")
def test_typo_in_target():
    pass


def test_later():
    pass
'''

CONFTEST = '''
import pytest
from hardpy import JsonLoader, get_current_report


def save_reports():
    JsonLoader().load(get_current_report())
    JsonLoader("named").load(get_current_report(), "board-7")


@pytest.fixture(scope="session", autouse=True)
def fill_actions_after_test(post_run_functions: list):
    post_run_functions.append(save_reports)
    yield
'''

TOML = '''
tests_name = "Parity"
current_test_config = ""

[frontend]
host = "localhost"
port = 8000

[[test_configs]]
name = "Config 1"
file = "config1_pytest.ini"

[[test_configs]]
name = "Config 2"
file = "config2_pytest.ini"
'''


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    plan = Plan(tmp_path_factory.mktemp("parity"))
    plan.write("hardpy.toml", TOML)
    plan.write("pytest.ini", "[pytest]\naddopts = --hardpy-pt --strict-markers\n")
    plan.write("conftest.py", CONFTEST)
    plan.write("test_first.py", FIRST)
    plan.write("test_second.py", SECOND)
    result = plan.pytest("--hardpy-start-arg", "mode=debug", "--hardpy-sp", "1",
                         "--hardpy-sh", "localhost", "--hardpy-config-file", ".",
                         "--hardpy-current-test-config", "Config 2", "--sc-autosync",
                         "-p", "no:randomly", "-W", "error::DeprecationWarning",
                         input="Lit\nSN-1\nf\n\n")
    return plan, result, plan.export()


def _case(report, module, case):
    return report["modules"][module]["cases"][case]


def test_the_run_ends_as_under_hardpy(parity):
    _, result, report = parity
    RunReport.model_validate(report)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 failed, 12 passed, 1 skipped" in result.stdout, result.stdout
    assert "Lit or Dark? (p = Lit, f = Dark)" in result.stdout  # button_text named


def test_error_code_fails_the_case_with_its_text_and_the_first_code_stays(parity):
    _, _, report = parity
    assert report["error_code"] == 7
    # Measured under HardPy 0.25.2: the assert's text, then the failed comparison.
    assert _case(report, "test_first", "test_error_code_first_wins")["assertion_msg"] == (
        "AssertionError: no answer from DUT\nassert 1 == 2")
    assert _case(report, "test_first", "test_error_code_without_message")[
        "assertion_msg"] == "AssertionError: Error code = 9\nassert 1 == 2"


def test_groups_and_names_as_hardpy_reads_them(parity):
    _, _, report = parity
    first, second = report["modules"]["test_first"], report["modules"]["test_second"]
    assert (first["name"], first["group"]) == ("test_first", "setup")
    assert (second["name"], second["group"]) == ("test_second", "main")
    names = first["cases"]["test_names"]
    assert (names["name"], names["group"], names["status"]) == ("test_names", "teardown",
                                                                "passed")
    assert first["cases"]["test_error_code_first_wins"]["group"] == "main"


def test_a_failing_measurement_is_recorded_and_the_asserts_decide(parity):
    _, _, report = parity
    case = _case(report, "test_first", "test_failing_measurement_is_only_recorded")
    assert case["status"] == "passed"
    assert case["measurements"][0]["result"] is False


def test_limits_without_an_operation_are_kept_unjudged(parity):
    _, _, report = parity
    numeric, string = _case(report, "test_first", "test_limits_without_operation")[
        "measurements"]
    assert (numeric["lower_limit"], numeric["upper_limit"], numeric["result"]) == (1, 2, None)
    assert (string["comparison_value"], string["result"]) == ("b", None)


def test_the_second_attempt_starts_clean(parity):
    _, _, report = parity
    case = _case(report, "test_first", "test_failed_attempt_is_cleared")
    assert (case["status"], case["attempt"], case["msg"], case["artifact"]) == (
        "passed", 2, None, {})


def test_dependencies_as_hardpy_holds_them(parity):
    _, result, report = parity
    assert _case(report, "test_second", "test_target_not_run_yet")["status"] == "passed"
    skipped = _case(report, "test_second", "test_two_dependencies_one_failed")
    assert (skipped["status"], skipped["attempt"]) == ("skipped", 0)  # never ran (HardPy)
    assert (skipped["start_time"], skipped["stop_time"]) == (None, None)
    assert skipped["assertion_msg"] == (
        "Skipped: dependency test_first::test_error_code_first_wins did not pass (failed)")
    assert _case(report, "test_second", "test_typo_in_target")["status"] == "passed"
    assert ("warning: dependency 'test_frist::test_names' names no test; ignored "
            "(in test_second.py::test_typo_in_target)") in result.stdout


def test_json_loader_writes_hardpys_files(parity):
    plan, _, report = parity
    (default,) = (plan.root / "reports").iterdir()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
                        r"\.json", default.name), default.name
    text = default.read_text()
    assert text.startswith('{\n  "id": ')  # indented by 2
    data = json.loads(text)
    assert data["id"] == default.stem and data["name"] == "Parity"
    named = json.loads((plan.root / "named" / "board-7.json").read_text())
    assert named["id"] == "board-7"
    assert named["modules"].keys() == report["modules"].keys()


def test_malformed_dependency_ends_the_session_with_exit_code_5(plan):
    plan.write("test_dep.py", """
        import pytest

        @pytest.mark.dependency("a::b::c")
        def test_marked():
            pass
    """)
    result = plan.pytest()
    assert result.returncode == 5, result.stdout + result.stderr
    assert ("test_dep.py::test_marked: @pytest.mark.dependency takes one 'module::case' or "
            "'module' string, got ('a::b::c',)") in result.stdout + result.stderr
    assert not plan.store_path.exists() or plan.run_ids() == []


def test_hardpy_config_file_names_the_folder_of_hardpy_toml(new_plan):
    project = new_plan("project")
    project.write("stand/hardpy.toml", 'tests_name = "From stand folder"\n')
    project.write("test_one.py", """
        import hardpy

        def test_one():
            assert hardpy.get_hardpy_config().tests_name == "From stand folder"
    """)
    result = project.pytest("--hardpy-pt", "--hardpy-config-file", "stand")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project.root / "stand" / ".bridge" / "runs.db").is_file()


def test_the_strict_rule_fails_the_case_at_the_plans_line(plan):
    plan.write("hardpy.toml", "[stand]\nmeasurements_fail_case = true\n")
    plan.write("test_strict.py", """
        import hardpy
        from hardpy import ComparisonOperation as Op, NumericMeasurement

        def test_by_config():
            hardpy.set_case_measurement(NumericMeasurement(  # the plan's line
                value=5.3, name="rail", unit="V", operation=Op.LE, comparison_value=5.1))

        def test_opted_out():
            hardpy.set_case_measurement(NumericMeasurement(
                value=5.3, operation=Op.LE, comparison_value=5.1), fail_case=False)
    """)
    result = plan.pytest("-p", "no:randomly")
    assert result.returncode == 1
    assert "1 failed, 1 passed" in result.stdout
    assert ">       hardpy.set_case_measurement(NumericMeasurement(  # the plan's line" in (
        result.stdout), result.stdout
    assert "test_strict.py:5: MeasurementFailed" in result.stdout
    assert "bridge/api.py" not in result.stdout and "bridge/plugin.py" not in result.stdout
    assert "MeasurementFailed: measurement failed: rail = 5.3 V, expected le 5.1" in (
        result.stdout)
    cases = plan.export()["modules"]["test_strict"]["cases"]
    assert cases["test_opted_out"]["status"] == "passed"


@pytest.mark.parametrize(("make", "text"), [
    (lambda: Chart().add_series([], []), "a series cannot be empty"),
    (lambda: Chart(x_data=[[]], y_data=[[]], marker_name=[None]), "cannot be empty"),
    (lambda: Chart(x_data=[[1]], y_data=[[2]]), "marker_name holds 0 names for 1 series"),
    (lambda: Chart(x_data=[[1, 2]], y_data=[[2]], marker_name=["a"]), "x has 2 points"),
])
def test_chart_validates_as_hardpys(make, text):
    with pytest.raises(ValueError, match=text):
        make()


def test_a_valid_chart_and_unjudged_measurements_build():
    chart = Chart(x_data=[[1, 2]], y_data=[[3, 4]], marker_name=[None])
    chart.add_series([0], [1], "second")
    assert chart.to_report()["marker_name"] == [None, "second"]
    assert NumericMeasurement(value=1, comparison_value=3).result is None
    assert StringMeasurement(value="x", comparison_value="y").result is None
