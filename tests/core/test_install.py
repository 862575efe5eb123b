"""What a pip user meets: the wheel's contents, ``bridge init``, ``python -m bridge``,
the message outside a test plan, and one line naming a missing extra.

The wheel is built from this tree and installed into a fresh venv without its
dependencies, which it borrows from the venv running the tests (a path line in a .pth
file: that venv's own .pth files, such as the editable install's, are not read), so
the test needs no download beyond the build backend and proves that the package itself,
not the clone, carries LICENSE and the reference plan.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pip
import pytest
from plan_support import Plan, run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomli is a dependency below 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
HIL_NOT_SHIPPED = {"demo.py"}  # `make demo`'s script, tied to the clone


def run(args: list[str | Path], cwd: Path,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env or Plan.env())


@pytest.fixture(scope="module")
def wheel(built_once) -> Path:
    """The wheel built from this tree (once for the run's workers)."""

    def build(out: Path) -> None:
        # pyproject's build backend (a dev dependency) called as pip calls it, without
        # pip's start-up and its second process: ~0.3 s of CPU instead of ~1.3 s
        backend = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
        call = (f"import {backend['build-backend']} as backend;"
                f" backend.build_wheel({str(out)!r})")
        built = run([sys.executable, "-c", call], ROOT)
        assert built.returncode == 0, built.stderr[-3000:]

    (path,) = built_once("wheel", build).glob("stand_bridge-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel: Path, built_once) -> Path:
    """A fresh venv holding the wheel (once for the run's workers); its python's folder."""

    def build(root: Path) -> None:
        made = run([sys.executable, "-m", "venv", "--without-pip", root], root)
        assert made.returncode == 0, made.stderr
        # `pip install` run by the venv's python, as its own pip would be: this venv's
        # pip, lent on PYTHONPATH (one pip process; `pip --python` starts two)
        lent = root.parent / "lent-pip"
        lent.mkdir(exist_ok=True)
        (lent / "pip").unlink(missing_ok=True)
        (lent / "pip").symlink_to(Path(pip.__file__).parent)
        installed = run([_bin(root) / "python", "-m", "pip", "install", "-q", "--no-deps",
                         "--disable-pip-version-check", wheel], root,
                        env={**Plan.env(), "PYTHONPATH": str(lent)})
        assert installed.returncode == 0, installed.stderr[-3000:]
        site = Path(run([_bin(root) / "python", "-c",
                         "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        root).stdout.strip())
        (site / "borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    return _bin(built_once("venv", build))


def _bin(root: Path) -> Path:
    return root / ("Scripts" if os.name == "nt" else "bin")


def test_the_wheel_carries_the_license_and_the_whole_reference_plan(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "stand_bridge-0.1.0.dist-info/licenses/LICENSE" in names
    plan_files = {path.relative_to(ROOT / "hil").as_posix()
                  for path in (ROOT / "hil").rglob("*")
                  if path.is_file() and not {".bridge", "__pycache__"} & set(path.parts)}
    assert "firmware/sample-board-1.1.0.bin" in plan_files
    shipped = {name.removeprefix("bridge/_hil/") for name in names
               if name.startswith("bridge/_hil/")}
    assert shipped == plan_files - HIL_NOT_SHIPPED  # a new hil/ file needs pyproject's list


def test_a_pip_user_gets_the_reference_plan_and_runs_it(venv, tmp_path):
    where = run([venv / "python", "-c", "import bridge; print(bridge.__file__)"], tmp_path)
    assert str(venv.parent) in where.stdout, where  # the wheel's bridge, not the clone's
    made = run([venv / "bridge", "init", "plan"], tmp_path)
    assert made.returncode == 0, made.stderr
    assert "cd plan && pytest --stand sim" in made.stdout
    plan = tmp_path / "plan"
    assert sorted(p.name for p in plan.iterdir()) == ["firmware", "hardpy.toml",
                                                      "test_sample_board.py"]
    assert (plan / "firmware" / "sample-board-1.1.0.bin").read_bytes() == (
        ROOT / "hil" / "firmware" / "sample-board-1.1.0.bin").read_bytes()
    tested = run([venv / "python", "-m", "pytest", "--stand", "sim", "-q",
                  "-p", "no:cacheprovider"], plan)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "7 passed" in tested.stdout
    again = run([venv / "bridge", "init", "plan"], tmp_path)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        "init: error: plan already has firmware, hardpy.toml, test_sample_board.py; "
        "give an empty or new folder"]


def test_python_dash_m_bridge_works_without_the_scripts_folder(venv, tmp_path):
    shown = run([venv / "python", "-m", "bridge", "--help"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: python -m bridge ")
    assert "init" in shown.stdout


def test_outside_a_test_plan_the_commands_say_no_hardpy_toml_was_found(tmp_path):
    for command in (["runs"], ["show", "last"], ["sync", "--status"]):
        if command == ["runs"]:  # as a shell runs it; the others in this process
            result = run([sys.executable, "-m", "bridge", *command], tmp_path)
        else:
            result = run_cli(command, tmp_path)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"{command[0]}: error: no hardpy.toml found in {tmp_path.resolve()} or above "
            "(run this in a test-plan folder, give --config FILE or --store PATH, or start "
            "a plan with `bridge init DIR`)"]
    assert not (tmp_path / ".bridge").exists()


def test_a_missing_extra_is_one_line_naming_it(tmp_path):
    blocked = ("import sys; sys.modules['starlette'] = None; from bridge.cli.main import main;"
               " sys.exit(main(['cloud-sim', '--port', '0']))")
    result = run([sys.executable, "-c", blocked], tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "cloud-sim: error: this needs the 'sim' extra: pip install 'stand-bridge[sim]' "
        "(module 'starlette' is not installed)"]


def test_the_simulated_stand_without_pyvisa_sim_names_the_sim_extra(tmp_path):
    plan = Plan(tmp_path / "plan")
    plan.write("hardpy.toml", (ROOT / "hil" / "hardpy.toml").read_text(encoding="utf-8"))
    plan.write("test_nothing.py", "def test_nothing(): pass\n")
    blocked = ("import sys; sys.modules['pyvisa_sim'] = None; import pytest;"
               " sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '--stand', 'sim']))")
    result = run([sys.executable, "-c", blocked], plan.root)
    assert result.returncode == 4, result.stdout
    assert result.stderr.strip() == (
        "ERROR: --stand sim: the simulated stand needs the 'sim' extra: "
        "pip install 'stand-bridge[sim]' (module 'pyvisa_sim' is not installed)")


def test_pytest_n_without_xdist_names_the_parallel_extra(plan):
    result = plan.pytest("-p", "no:xdist", "-n", "2")
    assert result.returncode == 4
    assert result.stderr.strip() == (
        "ERROR: -n (DUT slots in parallel) needs pytest-xdist, which is not loaded "
        "(-p no:xdist?); it is the 'parallel' extra: pip install 'stand-bridge[parallel]'")


def test_pytest_n_outside_a_test_plan_is_left_to_pytest(new_plan):
    result = new_plan("unrelated").pytest("-p", "no:xdist", "-n", "2")
    assert result.returncode == 4
    assert "unrecognized arguments: -n" in result.stderr
    assert "stand-bridge" not in result.stderr
