"""autosync and connection_only, in real pytest sessions against the simulator.

A pytest session in its own process costs seconds, so each configuration runs once per
module (module-scoped fixtures) and several tests read what it left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from plan_support import Plan

from bridge.cli.main import main
from bridge.cloud.sim import SimConfig, SimServer
from bridge.store import Store, outbox

PLAN = """
import hardpy

def test_example():
    hardpy.set_dut_part_number("part_number_example")
    hardpy.set_stand_name("stand_name_example")
"""
NO_MANDATORY_FIELDS = "def test_nothing_set():\n    pass\n"


def _configure(plan: Plan, sim: SimServer, **options: object) -> Plan:
    lines = [f'address = "{sim.address}"']
    lines += [f"{key} = {str(value).lower()}" for key, value in options.items()]
    plan.write("hardpy.toml", "[stand_cloud]\n" + "\n".join(lines) + "\n")
    return plan


def _session(plan: Plan, sim: SimServer, tokens: Path) -> CompletedProcess[str]:
    """pytest on the plan, with the simulator's key approved for its address."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARDPY_SC_API_KEY", sim.api_key)
        patch.setenv("BRIDGE_SC_ADDRESS", sim.address)
        patch.setenv("BRIDGE_TOKEN_DIR", str(tokens))
        patch.setenv("BRIDGE_TOKEN_STORE", "file")
        return plan.pytest()


def _states(plan: Plan) -> dict[str, str]:
    with Store.open(plan.store_path, create=False) as store:
        return dict(store.conn.execute("SELECT run_id, state FROM outbox"))


@pytest.fixture(scope="module")
def module_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    """The simulator the module's shared sessions upload to (its own server)."""
    with SimServer(SimConfig(data_dir=tmp_path_factory.mktemp("sim"), interval=0.01)) as sim:
        yield sim


def _module_session(factory: pytest.TempPathFactory, sim: SimServer, plan_text: str,
                    **options: object) -> tuple[Plan, CompletedProcess[str]]:
    plan = _configure(Plan(factory.mktemp("plan")), sim, **options)
    plan.write("test_plan.py", plan_text)
    return plan, _session(plan, sim, factory.mktemp("tokens"))


@pytest.fixture(scope="module")
def autosynced(tmp_path_factory, module_sim):
    return _module_session(tmp_path_factory, module_sim, PLAN, autosync=True)


@pytest.fixture(scope="module")
def autosync_held(tmp_path_factory, module_sim):
    return _module_session(tmp_path_factory, module_sim, NO_MANDATORY_FIELDS, autosync=True)


@pytest.fixture(scope="module")
def checked_not_synced(tmp_path_factory, module_sim):
    """connection_only, no autosync: the session checks StandCloud, uploads nothing."""
    return _module_session(tmp_path_factory, module_sim, PLAN, connection_only=True)


def test_autosync_uploads_the_run_at_the_end_of_the_session(autosynced, module_sim):
    plan, result = autosynced
    assert result.returncode == 0, result.stdout + result.stderr
    assert "StandCloud: 1 uploaded" in result.stdout
    ((run_id, state),) = _states(plan).items()
    assert state == "uploaded"
    assert module_sim.db.report(run_id)["dut"]["part_number"] == "part_number_example"


def test_autosync_holds_a_run_without_mandatory_fields(autosync_held, module_sim):
    plan, result = autosync_held
    assert result.returncode == 0, result.stdout + result.stderr
    assert "held" in result.stdout and "set_stand_name" in result.stdout
    ((run_id, state),) = _states(plan).items()
    assert state == "held"
    assert module_sim.db.report_count(run_id) == 0


def test_connection_only_runs_when_standcloud_answers(checked_not_synced):
    _, result = checked_not_synced
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_without_autosync_the_run_stays_queued(checked_not_synced, module_sim):
    plan, _ = checked_not_synced
    ((run_id, state),) = _states(plan).items()
    assert state == "pending"
    assert module_sim.db.report_count(run_id) == 0


def test_outbox_status_after_a_session(checked_not_synced):
    plan, _ = checked_not_synced
    with Store.open(plan.store_path, create=False) as store:
        assert outbox.status(store.conn).pending == 1


def test_autosync_never_fails_the_session_when_standcloud_is_down(plan, sim, _isolated_tokens,
                                                                  monkeypatch):
    _configure(plan, sim, autosync=True).write("test_plan.py", PLAN)
    sim.stop()
    result = _session(plan, sim, _isolated_tokens)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "still queued" in result.stdout and "bridge sync" in result.stdout
    assert list(_states(plan).values()) == ["pending"]
    sim.start()
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert main(["--config", str(plan.root / "hardpy.toml"), "sync"]) == 0
    assert list(_states(plan).values()) == ["uploaded"]


def test_connection_only_refuses_to_start_when_the_healthcheck_fails(plan, sim,
                                                                     _isolated_tokens):
    _configure(plan, sim, connection_only=True).write("test_plan.py", PLAN)
    sim.stop()
    result = _session(plan, sim, _isolated_tokens)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "connection_only" in result.stderr and "cannot reach StandCloud" in result.stderr
    assert "passed" not in result.stdout
