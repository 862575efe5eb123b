"""hardpy.toml: HardPy's keys accepted, ours strict, errors naming file, line and key."""

import pytest

from bridge.config import find_config, load_config
from bridge.errors import ConfigError

HARDPY_FILE = """
title = "HardPy TOML config"
tests_name = "Board acceptance"
tests_dir = "tests"
current_test_config = ""
sound_on = false
enable_test_pass_fail_modal = false

[[test_configs]]
name = "Full"
file = "full.toml"

[database]
user = "dev"
password = "dev"
host = "localhost"
port = 5984

[frontend]
host = "localhost"
port = 8000
language = "en"

[socket]
host = "localhost"
port = 6525

[stand_cloud]
address = "demo.standcloud.localhost"
connection_only = false
api-key = "1234567890"
"""


def test_hardpy_file_is_accepted_and_its_panel_sections_are_ignored(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text(HARDPY_FILE)
    stand = load_config(path)
    assert stand.test_plan_name == "Board acceptance"
    assert stand.ignored_hardpy_keys == [
        "[database]", "[frontend]", "[socket]", "tests_dir", "current_test_config",
        "test_configs", "sound_on", "enable_test_pass_fail_modal"]
    assert stand.model.stand_cloud.address == "demo.standcloud.localhost"
    assert stand.model.stand_cloud.api_key == "1234567890"  # HardPy's docs spell it api-key
    assert stand.store_path == tmp_path / ".bridge" / "runs.db"


def test_plan_name_defaults_to_the_folder_name(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text("")
    assert load_config(path).test_plan_name == tmp_path.name


def test_unknown_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text('title = "x"\n\n[store]\npth = "runs.db"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:4: store.pth: unknown key"
    assert caught.value.line == 4 and caught.value.key == "store.pth"


def test_wrong_type_says_what_was_expected(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text('[stand_cloud]\naddress = "x"\nautosync = "sometimes"\n')
    with pytest.raises(ConfigError, match=r"hardpy.toml:3: stand_cloud.autosync: Input "
                                          r"should be a valid boolean.*'sometimes'"):
        load_config(path)


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text("title = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_config_is_found_from_a_subfolder(tmp_path):
    (tmp_path / "hardpy.toml").write_text("")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    assert find_config(tmp_path / "sub" / "deeper") == tmp_path / "hardpy.toml"


def test_bad_config_stops_pytest_before_any_case(plan):
    plan.write("hardpy.toml", "[store]\npath = 3\n")
    plan.write("test_one.py", "def test_one():\n    pass\n")
    result = plan.pytest()
    assert result.returncode == 4
    assert "hardpy.toml:2: store.path" in result.stderr
