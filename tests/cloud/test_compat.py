"""HardPy's StandCloud classes in a HardPy conftest and script, against the simulator.

The uploading session runs once per module; two tests read what it left behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from plan_support import Plan

from bridge.cloud.sim import SimConfig, SimServer
from bridge.store import Store

PLAN = """
import hardpy

def test_example():
    hardpy.set_dut_part_number("PN-7")
    hardpy.set_stand_name("stand-7")
"""

# HardPy's documented pattern: the conftest uploads the finished run itself.
CONFTEST = """
import json
import pytest
from hardpy import StandCloudError, StandCloudLoader, get_current_report

def finish_executing():
    report = get_current_report()
    try:
        response = StandCloudLoader().load(report)
        answer = {"status": response.status_code, "id": report.id}
    except StandCloudError as exc:
        answer = {"error": str(exc)}
    with open("upload.json", "w") as out:
        json.dump(answer, out)

@pytest.fixture(scope="session", autouse=True)
def fill_actions_after_test(post_run_functions: list):
    post_run_functions.append(finish_executing)
    yield
"""


def _hardpy_plan(plan: Plan, sim: SimServer) -> Plan:
    plan.write("hardpy.toml", f'[stand_cloud]\naddress = "{sim.address}"\nautosync = true\n')
    plan.write("conftest.py", CONFTEST)
    plan.write("test_plan.py", PLAN)
    return plan


def _session(plan: Plan, sim: SimServer, tokens: Path, *, api_key: bool = True):
    with pytest.MonkeyPatch.context() as patch:
        if api_key:
            patch.setenv("HARDPY_SC_API_KEY", sim.api_key)
        patch.setenv("BRIDGE_SC_ADDRESS", sim.address)
        patch.setenv("BRIDGE_TOKEN_DIR", str(tokens))
        patch.setenv("BRIDGE_TOKEN_STORE", "file")
        return plan.pytest()


@pytest.fixture(scope="module")
def module_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    with SimServer(SimConfig(data_dir=tmp_path_factory.mktemp("sim"), interval=0.01)) as sim:
        yield sim


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory, module_sim):
    """One HardPy session whose conftest uploads the run (its seconds spent once)."""
    plan = _hardpy_plan(Plan(tmp_path_factory.mktemp("plan")), module_sim)
    return plan, _session(plan, module_sim, tmp_path_factory.mktemp("tokens"))


def test_loader_in_post_run_functions_uploads_once_and_the_outbox_knows(uploaded, module_sim):
    hardpy_plan, result = uploaded
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads((hardpy_plan.root / "upload.json").read_text())
    assert answer["status"] == 201
    assert module_sim.db.report(answer["id"])["dut"]["part_number"] == "PN-7"
    # autosync found it uploaded and did not send it again: one POST reached the server
    assert len(module_sim.db.execute("SELECT * FROM report_posts")) == 1
    assert "StandCloud: nothing to upload" in result.stdout
    with Store.open(hardpy_plan.store_path, create=False) as store:
        assert store.conn.execute("SELECT state FROM outbox").fetchall() == [("uploaded",)]


def test_loader_without_a_login_raises_standcloud_error(plan, sim, _isolated_tokens):
    hardpy_plan = _hardpy_plan(plan, sim)
    result = _session(hardpy_plan, sim, _isolated_tokens, api_key=False)
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads((hardpy_plan.root / "upload.json").read_text())
    assert "sc-login" in answer["error"]
    assert sim.db.report_count() == 0


def test_reader_answers_test_run_and_tested_dut_as_http_responses(uploaded, module_sim,
                                                                  monkeypatch):
    from bridge import StandCloudConnector, StandCloudReader

    hardpy_plan, result = uploaded
    assert result.returncode == 0, result.stdout + result.stderr
    run_id = json.loads((hardpy_plan.root / "upload.json").read_text())["id"]
    monkeypatch.setenv("HARDPY_SC_API_KEY", module_sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", module_sim.address)
    monkeypatch.chdir(hardpy_plan.root)  # a script beside hardpy.toml: its TLS and key settings
    reader = StandCloudReader(StandCloudConnector(addr=module_sim.address))
    one = reader.test_run(run_id=run_id)
    assert (one.status_code, one.json()["test_run_id"]) == (200, run_id)
    listed = reader.test_run(params={"part_number": "PN-7"})
    assert listed.status_code == 200 and run_id in listed.text
    assert reader.tested_dut({"part_number": "PN-7"}).status_code == 200
    assert reader.test_run(run_id="no-such-run").status_code == 404
