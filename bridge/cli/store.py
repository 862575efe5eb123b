"""``bridge store check`` / ``bridge store recover``: a damaged store, read and saved."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bridge.cli import arguments


def register(commands: Any) -> None:
    store = commands.add_parser("store", help="check a run store, or recover a damaged one")
    actions = store.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="SQLite's integrity check, and what is readable")
    check.set_defaults(func=check_command)
    recover = actions.add_parser(
        "recover", help="copy every readable row into a new store file")
    recover.add_argument("output", type=arguments.path, help="the new store file (must not exist)")
    recover.set_defaults(func=recover_command)


def _path(args: argparse.Namespace) -> Path:
    from bridge.cli.options import stand_config

    return args.store if args.store is not None else stand_config(args).store_path


def _counts(result: Any) -> str:
    parts = []
    for table, state in result.tables.items():
        text = f"{table} {state.readable}"
        lost = state.unreadable + state.orphaned
        if state.error:
            text += " (unreadable: " + state.error + ")"
        elif lost:
            text += f" ({lost} lost)"
        parts.append(text)
    return ", ".join(parts)


def check_command(args: argparse.Namespace) -> int:
    from bridge.store import Store
    from bridge.store.repair import check

    path = _path(args)
    Store.open(path, create=False, read_only=True).close()  # refuses what is not a store
    result = check(path)
    if result.ok and not any(s.error or s.unreadable for s in result.tables.values()):
        print(f"{path}: ok; rows: {_counts(result)}")
        return 0
    print(f"{path}: damaged: {'; '.join(result.problems[:3]) or 'rows cannot be read'}")
    print(f"still readable: {_counts(result)}")
    print(f"to save it: bridge --store {path} store recover NEW_FILE, then use NEW_FILE "
          "as the store ([store] path) and keep the damaged file for reference")
    return 1


def recover_command(args: argparse.Namespace) -> int:
    from bridge.store import Store
    from bridge.store.repair import recover

    path = _path(args)
    Store.open(path, create=False, read_only=True).close()  # refuses what is not a store
    result = recover(path, args.output)
    lost = sum(s.unreadable + s.orphaned for s in result.tables.values())
    gone = [table for table, state in result.tables.items() if state.error]
    print(f"recovered into {args.output}: {_counts(result)}")
    if lost or gone:
        print(f"lost: {lost} row(s) on damaged pages or whose run was lost"
              + (f"; whole tables unreadable: {', '.join(gone)}" if gone else ""))
    else:
        print("nothing was lost")
    return 0
