"""The seed's minimal HardPy plan runs unchanged and lands in the store."""

from bridge.report_schema import RunReport


def test_seed_plan_exactly_as_written_exports_part_number_and_stand_name(plan):
    plan.write("test_example.py", """
        import hardpy

        def test_example():
            hardpy.set_dut_part_number("part_number_example")
            hardpy.set_stand_name("stand_name_example")
    """)
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stored in" in result.stdout
    report = plan.export()
    RunReport.model_validate(report)
    assert report["dut"]["part_number"] == "part_number_example"
    assert report["test_stand"]["name"] == "stand_name_example"
    assert report["status"] == "passed"
    assert report["modules"]["test_example"]["cases"]["test_example"]["status"] == "passed"


def test_missing_mandatory_fields_are_named_at_the_end_of_the_run(plan):
    plan.write("test_nothing.py", "def test_nothing():\n    pass\n")
    result = plan.pytest()
    assert result.returncode == 0
    assert "call hardpy.set_dut_part_number(...)" in result.stdout
    assert "call hardpy.set_stand_name(...)" in result.stdout


def test_plugin_stays_out_of_unrelated_projects(new_plan):
    project = new_plan("unrelated")
    project.write("test_plain.py", "def test_plain():\n    assert True\n")
    result = project.pytest()
    assert result.returncode == 0
    assert "stand-bridge" not in result.stdout
    assert not (project.root / ".bridge").exists()


def test_bridge_option_activates_without_a_config_file(new_plan):
    project = new_plan("optin")
    project.write("test_plain.py", "def test_plain():\n    assert True\n")
    result = project.pytest("--hardpy-pt")
    assert result.returncode == 0, result.stdout
    assert (project.root / ".bridge" / "runs.db").exists()
    assert project.export()["name"] == "optin"
