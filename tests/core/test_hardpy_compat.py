"""A HardPy project's own pytest.ini, conftest and options run here unchanged."""

import json
import socket


def _hardpy_project(new_plan, addopts: str):
    """A HardPy-style project: enabled by pytest.ini (no hardpy.toml), post-run hooks."""
    project = new_plan("hardpy_project")
    project.write("pytest.ini", f"[pytest]\naddopts = --hardpy-pt {addopts}\n")
    project.write("conftest.py", """
        import json
        import pytest
        import hardpy

        def write_summary():
            report = hardpy.get_current_report()
            with open("post_run.json", "w") as out:
                json.dump({"status": report.status, "name": report.name}, out)

        @pytest.fixture(scope="session", autouse=True)
        def fill_actions_after_test(post_run_functions: list):
            post_run_functions.append(write_summary)
            yield
    """)
    return project


def test_hardpy_options_start_args_and_post_run_functions(new_plan):
    project = _hardpy_project(
        new_plan, "--hardpy-db-url http://dev:dev@localhost:5984/ --hardpy-clear-database "
                  "--hardpy-tests-name Board --hardpy-start-arg test_mode=debug "
                  "--hardpy-start-arg device_id=DUT-007 --hardpy-start-arg empty=")
    project.write("test_1.py", """
        import pytest
        import hardpy

        def test_with_start_args():
            assert hardpy.get_start_args() == {
                "test_mode": "debug", "device_id": "DUT-007", "empty": ""}

        def test_duplicate_serial_number_is_hardpy_s_error():
            hardpy.set_dut_serial_number("SN1")
            with pytest.raises(hardpy.DuplicateFieldError):
                hardpy.set_dut_serial_number("SN2")
            with pytest.raises(hardpy.DuplicateSerialNumberError):
                hardpy.set_dut_serial_number("SN3")
    """)
    result = project.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--hardpy-db-url is HardPy's (CouchDB); stand-bridge ignores it" in result.stdout
    assert "--hardpy-clear-database is HardPy's" in result.stdout
    # The post-run function saw the finished run, by the name the option gave it.
    summary = json.loads((project.root / "post_run.json").read_text())
    assert summary == {"status": "passed", "name": "Board"}
    assert project.export()["name"] == "Board"


def test_a_failing_post_run_function_fails_the_session_and_the_others_still_run(new_plan):
    project = _hardpy_project(new_plan, "")
    project.write("conftest.py", """
        import pytest

        def broken():
            raise RuntimeError("upload target is down")

        def after():
            open("after.txt", "w").write("called")

        @pytest.fixture(scope="session", autouse=True)
        def hooks(post_run_functions):
            post_run_functions.extend([broken, after])
    """)
    project.write("test_ok.py", "def test_ok():\n    pass\n")
    result = project.pytest()
    assert result.returncode == 1, result.stdout
    assert "post_run_functions: broken failed: RuntimeError: upload target is down" in (
        result.stdout)
    assert (project.root / "after.txt").read_text() == "called"
    assert project.export()["status"] == "passed"  # the run itself stays what it was


def test_a_start_arg_without_a_value_is_a_usage_error_naming_it(new_plan):
    project = _hardpy_project(new_plan, "--hardpy-start-arg device_id")
    project.write("test_ok.py", "def test_ok():\n    pass\n")
    result = project.pytest()
    assert result.returncode == 4
    assert "--hardpy-start-arg takes KEY=VALUE, got 'device_id'" in result.stderr


def test_sc_connection_only_refuses_to_start_when_standcloud_is_unreachable(new_plan):
    with socket.socket() as probe:  # a loopback port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    project = _hardpy_project(
        new_plan, f"--sc-address https://127.0.0.1:{port} --sc-connection-only")
    project.write("test_ok.py", "def test_ok():\n    pass\n")
    result = project.pytest()
    assert result.returncode != 0
    assert "StandCloud is not reachable" in result.stdout + result.stderr
    assert not (project.root / "post_run.json").exists()


