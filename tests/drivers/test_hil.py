"""The reference plan hil/ on the simulated stand: one run, and two slots with -n 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from plan_support import Plan

HIL = Path(__file__).resolve().parents[2] / "hil"


@pytest.fixture
def hil(tmp_path) -> Plan:
    target = tmp_path / "hil"
    shutil.copytree(HIL, target, ignore=shutil.ignore_patterns(".bridge", "__pycache__"))
    return Plan(target)


def test_hil_on_the_simulated_stand_stores_identities_and_judged_measurements(hil):
    result = hil.pytest("--stand", "sim")
    assert result.returncode == 0, result.stdout + result.stderr
    report = hil.export()
    stand = report["test_stand"]
    assert {name: d["model"] for name, d in stand["drivers"].items()} == {
        "psu": "PSU-3CH", "dmm": "DMM-65", "dut": "SB-100"}
    assert {i["name"] for i in stand["instruments"]} == {"psu", "dmm", "dut"}
    assert all(i["serial_number"] and i["revision"] for i in stand["instruments"])
    dut = report["dut"]
    assert dut["part_number"] == "SB-100"
    assert dut["serial_number"] == stand["drivers"]["dut"]["serial"]
    assert dut["info"]["firmware_version"] == "1.1.0"
    assert len(dut["info"]["firmware_sha256"]) == 64
    measurements = [m for module in report["modules"].values()
                    for case in module["cases"].values() for m in case["measurements"]]
    numeric = [m for m in measurements if m["type"] == "numeric"]
    assert {m["name"] for m in numeric} >= {"supply voltage", "rail VIN", "rail 3V3", "rail 1V8",
                                             "supply current"}
    assert all(m["operation"] == "gele" and m["lower_limit"] is not None
               and m["upper_limit"] is not None and m["result"] is True for m in numeric)
    assert all(m["result"] is True for m in measurements)


def test_two_slots_store_two_runs_with_their_own_duts_and_never_interleave(hil):
    result = hil.pytest("--stand", "sim", "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [hil.export(run_id) for run_id in hil.run_ids()]
    assert len(runs) == 2
    assert all(run["status"] == "passed" for run in runs)
    serials = {run["dut"]["serial_number"] for run in runs}
    assert len(serials) == 2
    slots = {run["test_stand"]["drivers"]["dut"]["slot"] for run in runs}
    assert slots == {"a", "b"}
    stats = [json.loads(p.read_text()) for p in (hil.root / ".bridge" / "locks").glob("*.json")]
    shared = {s["instrument"] for s in stats}
    assert shared == {"psu", "dmm"}  # the DUT is per slot, not shared
    assert sum(s["transactions"] for s in stats) > 20
    assert sum(s["violations"] for s in stats) == 0
    assert sum(s["commands"] for s in stats) >= sum(s["transactions"] for s in stats)
    assert sum(s["unguarded"] for s in stats) == 0  # every command arrived inside a transaction
    assert not (hil.root / ".bridge" / "locks" / "psu.violations").exists()
