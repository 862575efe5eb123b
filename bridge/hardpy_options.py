"""HardPy compatibility under pytest: its options, its config file, ``import hardpy``.

A HardPy plan runs here unchanged: HardPy's command-line options are ours too (applied
over hardpy.toml), hardpy.toml is found where HardPy finds it, and ``import hardpy``
gives our API. Where real HardPy is installed, it owns its options (beside_hardpy).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bridge.beside_hardpy import HARDPY_DEFAULT_SC_ADDRESS, real_hardpy_version

if TYPE_CHECKING:
    from bridge.config import StandConfig


def add_options(parser: pytest.Parser) -> None:
    """Our options, and HardPy's own unless real HardPy is installed to own them."""
    with_hardpy = real_hardpy_version() is not None  # then HardPy owns its options
    group = parser.getgroup("bridge", "stand-bridge (test stand recording)")
    group.addoption("--bridge", action="store_true", default=False,
                    help="record this run even without a hardpy.toml next to the tests"
                         " (or where real HardPy is installed)")
    if not with_hardpy:
        group.addoption("--hardpy-pt", action="store_true", dest="bridge",
                        help="HardPy's switch; same as --bridge")
    group.addoption("--bridge-config", metavar="FILE", default=None,
                    help="the stand configuration file (default: hardpy.toml next to tests)")
    group.addoption("--stand", choices=("real", "sim"), default=None,
                    help="run on the real instruments or on their simulators "
                         "(default: [stand] mode of hardpy.toml, else real)")
    if with_hardpy:
        return
    # HardPy's own options, so that its pytest.ini addopts run here unchanged.
    hardpy = parser.getgroup("hardpy", "HardPy's options, as stand-bridge reads them")
    hardpy.addoption("--hardpy-tests-name", metavar="NAME", default=None,
                     help="the test plan's name (default: tests_name of hardpy.toml)")
    hardpy.addoption("--hardpy-start-arg", metavar="KEY=VALUE", action="append", default=[],
                     help="a start argument for hardpy.get_start_args() (repeatable)")
    hardpy.addoption("--sc-address", metavar="ADDRESS", default=None,
                     help="StandCloud address (default: [stand_cloud] address)")
    hardpy.addoption("--sc-connection-only", action="store_true", default=False,
                     help="refuse to start when StandCloud is unreachable")
    hardpy.addoption("--hardpy-db-url", metavar="URL", default=None,
                     help="HardPy's CouchDB; ignored: runs go to the SQLite store")
    hardpy.addoption("--hardpy-clear-database", action="store_true", default=False,
                     help="ignored: the store keeps every run")
    hardpy.addoption("--hardpy-config-file", metavar="DIR", default=None,
                     help="the folder holding hardpy.toml (HardPy's; as --bridge-config)")
    hardpy.addoption("--hardpy-current-test-config", metavar="NAME", default=None,
                     help="the test configuration get_hardpy_config() names as current")
    hardpy.addoption("--sc-autosync", action="store_true", default=False,
                     help="upload each finished run to StandCloud (as [stand_cloud] autosync)")
    for option in ("--hardpy-sp", "--hardpy-sh"):  # deprecated and unused in HardPy too
        hardpy.addoption(option, metavar="VALUE", default=None, help="ignored (HardPy's)")


def find_config_file(config: pytest.Config, given: str | None, args: list[str]) -> Path | None:
    """The hardpy.toml this session reads: named by an option, else next to the tests."""
    if given:
        return Path(given)
    hardpy_folder = getattr(config.known_args_namespace, "hardpy_config_file", None)
    if hardpy_folder:  # HardPy's option names the folder (a file is taken as it is)
        path = Path(hardpy_folder)
        return path / "hardpy.toml" if path.is_dir() else path
    folders = []
    for arg in args:
        path = Path(str(arg).split("::", 1)[0])
        if not path.is_absolute():
            path = config.invocation_params.dir / path
        folders.append(path if path.is_dir() else path.parent)
    folders += [config.invocation_params.dir, config.rootpath]
    for folder in folders:
        candidate = folder / "hardpy.toml"
        if candidate.is_file():
            return candidate
    return None


def with_command_line(stand: StandConfig, config: pytest.Config) -> StandConfig:
    """The configuration with HardPy's command-line options applied over the file's."""
    from dataclasses import replace

    from bridge.config import StandConfig

    model = stand.model
    name = config.getoption("hardpy_tests_name")
    if name:
        model = replace(model, tests_name=name)
    cloud: dict[str, Any] = {}
    address = config.getoption("sc_address")
    if address and not (real_hardpy_version() and address == HARDPY_DEFAULT_SC_ADDRESS):
        cloud["address"] = address  # (HardPy's option defaults to its public service)
    if config.getoption("sc_connection_only"):
        cloud["connection_only"] = True
    if config.getoption("sc_autosync"):
        cloud["autosync"] = True
    if cloud:
        model = replace(model, stand_cloud=replace(model.stand_cloud, **cloud))
    return StandConfig(model, stand.path, stand.moved_keys)


def start_args(config: pytest.Config) -> dict[str, str]:
    """The ``--hardpy-start-arg KEY=VALUE`` pairs, for hardpy.get_start_args()."""
    args = {}
    for pair in config.getoption("hardpy_start_arg"):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise pytest.UsageError(f"--hardpy-start-arg takes KEY=VALUE, got {pair!r}")
        args[key.strip()] = value
    return args


def alias_hardpy() -> None:
    """Let ``import hardpy`` give our API: where HardPy is installed too, only because
    the user asked us to record (we_record), so the plan's calls must reach us."""
    if sys.modules.get("hardpy") is sys.modules["bridge"]:
        return
    if real_hardpy_version() is not None or importlib.util.find_spec("hardpy") is None:
        import bridge

        sys.modules["hardpy"] = bridge
