"""The pytest plugin (entry point ``pytest11``): decides whether to record, then wires.

It is active only when a ``hardpy.toml`` sits next to the tests (or the user passes
``--bridge`` / HardPy's ``--hardpy-pt``); otherwise it adds its options and nothing
else, so unrelated pytest runs neither change nor pay for our imports. Where real
HardPy is installed too, HardPy runs its plans and we step aside (see beside_hardpy).
The jobs live beside it: HardPy's options and config discovery (hardpy_options),
markers, recording a run (recording), xdist's controller (xdist_controller),
instruments, StandCloud (cloud.plugin).
"""

from __future__ import annotations

import sys

import pytest

from bridge.beside_hardpy import SteppedAside, stepping_aside_note, we_record
from bridge.hardpy_options import add_options, alias_hardpy, find_config_file, with_command_line
from bridge.markers import MARKERS


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    """A HardPy plan's conftest imports hardpy: the alias must exist before it loads."""
    known = early_config.known_args_namespace
    paths = known.file_or_dir or early_config.getini("testpaths")  # as config.args will be
    explicit = known.bridge or known.bridge_config is not None
    if we_record(explicit, find_config_file(early_config, known.bridge_config, paths)):
        alias_hardpy()
        from bridge.extras import asks_for_xdist, xdist_missing_message

        loaded = early_config.pluginmanager.has_plugin("xdist")
        if asks_for_xdist(args) and (message := xdist_missing_message(loaded)):
            raise pytest.UsageError(message)  # else: pytest's "unrecognized arguments: -n"


def pytest_configure(config: pytest.Config) -> None:
    path = find_config_file(config, config.getoption("bridge_config"), config.args)
    explicit = config.getoption("bridge") or config.getoption("bridge_config") is not None
    if not we_record(explicit, path):
        note = stepping_aside_note(path) if path is not None else None
        if note and not hasattr(config, "workerinput"):
            config.pluginmanager.register(SteppedAside(note), "bridge-stepped-aside")
        return
    from bridge.config import load_config, use
    from bridge.errors import BridgeError

    try:
        stand = with_command_line(load_config(path), config)
    except BridgeError as exc:
        raise pytest.UsageError(str(exc)) from None
    from bridge.extras import simulated_stand_missing_message

    mode = config.getoption("stand") or stand.model.stand.mode
    if stand.model.instruments and (message := simulated_stand_missing_message(mode)):
        raise pytest.UsageError(message)
    use(stand)
    for text in MARKERS.values():
        config.addinivalue_line("markers", text)
    alias_hardpy()
    # Only the terminal side: the dialog models wait for a plan's first dialog (12 ms).
    from bridge import operator_terminal

    operator_terminal.attach(config)  # dialogs release pytest's capturing while asking
    from bridge import xdist_controller

    if xdist_controller.is_controller(config):
        xdist_controller.become_controller(config, stand)
        return
    from bridge.recording import BridgePlugin

    plugin = BridgePlugin(stand, config)
    config.pluginmanager.register(plugin, "bridge-recorder")
    from bridge import fixtures

    config.pluginmanager.register(fixtures, "bridge-fixtures")
    if stand.model.instruments:
        from bridge.instruments import InstrumentsPlugin

        try:
            instruments = InstrumentsPlugin(stand, config, mode)
        except BridgeError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(instruments, "bridge-instruments")
    cloud = stand.model.stand_cloud
    if cloud.address or cloud.api_key:
        from bridge.cloud.plugin import CloudPlugin

        config.pluginmanager.register(CloudPlugin(stand, config), "bridge-cloud")


def pytest_unconfigure(config: pytest.Config) -> None:
    stand_config = sys.modules.get("bridge.config")  # imported only if the plugin was active
    if stand_config is not None:
        stand_config.use(None)
