"""``bridge init DIR``: a copy of the reference plan (hil/) to start a stand from.

A pip user has no clone, so the wheel carries hil/ as ``bridge/_hil`` (pyproject's
force-include); from a clone or an editable install the repository's hil/ is used, so
there is one source of the plan either way.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from bridge.cli import arguments

# What belongs to this repository's runs of hil/, not to the plan a user starts from.
NOT_COPIED = ("demo.py", ".bridge", "__pycache__", "*.pyc")


def register(commands: Any) -> None:
    init = commands.add_parser(
        "init", help="copy the reference test plan (hil/) into a folder, to start from")
    init.add_argument("folder", nargs="?", default=".", type=arguments.path,
                      help="where to put it (default: here); existing files are never replaced")
    init.set_defaults(func=init_command)


def reference_plan() -> Path:
    """The reference plan: inside the installed package, else the clone's hil/."""
    import bridge

    package = Path(bridge.__file__).resolve().parent
    for candidate in (package / "_hil", package.parent / "hil"):
        if (candidate / "hardpy.toml").is_file():
            return candidate
    raise FileNotFoundError(f"the reference plan is missing from this install ({package}/_hil); "
                            "reinstall stand-bridge")


def init_command(args: argparse.Namespace) -> int:
    source = reference_plan()
    target: Path = args.folder
    ignore = shutil.ignore_patterns(*NOT_COPIED)
    names = [name for name in sorted(p.name for p in source.iterdir())
             if name not in ignore(str(source), [name])]
    clashes = [name for name in names if (target / name).exists()]
    if clashes:
        raise FileExistsError(f"{target} already has {', '.join(clashes)}; "
                              "give an empty or new folder")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
    print(f"reference plan copied to {target}: {', '.join(names)}")
    print(f"run it on the simulated stand (the 'sim' extra): cd {target} && pytest --stand sim")
    print("on your stand: set the instruments' addresses in hardpy.toml, then pytest")
    return 0
