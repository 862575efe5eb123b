"""The StandCloud simulator serves the run page and the production view, behind its login."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from production_store import DAY, PART, make_store
from report_browser import Browser, assert_seen_cleanly

from bridge.cloud.sim import SimConfig, SimServer
from bridge.report import build_report

LOGIN = ("demo", "demo-password")


@pytest.fixture(scope="module")
def sim_with_reports(rich_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    store = make_store(folder / "runs.db", time.time() - 3 * DAY)
    reports = [build_report(store.conn, run_id) for (run_id,) in
               store.conn.execute("SELECT id FROM runs ORDER BY start_time")]
    store.close()
    rich = rich_run.export()
    with SimServer(SimConfig(data_dir=folder / "data", api_key="k")) as sim:
        sim.start()
        with httpx.Client(base_url=sim.url, headers={"Authorization": "Bearer k"}) as http:
            for report in [*reports, rich]:
                posted = http.post("/hardpy/api/v1/test_report", content=json.dumps(report),
                                   headers={"Content-Type": "application/json"})
                assert posted.status_code == 201, posted.text
        yield sim, rich["id"], folder


def test_pages_ask_for_a_login(sim_with_reports):
    sim, run_id, _ = sim_with_reports
    for path in (f"/reports/run/{run_id}", f"/reports/production?part_number={PART}"):
        anonymous = httpx.get(sim.url + path)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
        wrong = httpx.get(sim.url + path, auth=("demo", "wrong"))
        assert wrong.status_code == 401


def test_the_run_page_of_an_uploaded_run(sim_with_reports, tmp_path, browser: Browser):
    sim, run_id, _ = sim_with_reports
    answer = httpx.get(f"{sim.url}/reports/run/{run_id}", auth=LOGIN)
    assert answer.status_code == 200
    page = tmp_path / "run.html"
    page.write_text(answer.text, encoding="utf-8")
    seen = browser.open(page)
    assert_seen_cleanly(seen, page)
    assert "FAIL" in seen.dom and "SN-0042" in seen.dom and "Ada Operator" in seen.dom
    assert len(seen.charts) == 2
    # an API key works too, as for the stand API
    keyed = httpx.get(f"{sim.url}/reports/run/{run_id}", headers={"Authorization": "Bearer k"})
    assert keyed.status_code == 200
    assert httpx.get(f"{sim.url}/reports/run/nope", auth=LOGIN).status_code == 404


def test_the_production_view_of_what_was_uploaded(sim_with_reports, tmp_path, browser: Browser):
    sim, _, _ = sim_with_reports
    answer = httpx.get(f"{sim.url}/reports/production", params={"part_number": PART},
                       auth=LOGIN)
    assert answer.status_code == 200
    page = tmp_path / "production.html"
    page.write_text(answer.text, encoding="utf-8")
    seen = browser.open(page)
    assert_seen_cleanly(seen, page)
    # the same numbers as the stand's own page (tests/report/test_production_page.py)
    assert "First-pass yield 90.0 % · final yield 97.5 %" in seen.dom
    assert "2 of 3 points beyond 2 sigma on one side" in seen.dom
    missing = httpx.get(f"{sim.url}/reports/production", auth=LOGIN)
    assert missing.status_code == 400


def test_the_production_view_counts_hardpy_runs_that_share_one_id(rich_run, tmp_path):
    """HardPy's client sends every run of a stand as `localhost_8000` and leaves out the
    None-valued top-level keys: each run is still a run of the production view."""
    report = rich_run.export()
    with SimServer(SimConfig(data_dir=tmp_path / "data", api_key="k")) as sim:
        sim.start()
        with httpx.Client(base_url=sim.url, headers={"Authorization": "Bearer k"}) as http:
            for serial in ("HP-1", "HP-2"):
                body = {key: value for key, value in report.items() if value is not None}
                body["id"] = "localhost_8000"
                body["dut"] = {**report["dut"], "serial_number": serial}
                assert http.post("/hardpy/api/v1/test_report", json=body).status_code == 201
        part = report["dut"]["part_number"]
        answer = httpx.get(f"{sim.url}/reports/production", params={"part_number": part},
                           auth=LOGIN)
        run_page = httpx.get(f"{sim.url}/reports/run/localhost_8000", auth=LOGIN)
    assert answer.status_code == 200, answer.text
    assert " 2 runs</small>" in answer.text  # two runs, not one id stored once
    assert run_page.status_code == 200 and "HP-1" in run_page.text
