"""Real HardPy (0.25.2 from PyPI) against our StandCloud simulator, over verified HTTPS.

HardPy checks TLS certificates only under ``python -O``; there ``requests`` trusts
``REQUESTS_CA_BUNDLE``, so the runs below go to the simulator verified against its CA.
"""

from __future__ import annotations

import json
from pathlib import Path

from compat_venv import clean_env, run

from bridge.cloud.sim import SimServer

PLAN_TOML = """\
title = "Compat plan"
tests_name = "Compat plan"

[database]
storage_type = "json"   # HardPy's file storage: no CouchDB needed

[stand_cloud]
address = "{address}"
autosync = true
"""

PLAN = """\
import hardpy

def test_board(hardpy_start_args):
    hardpy.set_dut_serial_number(hardpy_start_args["sn"])
    hardpy.set_dut_part_number("PN-C")
    hardpy.set_stand_name("Stand C")
"""

READ_BACK = """\
import json, sys
from hardpy import StandCloudConnector, StandCloudReader
from hardpy.common.stand_cloud.utils import StandCloudAPIMode

address, key = sys.argv[1:3]
answers = {}
for mode in (StandCloudAPIMode.INTEGRATION, StandCloudAPIMode.HARDPY):
    reader = StandCloudReader(StandCloudConnector(address, api_mode=mode, api_key=key))
    runs = reader.test_run(params={"part_number": "PN-C"})
    ones = [reader.test_run(run_id=run["test_run_id"]) for run in runs.json()]
    duts = reader.tested_dut({"part_number": "PN-C"})
    answers[mode.value] = {
        "codes": [runs.status_code, duts.status_code, *(one.status_code for one in ones)],
        "runs": runs.json(), "ones": [one.json() for one in ones], "duts": duts.json()}
print(json.dumps(answers))
"""


def _plan(folder: Path, sim: SimServer) -> Path:
    folder.mkdir()
    (folder / "hardpy.toml").write_text(PLAN_TOML.format(address=sim.address))
    (folder / "test_board.py").write_text(PLAN)
    return folder


def _hardpy_run(python: Path, plan: Path, sim: SimServer, serial: str, *, trust: bool = True):
    env = clean_env(HARDPY_SC_API_KEY=sim.api_key)
    if trust:
        env["REQUESTS_CA_BUNDLE"] = str(sim.ca_file)
    return run(python, "-O", "-m", "pytest", "-p", "no:cacheprovider", "--hardpy-pt",
               "--sc-address", sim.address, "--hardpy-start-arg", f"sn={serial}",
               cwd=plan, env=env)


def _parked(plan: Path) -> list[Path]:
    """Reports HardPy's autosync could not upload (its temporary store)."""
    return sorted((plan / ".hardpy" / "storage" / "tempstore").glob("*.json"))


def test_hardpy_autosync_stores_each_run_and_its_reader_reads_them_back(
        hardpy_python, tls_sim, tmp_path):
    plan = _plan(tmp_path / "plan", tls_sim)
    for serial in ("SN-1", "SN-2"):
        result = _hardpy_run(hardpy_python, plan, tls_sim, serial)
        assert result.returncode == 0 and "1 passed" in result.stdout, (
            result.stdout + result.stderr)
    # HardPy sends every run of a stand as "localhost_8000": two runs, not one
    assert tls_sim.db.report_count("localhost_8000") == 2
    posts = tls_sim.db.execute("SELECT outcome FROM report_posts")
    assert [p["outcome"] for p in posts] == ["201", "201"]
    assert _parked(plan) == []

    reader = run(hardpy_python, "-O", "-c", READ_BACK, tls_sim.address, tls_sim.api_key,
                 cwd=tmp_path, env=clean_env(REQUESTS_CA_BUNDLE=str(tls_sim.ca_file)))
    assert reader.returncode == 0, reader.stderr
    answers = json.loads(reader.stdout)
    for mode in ("integration", "hardpy"):
        answer = answers[mode]
        assert set(answer["codes"]) == {200}, answer["codes"]
        assert sorted(run["serial_number"] for run in answer["runs"]) == ["SN-1", "SN-2"]
        assert {run["status"] for run in answer["ones"]} == {"PASS"}
        assert {run["test_stand_name"] for run in answer["ones"]} == {"Stand C"}
        assert sorted(dut["serial_number"] for dut in answer["duts"]) == ["SN-1", "SN-2"]


def test_hardpy_without_the_sim_ca_cannot_upload_so_its_tls_check_is_real(
        hardpy_python, tls_sim, tmp_path):
    plan = _plan(tmp_path / "plan", tls_sim)
    result = _hardpy_run(hardpy_python, plan, tls_sim, "SN-4", trust=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tls_sim.db.report_count() == 0
    assert len(_parked(plan)) == 1  # HardPy keeps it for a later sc-sync
