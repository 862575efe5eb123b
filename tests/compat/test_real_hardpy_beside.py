"""Real HardPy and stand-bridge in one venv: pytest keeps working everywhere, HardPy's
config loader takes every hardpy.toml we show, and `hardpy` is HardPy's command."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import textwrap
from pathlib import Path

import pytest
from compat_venv import HARDPY_VERSION, REPO, run
from plan_support import bridge_piped

# HardPy's own loader: a file it refuses comes back as None (then it uses its defaults)
LOAD = """\
import json, sys
from pathlib import Path
from hardpy.common.config import ConfigManager

print(json.dumps({folder: ConfigManager().read_config(Path(folder)) is not None
                  for folder in sys.argv[1:]}))
"""


def _cloud_sim_snippet(tmp_path: Path) -> str:
    """The hardpy.toml lines `bridge cloud-sim --https` prints."""
    proc = bridge_piped("cloud-sim", "--https", "--port", "0", "--data-dir",
                        str(tmp_path / "sim"), cwd=tmp_path)
    lines = []
    try:
        for line in proc.stdout:
            if line.startswith("Log in with"):
                break
            lines.append(line)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    start = lines.index("hardpy.toml:\n") + 1
    block = [line for line in lines[start:] if line.startswith("  ")]
    return textwrap.dedent("".join(block[: len(block)]))


def _shown_configs(tmp_path: Path) -> dict[str, str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = {f"README block {n}": block for n, block in
             enumerate(re.findall(r"```toml\n(.*?)```", readme, re.S), start=1)}
    shown["hil/hardpy.toml"] = (REPO / "hil" / "hardpy.toml").read_text(encoding="utf-8")
    shown["bridge cloud-sim --https"] = _cloud_sim_snippet(tmp_path)
    return shown


def test_hardpy_loader_accepts_every_hardpy_toml_we_show(hardpy_python, tmp_path):
    shown = _shown_configs(tmp_path)
    assert len(shown) >= 6 and "[bridge.stand_cloud]" in shown["bridge cloud-sim --https"]
    # the control: our keys in HardPy's [stand_cloud] are refused, so a refusal is seen
    shown["old placement"] = '[stand_cloud]\naddress = "127.0.0.1:9"\nca_file = "ca.pem"\n'
    folders = {}
    for n, (name, text) in enumerate(shown.items()):
        folder = tmp_path / f"config{n}"
        folder.mkdir()
        (folder / "hardpy.toml").write_text(text, encoding="utf-8")
        folders[str(folder)] = name
    result = run(hardpy_python, "-c", LOAD, *folders, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    accepted = {folders[folder]: ok for folder, ok in json.loads(result.stdout).items()}
    assert accepted.pop("old placement") is False
    assert accepted == dict.fromkeys(accepted, True), result.stderr


def _folder(tmp_path: Path, name: str, toml: str | None, test: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    if toml is not None:
        (folder / "hardpy.toml").write_text(toml)
    (folder / "test_one.py").write_text(test)
    return folder


def _pytest(python: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(python, "-m", "pytest", "-p", "no:cacheprovider", *args, cwd=folder)


def test_pytest_works_in_a_folder_without_hardpy_toml(hardpy_python, tmp_path):
    folder = _folder(tmp_path, "plain", None, "def test_one():\n    assert 1 + 1 == 2\n")
    result = _pytest(hardpy_python, folder)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    assert "steps aside" not in result.stdout  # nothing to say where we were not asked
    help_text = _pytest(hardpy_python, folder, "--help")
    assert help_text.returncode == 0 and "--bridge" in help_text.stdout
    assert help_text.stdout.count("--hardpy-db-url") == 1  # HardPy's option, only HardPy's


def test_a_plan_folder_is_left_to_hardpy_and_we_say_so_once(hardpy_python, tmp_path):
    folder = _folder(tmp_path, "plan", 'title = "Plan"\n',
                     "import hardpy\n\ndef test_one():\n    assert hardpy.__name__ == 'hardpy'\n")
    result = _pytest(hardpy_python, folder, "-q")
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    assert result.stdout.count(f"HardPy {HARDPY_VERSION} is installed, so stand-bridge steps"
                               " aside") == 1
    assert not (folder / ".bridge").exists()  # nothing recorded by us


# The two ways to ask: an option (--bridge-config is the same flag as --bridge, as
# test_config_bridge_section checks without HardPy) and the plan's hardpy.toml.
@pytest.mark.parametrize("how", ["--bridge", "[bridge] enabled = true"])
def test_asked_explicitly_we_record_and_hardpy_is_ours(hardpy_python, tmp_path, how):
    toml = 'title = "Plan"\n' + ("[bridge]\nenabled = true\n" if how.startswith("[") else "")
    plan = ("import hardpy\n\ndef test_one():\n    assert hardpy.__name__ == 'bridge'\n"
            "    hardpy.set_dut_serial_number('SN-9')\n")
    folder = _folder(tmp_path, "plan", toml, plan)
    result = _pytest(hardpy_python, folder, *(["--bridge"] if how == "--bridge" else []))
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    assert "steps aside" not in result.stdout
    assert (folder / ".bridge" / "runs.db").is_file()


def test_our_hardpy_command_hands_over_to_hardpys(hardpy_python, tmp_path):
    ours = "import sys; from bridge.cli.main import hardpy_main; sys.exit(hardpy_main())"
    result = run(hardpy_python, "-c", ours, "--version", cwd=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, HARDPY_VERSION), result.stderr
    hardpy = hardpy_python.parent / "hardpy"  # pip's winner, run as its #! line says
    assert hardpy.read_text().startswith(f"#!{hardpy_python}\n")
    script = run(hardpy_python, str(hardpy), "--version", cwd=tmp_path)
    assert script.stdout.strip() == HARDPY_VERSION