def test_a_conftest_loading_into_couchdb_runs_and_is_told_the_run_is_stored(new_plan):
    project = _hardpy_project(new_plan, "")
    project.write("conftest.py", """
        import pytest
        from hardpy import CouchdbConfig, CouchdbLoader, get_current_report

        def finish_executing():
            report = get_current_report()
            if report:
                CouchdbLoader(CouchdbConfig(db_name="report", port=5984)).load(report)

        @pytest.fixture(scope="session", autouse=True)
        def fill_actions_after_test(post_run_functions: list):
            post_run_functions.append(finish_executing)
            yield
    """)
    project.write("test_ok.py", "def test_ok():\n    pass\n")
    result = project.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CouchdbLoader.load() does nothing here" in result.stdout + result.stderr
    assert project.export()["status"] == "passed"


def test_hardpy_panel_commands_say_to_run_pytest(new_plan):
    project = new_plan("cli")
    result = project.bridge("run", "tests")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "run: error: HardPy's operator panel is not part of stand-bridge; run the test plan "
        "with `pytest tests` (dialogs are answered in the terminal)")


def test_a_skipped_critical_case_stops_the_run_as_in_hardpy(plan):
    plan.write("test_stop.py", """
        import pytest

        @pytest.mark.critical
        def test_fixture_present():
            pytest.skip("no fixture on this stand")

        def test_after():
            pass
    """)
    result = plan.pytest()
    assert result.returncode == 0, result.stdout
    cases = plan.export()["modules"]["test_stop"]["cases"]
    assert cases["test_fixture_present"]["status"] == "skipped"
    assert cases["test_after"]["status"] == "skipped"
    assert "critical case test_stop::test_fixture_present skipped" in (
        cases["test_after"]["assertion_msg"])


def test_set_instrument_and_sub_unit_take_keywords_as_in_hardpy_docs(plan):
    plan.write("test_kw.py", """
        import pytest
        import hardpy

        def test_equipment():
            hardpy.set_stand_name("A")
            hardpy.set_dut_part_number("PN")
            hardpy.set_instrument(name="Oscilloscope", revision="1.2", number=1,
                                  info={"model": "DSO-X 2024A", "bandwidth": "200MHz"})
            hardpy.set_instrument(hardpy.Instrument(name="DMM"))
            hardpy.set_dut_sub_unit(name="Daughter board", serial_number="DB-1")
            with pytest.raises(ValueError, match="bandwith"):
                hardpy.set_instrument(name="Scope", bandwith="200MHz")
            with pytest.raises(TypeError, match="or its fields as keywords"):
                hardpy.set_instrument(hardpy.Instrument(name="DMM"), number=2)
    """)
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    report = plan.export()
    scope, dmm = report["test_stand"]["instruments"]
    assert (scope["name"], scope["revision"], scope["number"]) == ("Oscilloscope", "1.2", 1)
    assert scope["info"] == {"model": "DSO-X 2024A", "bandwidth": "200MHz"}
    assert dmm["name"] == "DMM"
    assert report["dut"]["sub_units"][0]["serial_number"] == "DB-1"


def test_info_takes_datetimes_as_hardpy_does_and_stores_iso_text(plan):
    plan.write("test_dates.py", """
        from datetime import date, datetime
        import hardpy

        def test_dates():
            hardpy.set_process_info({"stage": "production",
                                     "started_at": datetime(2026, 11, 25, 8, 30)})
            hardpy.set_stand_info({"calibration_date": date(2026, 1, 15), "temperature": 23.5})
            hardpy.set_instrument(name="DMM", info={"calibrated": date(2026, 2, 1)})
    """)
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    report = plan.export()
    assert report["process"]["info"]["started_at"] == "2026-11-25T08:30:00"
    assert report["test_stand"]["info"] == {"calibration_date": "2026-01-15",
                                            "temperature": 23.5}
    assert report["test_stand"]["instruments"][0]["info"] == {"calibrated": "2026-02-01"}


def test_a_conftest_under_ini_testpaths_imports_hardpy(new_plan):
    project = new_plan("testpaths")  # hardpy.toml in plans/, pytest run from above
    project.write("pytest.ini", "[pytest]\ntestpaths = plans\n")
    project.write("plans/hardpy.toml", 'title = "x"\n')
    project.write("plans/conftest.py", "import hardpy\n")
    project.write("plans/test_a.py", "def test_a():\n    pass\n")
    result = project.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
