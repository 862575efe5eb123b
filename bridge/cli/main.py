"""``bridge`` (also installed as ``hardpy``): the command line of stand-bridge.

Start-up matters on a stand PC, so this module imports nothing heavy: each command
module registers its parser cheaply and imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import io
import sqlite3
import sys
from pathlib import Path

from bridge.cli import arguments

COMMAND_MODULES = ["bridge.cli.runs", "bridge.cli.show", "bridge.cli.cloud", "bridge.cli.store",
                   "bridge.cli.report", "bridge.cli.init"]
# HardPy's commands for its operator panel, which stand-bridge does not have.
PANEL_COMMANDS = ("run", "start", "stop", "status")  # `init` is ours: bridge.cli.init


def build_parser() -> argparse.ArgumentParser:
    return _parser(Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "bridge")


@functools.cache
def _parser(prog: str) -> argparse.ArgumentParser:
    """Built once per process: parsing leaves a parser as it was, and building one costs
    ~6 ms (argparse looks up a translation for each help text), which commands run
    in one process (the test suite runs ~250) would pay each time."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Test-stand runs: list, inspect, export, and bring them to StandCloud.",
    )
    parser.add_argument("--version", action="version", version=f"stand-bridge {_version()}")
    parser.add_argument("--config", metavar="FILE", type=arguments.path,
                        help="stand configuration (default: hardpy.toml here or above)")
    parser.add_argument("--store", metavar="PATH", type=arguments.path,
                        help="run store file (default: the one named by the configuration)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def _version() -> str:
    from bridge import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    from bridge.cli.text import shown
    from bridge.errors import BridgeError

    given = sys.argv[1:] if argv is None else argv
    if given and given[0] in PANEL_COMMANDS:
        folder = given[1] if len(given) > 1 and not given[1].startswith("-") else "."
        print(f"{given[0]}: error: HardPy's operator panel is not part of stand-bridge; run the "
              f"test plan with `pytest {folder}` (dialogs are answered in the terminal)",
              file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # as Python's stderr always does:
        sys.stdout.reconfigure(errors="backslashreplace")  # a non-UTF-8 path printed back
    try:
        return int(args.func(args) or 0)
    except (BridgeError, OSError) as exc:  # a server's text too: never raw
        print(f"{args.command}: error: {shown(exc, lines=True, limit=2000)}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # e.g. a damaged page met while reading
        from bridge.store.db import explain

        print(f"{args.command}: error: {args.store or 'the run store'}: {explain(exc)}",
              file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        from bridge.extras import missing_extra

        if (hint := missing_extra(exc)) is None:
            raise
        print(f"{args.command}: error: {hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{args.command}: interrupted", file=sys.stderr)
        return 130


def hardpy_main() -> int:
    """``hardpy``: real HardPy's own command where HardPy is installed beside us (both
    packages install a ``hardpy`` script; whichever pip wrote last, HardPy's users get
    HardPy's), else ours."""
    from bridge.beside_hardpy import real_hardpy_cli

    real = real_hardpy_cli()
    if real is not None:
        return real()
    return main()


if __name__ == "__main__":
    sys.exit(main())
