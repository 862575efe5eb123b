"""Import the driver classes named in hardpy.toml, from the plan's folder as well.

``driver = "mydrivers.rigol.DP832"`` names a module beside hardpy.toml, as the user
expects, with no PYTHONPATH: the plan's folder is put first on ``sys.path`` (as pytest
does for a conftest's folder). Our own drivers live in the top-level package
``drivers``; a plan folder with a package of that name would hide ours (or be hidden
by it, half its modules missing), so it is refused, saying what to rename.

This module must not import ``drivers`` before the check: a shadowing package
would be the one imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import ConfigError

if TYPE_CHECKING:
    from bridge.config import StandConfig
    from drivers.base import Driver

#: Where stand-bridge's own driver package is (a sibling of this package).
OUR_DRIVERS = Path(__file__).resolve().parent.parent / "drivers"


def use_plan_folder(stand: StandConfig) -> None:
    """Make the plan's modules importable; refuse a plan ``drivers`` package.

    Raises ConfigError naming the folder that shadows ours and what to rename it to.
    """
    root = stand.root.resolve()
    theirs = root / "drivers"
    if theirs.resolve() != OUR_DRIVERS and _has_python(theirs):
        raise _shadow_error(stand, theirs)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    spec = importlib.util.find_spec("drivers")
    found = _package_dir(spec)
    if found is None or found != OUR_DRIVERS:
        raise _shadow_error(stand, found)


def import_driver(stand: StandConfig, path: str, key: str) -> type[Driver]:
    """The class ``path`` ("package.module.Class"); ConfigError at ``key`` if it is none."""
    module_name, _, class_name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        hint = ""
        if isinstance(exc, ModuleNotFoundError) and exc.name == module_name.partition(".")[0]:
            hint = f" (looked for in the plan's folder {stand.root} and in installed packages)"
        raise ConfigError(f"cannot import driver {path!r}: {exc}{hint}", path=stand.path,
                          key=key) from None
    except SyntaxError as exc:
        raise ConfigError(f"cannot import driver {path!r}: {exc.filename}:{exc.lineno}: "
                          f"{exc.msg}", path=stand.path, key=key) from None
    from drivers.base import Driver

    if not (isinstance(cls, type) and issubclass(cls, Driver)):
        raise ConfigError(f"{path!r} is not a driver (drivers.base.Driver subclass)",
                          path=stand.path, key=key)
    return cls


def _has_python(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.py"))


def _package_dir(spec: importlib.machinery.ModuleSpec | None) -> Path | None:
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("namespace", "built-in"):
        return Path(spec.origin).resolve().parent
    locations = list(spec.submodule_search_locations or [])
    return Path(locations[0]).resolve() if locations else None


def _shadow_error(stand: StandConfig, theirs: Path | None) -> ConfigError:
    if theirs is None:
        return ConfigError("stand-bridge's driver package 'drivers' cannot be imported; "
                           "reinstall stand-bridge", path=stand.path, key="instruments")
    suggestion = f"{stand.root.resolve().name.replace('-', '_')}_drivers"
    if not suggestion.isidentifier():
        suggestion = "plan_drivers"
    return ConfigError(
        f"the package {theirs} has the name of stand-bridge's own driver package "
        f"'drivers', so one would hide the other. Rename that folder (e.g. to "
        f"{suggestion}/) and write driver = \"{suggestion}.<module>.<Class>\" for its "
        f"drivers; ours stay drivers.psu, drivers.dmm, drivers.dut",
        path=stand.path, key="instruments")
