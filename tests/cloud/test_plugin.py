"""autosync and connection_only, in real pytest sessions against the live simulator."""

from __future__ import annotations

import pytest

from bridge.store import Store, outbox

PLAN = """
import hardpy

def test_example():
    hardpy.set_dut_part_number("part_number_example")
    hardpy.set_stand_name("stand_name_example")
"""


@pytest.fixture
def cloud_plan(plan, sim, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)

    def configure(**options: object) -> object:
        lines = [f'address = "{sim.address}"']
        lines += [f"{key} = {str(value).lower()}" for key, value in options.items()]
        plan.write("hardpy.toml", "[stand_cloud]\n" + "\n".join(lines) + "\n")
        return plan

    return configure


def _states(plan) -> dict[str, str]:
    with Store.open(plan.store_path, create=False) as store:
        return dict(store.conn.execute("SELECT run_id, state FROM outbox"))


def test_autosync_uploads_the_run_at_the_end_of_the_session(cloud_plan, sim):
    plan = cloud_plan(autosync=True)
    plan.write("test_plan.py", PLAN)
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "StandCloud: 1 uploaded" in result.stdout
    ((run_id, state),) = _states(plan).items()
    assert state == "uploaded"
    assert sim.db.report(run_id)["dut"]["part_number"] == "part_number_example"


def test_autosync_never_fails_the_session_when_standcloud_is_down(cloud_plan, sim):
    plan = cloud_plan(autosync=True)
    plan.write("test_plan.py", PLAN)
    sim.stop()
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "still queued" in result.stdout and "bridge sync" in result.stdout
    assert list(_states(plan).values()) == ["pending"]
    sim.start()
    assert plan.bridge("sync").returncode == 0
    assert list(_states(plan).values()) == ["uploaded"]


def test_autosync_holds_a_run_without_mandatory_fields(cloud_plan, sim):
    plan = cloud_plan(autosync=True)
    plan.write("test_plan.py", "def test_nothing_set():\n    pass\n")
    result = plan.pytest()
    assert result.returncode == 0
    assert "held" in result.stdout and "set_stand_name" in result.stdout
    assert list(_states(plan).values()) == ["held"]
    assert sim.db.report_count() == 0


def test_without_autosync_the_run_stays_queued(cloud_plan, sim):
    plan = cloud_plan()
    plan.write("test_plan.py", PLAN)
    assert plan.pytest().returncode == 0
    assert list(_states(plan).values()) == ["pending"]


def test_connection_only_refuses_to_start_when_the_healthcheck_fails(cloud_plan, sim):
    plan = cloud_plan(connection_only=True)
    plan.write("test_plan.py", PLAN)
    sim.stop()
    result = plan.pytest()
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "connection_only" in result.stderr and "cannot reach StandCloud" in result.stderr
    assert "passed" not in result.stdout


def test_connection_only_runs_when_standcloud_answers(cloud_plan, sim):
    plan = cloud_plan(connection_only=True)
    plan.write("test_plan.py", PLAN)
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr


def test_outbox_status_after_a_session(cloud_plan, sim):
    plan = cloud_plan()
    plan.write("test_plan.py", PLAN)
    plan.pytest()
    with Store.open(plan.store_path, create=False) as store:
        assert outbox.status(store.conn).pending == 1
