"""Living in one venv with real HardPy: who runs a plan, and who answers ``hardpy``.

Both packages register a pytest plugin with the same options (``--hardpy-db-url``,
``--sc-address`` ...) and both install a ``hardpy`` command. pytest refuses a second
option of one name, which would break every pytest run in that venv; so when HardPy is
installed we step aside: no options of HardPy's, no ``hardpy`` alias, no recording,
unless the user asks for us (``--bridge``, or ``[bridge] enabled = true``).

No pytest here: the ``bridge``/``hardpy`` command reads these facts too.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# HardPy's --sc-address default: its public service, which must never win over our file.
HARDPY_DEFAULT_SC_ADDRESS = "standcloud.everypin.io"


@functools.cache
def real_hardpy_version() -> str | None:
    """The version of the HardPy distribution installed beside us, if any."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hardpy")
    except PackageNotFoundError:
        return None


def enabled_key(config_path: Path | None) -> bool | None:
    """``[bridge] enabled`` of the file, read leniently: it only decides who runs.

    A broken file is not ours to report here: when we run, the full load reports it
    with its line; when HardPy runs, HardPy reads it its own way.
    """
    if config_path is None:
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = data.get("bridge")
    value = section.get("enabled") if isinstance(section, dict) else None
    return value if isinstance(value, bool) else None


def we_record(explicit: bool, config_path: Path | None) -> bool:
    """Whether our plugin records this session.

    ``--bridge`` (or ``--bridge-config``) always; else a hardpy.toml must be there, and
    then ``[bridge] enabled`` decides, defaulting to "yes unless real HardPy is installed".
    """
    if explicit:
        return True
    if config_path is None:
        return False
    enabled = enabled_key(config_path)
    if enabled is not None:
        return enabled
    return real_hardpy_version() is None


def stepping_aside_note(config_path: Path) -> str | None:
    """What we say, once, when a plan folder is left to real HardPy."""
    version = real_hardpy_version()
    if version is None or enabled_key(config_path) is False:
        return None
    return (f"stand-bridge: HardPy {version} is installed, so stand-bridge steps aside for"
            f" {config_path}; run pytest with --bridge (or set [bridge] enabled = true there)"
            " to record with stand-bridge")


class SteppedAside:
    """Says once, at the start of the session, that HardPy runs this plan, not us."""

    def __init__(self, note: str):
        self.note = note

    def pytest_sessionstart(self, session: Any) -> None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(self.note)


def real_hardpy_cli() -> Callable[[], Any] | None:
    """HardPy's own ``hardpy`` command, when HardPy is installed beside us."""
    if real_hardpy_version() is None:
        return None
    from importlib.metadata import entry_points

    for entry in entry_points(group="console_scripts", name="hardpy"):
        dist = getattr(entry, "dist", None)
        if dist is not None and dist.metadata["Name"].lower() == "hardpy":
            return entry.load()
    return None
