"""One hardpy.toml for HardPy and us: our StandCloud keys live in [bridge.stand_cloud];
the old placement inside HardPy's [stand_cloud] still works, with a notice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bridge.cli.main import main
from bridge.cloud.settings import CloudSettings
from bridge.config import load_config
from bridge.errors import ConfigError

NEW_PLACE = """
[stand_cloud]
address = "127.0.0.1:9"

[bridge.stand_cloud]
verify = false
ca_file = "certs/ca.pem"
fill_unknown = true
"""

OLD_PLACE = """
[stand_cloud]
address = "127.0.0.1:9"
ca_file = "certs/ca.pem"
fill_unknown = true
"""


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hardpy.toml"
    path.write_text(text)
    return path


def test_bridge_stand_cloud_keys_reach_the_client_settings(tmp_path):
    stand = load_config(_config(tmp_path, NEW_PLACE))
    settings = CloudSettings.from_section(stand.model.stand_cloud, root=stand.root)
    assert (settings.verify, settings.ca_file, settings.fill_unknown) == (
        False, tmp_path / "certs" / "ca.pem", True)
    assert stand.notices == []


def test_old_placement_still_works_with_one_notice_per_key_naming_the_new_place(tmp_path):
    stand = load_config(_config(tmp_path, OLD_PLACE))
    settings = CloudSettings.from_section(stand.model.stand_cloud, root=stand.root)
    assert (settings.ca_file, settings.fill_unknown) == (tmp_path / "certs" / "ca.pem", True)
    assert len(stand.notices) == 2
    assert all("has moved to [bridge.stand_cloud]" in n and str(tmp_path) in n
               for n in stand.notices)
    assert "[stand_cloud] ca_file" in stand.notices[0]


def test_new_placement_wins_over_the_old_one(tmp_path):
    text = OLD_PLACE + "[bridge.stand_cloud]\nfill_unknown = false\n"
    stand = load_config(_config(tmp_path, text))
    assert stand.model.stand_cloud.fill_unknown is False


@pytest.mark.parametrize(("text", "where"), [
    ("[bridge.stand_cloud]\nverify = \"sometimes\"\n", "hardpy.toml:2: bridge.stand_cloud.verify"),
    ("[bridge]\nenabled = true\ncolour = 3\n", "hardpy.toml:3: bridge.colour: unknown key"),
])
def test_bridge_section_is_strict_and_names_file_line_and_key(tmp_path, text, where):
    with pytest.raises(ConfigError, match=where):
        load_config(_config(tmp_path, text))


def test_cli_prints_the_notice_once_on_stderr(tmp_path, capsys):
    path = _config(tmp_path, OLD_PLACE)
    assert main(["--config", str(path), "sc-logout"]) == 0
    err = capsys.readouterr().err
    assert err.count("has moved to [bridge.stand_cloud]") == 2  # one line per moved key


def test_plugin_summary_names_the_new_place(plan):
    plan.write("hardpy.toml", '[stand_cloud]\nfill_unknown = false\n')
    plan.write("test_one.py", "def test_one():\n    pass\n")
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[stand_cloud] fill_unknown has moved to [bridge.stand_cloud]" in result.stdout


def test_bridge_enabled_false_keeps_the_plugin_aside(plan):
    plan.write("hardpy.toml", "[bridge]\nenabled = false\n")
    plan.write("test_one.py", "def test_one():\n    pass\n")
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not plan.store_path.exists()
    for asked in (["--bridge"], ["--bridge-config", "hardpy.toml"]):  # on the command line
        assert plan.pytest(*asked).returncode == 0
        assert plan.store_path.is_file(), asked  # recorded
        shutil.rmtree(plan.store_path.parent)
