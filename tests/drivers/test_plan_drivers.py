"""A plan's own drivers: the README's worked example, run as written, and a refused name.

The example's files are read from README.md (between its ``<!-- example: own-driver``
markers, each fenced block starting ``# file: NAME``), so README and test cannot
drift. Plans run through the ``pytest`` script, not ``python -m pytest``: the plan's
folder is then on ``sys.path`` only if stand-bridge puts it there, as on a stand PC
where the user types ``pytest``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

from plan_support import Plan, own_python

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```\w+\n# file: (?P<name>\S+)\n(?P<body>.*?)```", re.S)


def readme_example(name: str) -> dict[str, str]:
    """``{file name: text}`` of the README's example ``name``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"<!-- example: {name}")
    end = text.index("<!-- /example -->", start)
    files = {match["name"]: match["body"] for match in BLOCK.finditer(text, start, end)}
    assert files, f"no '# file:' blocks in README example {name}"
    return files


def pytest_script(plan: Plan, *args: str) -> subprocess.CompletedProcess[str]:
    """``pytest ARGS`` in the plan's folder, as the user runs it; no PYTHONPATH. The
    script runs forked from the warm python its ``#!`` line names, with ``sys.path``
    made as for a script (its folder first, not the plan's)."""
    script = Path(sysconfig.get_path("scripts")) / "pytest"
    argv = [str(script), "-p", "no:cacheprovider", "-q", *args]
    env = {k: v for k, v in plan.env().items() if k != "PYTHONPATH"}
    warm_is_as_typed = (script.read_text(encoding="utf-8").startswith(f"#!{sys.executable}\n")
                        and "PYTHONPATH" not in Plan.env())  # read by the warm one at start
    if not warm_is_as_typed:  # (a long venv path gets a /bin/sh #! from pip)
        return subprocess.run(argv, cwd=plan.root, capture_output=True, text=True,
                              timeout=120, env=env)
    return own_python().run(argv, cwd=plan.root, env=env, timeout=120)


def write_example(plan: Plan) -> None:
    for name, body in readme_example("own-driver").items():
        path = plan.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


def test_the_readme_driver_example_runs_under_the_simulated_stand(tmp_path):
    plan = Plan(tmp_path / "plan")
    write_example(plan)
    assert {"mydrivers/rigol.py", "mydrivers/dp711.yaml", "hardpy.toml"} <= {
        p.relative_to(plan.root).as_posix() for p in plan.root.rglob("*") if p.is_file()}
    result = pytest_script(plan, "--stand", "sim")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    stand = plan.export()["test_stand"]
    assert stand["drivers"]["psu"]["driver"] == "mydrivers.rigol.DP711"
    assert stand["drivers"]["psu"]["model"] == "DP711"


def test_the_readme_protocol_test_fails_on_a_wrong_byte(tmp_path):
    plan = Plan(tmp_path / "plan")
    write_example(plan)
    driver = plan.root / "mydrivers" / "rigol.py"
    driver.write_text(driver.read_text().replace('"VOLT {value:.3f}"', '"VOLT {value:.2f}"'))
    result = pytest_script(plan, "--stand", "sim", "test_dp711_protocol.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "script expects b'VOLT 5.000\\n'" in result.stdout


def test_a_plan_package_named_drivers_is_refused_naming_what_to_rename(tmp_path):
    plan = Plan(tmp_path / "sb-100")
    for name, body in readme_example("own-driver").items():
        name = name.replace("mydrivers/", "drivers/")
        plan.write(name, body.replace("mydrivers.", "drivers."))
    plan.write("drivers/__init__.py", "")
    for run in (pytest_script(plan, "--stand", "sim"),
                plan.pytest("--stand", "sim")):  # python -m pytest: the plan folder comes first
        assert run.returncode == 4, run.stdout + run.stderr
        message = run.stderr.strip().splitlines()[-1]
        assert "hardpy.toml: instruments:" in message
        assert str(plan.root.resolve() / "drivers") in message
        assert "Rename that folder (e.g. to sb_100_drivers/)" in message
        assert 'driver = "sb_100_drivers.<module>.<Class>"' in message
        assert "Traceback" not in run.stderr


def test_a_driver_module_missing_from_the_plan_folder_says_where_it_was_looked_for(tmp_path):
    plan = Plan(tmp_path / "plan")
    plan.write("hardpy.toml", '[instruments.psu]\ndriver = "nowhere.rigol.DP711"\n'
                              'resource = "TCPIP0::1.2.3.4::5555::SOCKET"\n')
    plan.write("test_x.py", "def test_x(psu): pass\n")
    result = pytest_script(plan)
    assert result.returncode == 4
    assert "instruments.psu.driver: cannot import driver 'nowhere.rigol.DP711'" in result.stderr
    assert f"looked for in the plan's folder {plan.root}" in result.stderr
