"""hardpy.toml's quick reading (no pydantic) agrees with the full validation wherever it
answers, so that a plan pays for pydantic only when its file needs explaining."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from bridge import config
from bridge.config_pydantic import validate
from bridge.config_quick import read_plainly
from bridge.errors import ConfigError

# TOML's own types, and values at and past each bound
VALUES = ["", "x", "real", "sim", "30", "true", "no", "inf", "a/b", 0, 1, -1, 30, 3600, 3601,
          2**70, -(2**70), 10**400, 2**53 + 1, 0.0, 1.5, 30.0, -0.5, 3600.0, 1e308,
          float("inf"), float("nan"),
          True, False, [], [1], {}, {"a": 1}, {"driver": "d"}, {"driver": 5},
          {"driver": "d", "resource": "r", "channel": 2}, {"resource": "r"},
          {"options": 1, "driver": "x"}, {"a": {"b": 1}}]
KEYS = {
    "": ["title", "tests_name", "tests_dir", "sound_on", "colour", "database", "slots",
         "instruments", "store", "stand", "stand_cloud", "bridge", "frontend"],
    "store": ["path", "file"],
    "stand": ["mode", "attempt_pause", "measurements_fail_case", "x"],
    "stand_cloud": ["address", "api_key", "api-key", "autosync", "autosync_timeout",
                    "connection_only", "verify", "ca_file", "fill_unknown", "adress"],
    "bridge": ["enabled", "stand_cloud", "x"],
    "bridge.stand_cloud": ["verify", "ca_file", "fill_unknown", "address"],
    "instruments": ["psu", "dmm"],
    "slots": ["a", "b"],
}


def _document(rng: random.Random) -> dict:
    """A few keys, each in its section or a wrong one, each with a value of some type."""
    document: dict = {}
    for _ in range(rng.randint(0, 4)):
        section = rng.choice(list(KEYS))
        table = document
        for part in filter(None, section.split(".")):
            if not isinstance(table.get(part), dict):
                table[part] = {}
            table = table[part]
        table[rng.choice(KEYS[section])] = copy.deepcopy(rng.choice(VALUES))
    return document


def test_the_quick_reading_gives_what_pydantic_gives_or_leaves_it_to_pydantic():
    rng = random.Random(10)
    quick_answers = 0
    for _ in range(3000):
        document = _document(rng)
        quick = read_plainly(config.BridgeConfig, document)
        if quick is None:
            continue
        quick_answers += 1
        try:
            full = validate(config.BridgeConfig, document, Path("hardpy.toml"), "")
        except ConfigError as exc:
            pytest.fail(f"read quickly, refused by pydantic ({exc}): {document}")
        assert quick == full, document
    assert quick_answers > 500  # the quick reading is exercised, not always left aside


def test_a_plan_with_a_plain_file_runs_without_pydantic_httpx_or_rich(plan):
    plan.write("hardpy.toml", 'title = "x"\n[stand]\nattempt_pause = 0\n'
                              '[stand_cloud]\naddress = "sc.example"\n')
    plan.write("test_light.py", """
        import sys

        def test_light():
            heavy = ("pydantic", "httpx", "rich")
            assert [name for name in heavy if name in sys.modules] == []
    """)
    result = plan.pytest_process(fresh=True)  # a fresh process: what it imports is the point
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_file_that_needs_explaining_still_names_line_and_key(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text('[stand]\nmode = "sim"\nattempt_pause = -1\n')
    with pytest.raises(ConfigError) as caught:
        config.load_config(path)
    assert str(caught.value).startswith(f"{path}:3: stand.attempt_pause: Input should be "
                                        "greater than or equal to 0")


def test_attempts_are_a_second_apart_unless_the_stand_says_otherwise(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text('title = "x"\n')
    assert config.load_config(path).model.stand.attempt_pause == 1.0  # as in HardPy


def test_values_pydantic_converts_are_read_as_before(tmp_path):
    path = tmp_path / "hardpy.toml"
    path.write_text('[stand]\nattempt_pause = 0\nmeasurements_fail_case = "yes"\n'
                    '[stand_cloud]\nautosync_timeout = 30.0\n')
    stand = config.load_config(path).model
    assert (stand.stand.attempt_pause, stand.stand.measurements_fail_case,
            stand.stand_cloud.autosync_timeout) == (0.0, True, 30)
    assert type(stand.stand.attempt_pause) is float and type(stand.stand_cloud.autosync_timeout) \
        is int
