"""The global options ``--config`` and ``--store``, resolved for a command.

Command modules import this, never bridge.cli.main: main imports the commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.config import StandConfig
    from bridge.store import Store


def stand_config(args: argparse.Namespace) -> StandConfig:
    """The configuration named by --config, else the hardpy.toml found from here up."""
    from bridge.config import find_config, load_config

    path = args.config if args.config is not None else find_config(Path.cwd())
    stand = load_config(path)
    for notice in stand.notices:
        print(notice, file=sys.stderr)
    return stand


def open_store(args: argparse.Namespace, *, read_only: bool = False) -> Store:
    """The run store named by --store, else the configuration's; never created here."""
    from bridge.config import require_config
    from bridge.store import Store

    if args.store is not None:
        return Store.open(args.store, create=False, read_only=read_only)
    stand = stand_config(args)
    if stand.path is None and not stand.store_path.exists():  # a --hardpy-pt plan has no toml
        require_config(Path.cwd())  # raises: no hardpy.toml here or above
    return Store.open(stand.store_path, create=False, read_only=read_only)
