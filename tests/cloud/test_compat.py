"""HardPy's StandCloud classes in a HardPy conftest and script, against the live simulator."""

from __future__ import annotations

import json

import pytest

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


@pytest.fixture
def hardpy_plan(plan, sim, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    plan.write("hardpy.toml", f'[stand_cloud]\naddress = "{sim.address}"\nautosync = true\n')
    plan.write("conftest.py", CONFTEST)
    plan.write("test_plan.py", PLAN)
    return plan


def test_loader_in_post_run_functions_uploads_once_and_the_outbox_knows(hardpy_plan, sim):
    result = hardpy_plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads((hardpy_plan.root / "upload.json").read_text())
    assert answer["status"] == 201
    assert sim.db.report(answer["id"])["dut"]["part_number"] == "PN-7"
    # autosync found it uploaded and did not send it again: one POST reached the server
    assert len(sim.db.execute("SELECT * FROM report_posts")) == 1
    assert "StandCloud: nothing to upload" in result.stdout
    with Store.open(hardpy_plan.store_path, create=False) as store:
        assert store.conn.execute("SELECT state FROM outbox").fetchall() == [("uploaded",)]


def test_loader_without_a_login_raises_standcloud_error(hardpy_plan, sim, monkeypatch):
    monkeypatch.delenv("HARDPY_SC_API_KEY")
    result = hardpy_plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads((hardpy_plan.root / "upload.json").read_text())
    assert "sc-login" in answer["error"]
    assert sim.db.report_count() == 0


def test_reader_answers_test_run_and_tested_dut_as_http_responses(hardpy_plan, sim,
                                                                  monkeypatch):
    from bridge import StandCloudConnector, StandCloudReader

    assert hardpy_plan.pytest().returncode == 0
    run_id = json.loads((hardpy_plan.root / "upload.json").read_text())["id"]
    monkeypatch.chdir(hardpy_plan.root)  # a script beside hardpy.toml: its TLS and key settings
    reader = StandCloudReader(StandCloudConnector(addr=sim.address))
    one = reader.test_run(run_id=run_id)
    assert (one.status_code, one.json()["test_run_id"]) == (200, run_id)
    listed = reader.test_run(params={"part_number": "PN-7"})
    assert listed.status_code == 200 and run_id in listed.text
    assert reader.tested_dut({"part_number": "PN-7"}).status_code == 200
    assert reader.test_run(run_id="no-such-run").status_code == 404
