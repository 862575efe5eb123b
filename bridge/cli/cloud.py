"""StandCloud commands: sc-login, sc-logout, sync, cloud runs|run|duts, cloud-sim.

This module declares them; each runs from its own module (``cloud_login``, ``sync``,
``cloud_reads``; ``cloud-sim`` here), imported when it runs, so importing this one
costs nothing: httpx, authlib, rich and pydantic come with the commands that use them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.cli import arguments


def register(commands: Any) -> None:
    login = commands.add_parser("sc-login", help="log this stand in to StandCloud (device flow)")
    login.add_argument("address", nargs="?", help="StandCloud address (default: hardpy.toml)")
    login.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="only say whether the stored login (or API key) works (default: --no-check, log in)",
    )
    login.add_argument("--json", action="store_true", help="with --check: the answer as JSON")
    login.add_argument(
        "--timeout",
        type=arguments.seconds,
        default=300.0,
        metavar="SECONDS",
        help="give up waiting for approval after this long (default 300)",
    )
    login.set_defaults(func=run_login)

    logout = commands.add_parser("sc-logout", help="remove the stored StandCloud login")
    logout.add_argument("address", nargs="?", help="StandCloud address (default: hardpy.toml)")
    logout.set_defaults(func=run_logout)

    sync = commands.add_parser(
        "sync", aliases=["sc-sync"], help="upload queued runs to StandCloud (HardPy: sc-sync)"
    )
    sync.add_argument(
        "tests_dir", nargs="?", type=Path, help="the plan folder (default: hardpy.toml here)"
    )
    sync.add_argument("--status", action="store_true", help="show the outbox, upload nothing")
    sync.add_argument("--json", action="store_true", help="with --status: the outbox as JSON")
    sync.add_argument(
        "--retry-rejected",
        action="store_true",
        help="queue rejected and held runs again before uploading",
    )
    sync.add_argument("--parallel", type=arguments.uploads, default=4,
                      help="uploads at once, 1 to 32 (default 4)")
    sync.set_defaults(func=run_sync)

    cloud = commands.add_parser("cloud", help="read what StandCloud holds")
    reads = cloud.add_subparsers(dest="what", metavar="WHAT", required=True)
    runs = reads.add_parser("runs", help="test runs on StandCloud, newest first")
    runs.add_argument("--part-number", help="only runs of this DUT part number")
    runs.add_argument("--serial-number", help="only runs of this DUT serial number")
    _stand_name_option(runs, "only runs on this test stand (its name)")
    runs.add_argument("--limit", type=arguments.limit, default=50,
                      help="at most this many (default 50)")
    runs.add_argument("--json", action="store_true", help="JSON for scripts")
    runs.set_defaults(func=run_cloud_runs)
    one = reads.add_parser("run", help="one test run on StandCloud")
    one.add_argument("run_id", metavar="ID", help="the run's whole id (as `cloud runs` lists it)")
    one.add_argument("--json", action="store_true", help="JSON for scripts")
    one.set_defaults(func=run_cloud_run)
    duts = reads.add_parser("duts", help="tested DUTs on StandCloud")
    duts.add_argument("--part-number", help="only DUTs of this part number")
    _stand_name_option(duts, "only DUTs tested on this test stand (its name)")
    duts.add_argument("--json", action="store_true", help="JSON for scripts")
    duts.set_defaults(func=run_cloud_duts)

    sim = commands.add_parser("cloud-sim", help="run a local StandCloud simulator")
    sim.add_argument("--port", type=arguments.port, default=8765,
                     help="port on 127.0.0.1 (0: any free)")
    sim.add_argument("--https", action="store_true", help="serve HTTPS with a generated CA")
    sim.add_argument("--data-dir", type=Path, help="keep its database (and CA) here")
    sim.add_argument(
        "--interval",
        type=arguments.seconds,
        default=5.0,
        help="device-flow polling interval it asks for (seconds)",
    )
    sim.add_argument("--user", type=login_password, default="demo:demo-password",
                     metavar="LOGIN:PASSWORD",
                     help="the one user who can sign in (default demo:demo-password)")
    sim.add_argument("--api-key", help="API key to accept (default: a random one)")
    sim.set_defaults(func=run_cloud_sim)


def login_password(text: str) -> tuple[str, str]:
    """A cloud-sim --user, parsed with the arguments: a bad one is a usage error."""
    login, _, password = text.partition(":")
    if not login or not password:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOGIN:PASSWORD")
    return login, password


def _stand_name_option(parser: Any, help_text: str) -> None:
    """``--stand-name``: in pytest ``--stand`` is sim/real, so here it is only an alias."""
    parser.add_argument("--stand-name", dest="stand_name", metavar="NAME", help=help_text)
    parser.add_argument("--stand", dest="stand_name", help=argparse.SUPPRESS)


# -- the commands: in their own modules, imported when they run ----------------------
def _imported_when_run(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The command ``module.name``, imported only when it runs: ``bridge --help`` and
    the other commands do not pay for httpx and the cloud client."""
    def run(args: argparse.Namespace) -> int:
        command: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name)
        return command(args)

    return run


run_login = _imported_when_run("bridge.cli.cloud_login", "run_login")
run_logout = _imported_when_run("bridge.cli.cloud_login", "run_logout")
run_sync = _imported_when_run("bridge.cli.sync", "run_sync")
run_cloud_runs = _imported_when_run("bridge.cli.cloud_reads", "run_cloud_runs")
run_cloud_run = _imported_when_run("bridge.cli.cloud_reads", "run_cloud_run")
run_cloud_duts = _imported_when_run("bridge.cli.cloud_reads", "run_cloud_duts")


# -- cloud-sim ----------------------------------------------------------------------
def run_cloud_sim(args: argparse.Namespace) -> int:
    from bridge.cloud.sim import SimConfig, SimServer

    login, password = args.user
    config = SimConfig(
        port=args.port,
        https=args.https,
        data_dir=args.data_dir,
        interval=args.interval,
        users={login: password},
        api_key=args.api_key,
        log_level="warning",
    )
    server = SimServer(config).bind()
    print(f"StandCloud simulator at {server.url}")
    print(f"  sign-in: {login} / {password}")
    print(f"  API key: {server.api_key}")
    print(f"  data:    {server.data_dir / 'standcloud.db'}")
    print("hardpy.toml:")
    print("  [stand_cloud]")
    print(f'  address = "{server.address}"')
    if server.ca_file:
        print("  [bridge.stand_cloud]")
        print(f'  ca_file = "{server.ca_file}"')
        print("HardPy itself checks TLS only under python -O:"
              f" REQUESTS_CA_BUNDLE={server.ca_file} python -O -m pytest --hardpy-pt"
              f" --sc-address {server.address}")
    print(
        f"Log in with: bridge sc-login {server.address}   (Ctrl-C stops the simulator)", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C is how a simulator is meant to stop
        pass
    finally:
        server.close()
    print("StandCloud simulator stopped")
    return 0
