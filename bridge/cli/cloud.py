"""StandCloud commands: sc-login, sc-logout, sync, cloud runs|run|duts, cloud-sim.

Importing this module costs nothing: httpx, authlib, rich and pydantic are imported
inside the commands that use them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    login = commands.add_parser("sc-login", help="log this stand in to StandCloud (device flow)")
    login.add_argument("address", nargs="?", help="StandCloud address (default: hardpy.toml)")
    login.add_argument(
        "--check", action="store_true", help="only say whether the stored login (or API key) works"
    )
    login.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="give up waiting for approval after this long (default 300)",
    )
    login.set_defaults(func=run_login)

    logout = commands.add_parser("sc-logout", help="remove the stored StandCloud login")
    logout.add_argument("address", nargs="?", help="StandCloud address (default: hardpy.toml)")
    logout.set_defaults(func=run_logout)

    sync = commands.add_parser("sync", help="upload queued runs to StandCloud")
    sync.add_argument("--status", action="store_true", help="show the outbox, upload nothing")
    sync.add_argument(
        "--retry-rejected",
        action="store_true",
        help="queue rejected and held runs again before uploading",
    )
    sync.add_argument("--parallel", type=int, default=4, help="uploads at once (default 4)")
    sync.set_defaults(func=run_sync)

    cloud = commands.add_parser("cloud", help="read what StandCloud holds")
    reads = cloud.add_subparsers(dest="what", metavar="WHAT", required=True)
    runs = reads.add_parser("runs", help="test runs on StandCloud")
    runs.add_argument("--part-number")
    runs.add_argument("--serial-number")
    runs.add_argument("--stand", help="test stand name")
    runs.add_argument("--limit", type=int, default=50)
    runs.add_argument("--json", action="store_true", help="JSON for scripts")
    runs.set_defaults(func=run_cloud_runs)
    one = reads.add_parser("run", help="one test run on StandCloud")
    one.add_argument("run_id", metavar="ID")
    one.add_argument("--json", action="store_true", help="JSON for scripts")
    one.set_defaults(func=run_cloud_run)
    duts = reads.add_parser("duts", help="tested DUTs on StandCloud")
    duts.add_argument("--part-number")
    duts.add_argument("--stand", help="test stand name")
    duts.add_argument("--json", action="store_true", help="JSON for scripts")
    duts.set_defaults(func=run_cloud_duts)

    sim = commands.add_parser("cloud-sim", help="run a local StandCloud simulator")
    sim.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    sim.add_argument("--https", action="store_true", help="serve HTTPS with a generated CA")
    sim.add_argument("--data-dir", type=Path, help="keep its database (and CA) here")
    sim.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help="device-flow polling interval it asks for (seconds)",
    )
    sim.add_argument("--user", default="demo:demo-password", metavar="LOGIN:PASSWORD")
    sim.add_argument("--api-key", help="API key to accept (default: a random one)")
    sim.set_defaults(func=run_cloud_sim)


# -- shared helpers -------------------------------------------------------------------
def _stand(args: argparse.Namespace) -> Any:
    from bridge.cli.main import stand_config

    return stand_config(args)


def _settings(args: argparse.Namespace, address: str | None = None) -> Any:
    from bridge.cloud.settings import CloudSettings

    stand = _stand(args)
    settings = CloudSettings.from_section(stand.model.stand_cloud, address=address, root=stand.root)
    for warning in settings.warnings:
        print(warning, file=sys.stderr)
    return settings


def _client(args: argparse.Namespace) -> Any:
    from bridge.cloud.client import open_client

    return open_client(_settings(args))


def _when(seconds: float | None) -> str:
    import time

    if seconds is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


# -- sc-login / sc-logout ---------------------------------------------------------------
def run_login(args: argparse.Namespace) -> int:
    settings = _settings(args, args.address)
    if args.check:
        return _check(settings)
    import httpx

    from bridge.cloud.auth import TokenCredentials
    from bridge.cloud.client import StandCloudClient, explain_transport_error
    from bridge.cloud.login import poll_for_token, request_device_code
    from bridge.cloud.tokens import token_stores

    endpoints = settings.endpoints
    stores = token_stores()
    with httpx.Client(verify=settings.ssl_verify(), timeout=settings.timeout) as http:
        try:
            device = request_device_code(http, endpoints)
            _show_link(device)
            token = poll_for_token(http, endpoints, device, limit=args.timeout)
        except httpx.TransportError as exc:
            raise explain_transport_error(endpoints.base, exc) from None
    stores[0].save(endpoints.base, token)
    with StandCloudClient(settings, TokenCredentials(endpoints, stores[0], token)) as client:
        client.healthcheck()
    print(f"Tokens saved in {stores[0].name}.")
    print("Registration completed")
    return 0


def _show_link(device: dict[str, Any]) -> None:
    link = device.get("verification_uri_complete") or device["verification_uri"]
    print("Open this link in a browser, sign in to StandCloud and press Accept:")
    print(f"  {link}", flush=True)
    if "verification_uri_complete" not in device:
        print(f"and enter the code {device['user_code']}")
    _print_qr(link)
    print("Waiting for approval…" if _utf8() else "Waiting for approval...", flush=True)


def _utf8() -> bool:
    return (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"


def _print_qr(link: str) -> None:
    """The link as a QR code, dark on light, for a phone at the stand."""
    if not _utf8():
        return
    from rich.console import Console
    from rich.text import Text

    from bridge.cloud.qr import qr_lines

    console = Console(soft_wrap=True, highlight=False)
    for line in qr_lines(link):
        console.print(Text(line, style="black on white"))


def _check(settings: Any) -> int:
    import os
    import time

    from bridge.cloud.auth import TokenCredentials, load_credentials
    from bridge.cloud.client import StandCloudClient
    from bridge.cloud.settings import API_KEY_ENV
    from bridge.cloud.tokens import token_stores
    from bridge.errors import AuthError

    endpoints = settings.endpoints
    stores = token_stores()
    try:
        credentials = load_credentials(endpoints, settings.api_key, stores)
    except AuthError:
        print(
            f"not logged in to {endpoints.base} (token store: {stores[0].name});"
            f" run `bridge sc-login {endpoints.base}`",
            file=sys.stderr,
        )
        return 1
    with StandCloudClient(settings, credentials) as client:
        client.healthcheck()
    if isinstance(credentials, TokenCredentials):
        left = max(0, int(credentials.expires_at - time.time()))
        print(
            f"OK: logged in to {endpoints.base} (token store: {credentials.store.name});"
            f" access token valid until {_when(credentials.expires_at)} ({left} s),"
            " refreshed automatically while the login lasts"
        )
    else:
        source = API_KEY_ENV if os.environ.get(API_KEY_ENV) else "hardpy.toml api_key"
        print(f"OK: {endpoints.base} accepts the API key from {source}; it does not expire")
    return 0


def run_logout(args: argparse.Namespace) -> int:
    from bridge.cloud.tokens import token_stores

    settings = _settings(args, args.address)
    base = settings.endpoints.base
    removed = [store.name for store in token_stores() if store.delete(base)]
    if removed:
        print(f"Logged out of {base}: removed the tokens from {', '.join(removed)}")
    else:
        print(f"No stored login for {base}; nothing to remove")
    return 0


# -- sync ---------------------------------------------------------------------------
def run_sync(args: argparse.Namespace) -> int:
    from bridge.cli.main import open_store
    from bridge.store import outbox

    with open_store(args, read_only=args.status) as store:
        if args.status:
            return _status(store)
        from bridge.cloud.plugin import result_line
        from bridge.cloud.progress import sync_with_progress
        from bridge.cloud.sync import Uploader

        if args.retry_rejected:
            outbox.requeue(store)
        if not outbox.waiting(store.conn):
            print("StandCloud: nothing to upload")
            return 0
        settings = _settings(args)
        with _client_for(settings, args.parallel) as client:
            uploader = Uploader(
                store, client, fill_unknown=settings.fill_unknown, parallel=args.parallel
            )
            result = sync_with_progress(uploader)
        line = result_line(result, None)
        print(line, file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1


def _client_for(settings: Any, parallel: int) -> Any:
    from bridge.cloud.client import open_client

    return open_client(settings, connections=max(1, parallel))


def _status(store: Any) -> int:
    from rich.console import Console
    from rich.table import Table

    from bridge.store import outbox

    status = outbox.status(store.conn)
    table = Table(title="StandCloud outbox")
    table.add_column("state")
    table.add_column("runs", justify="right")
    for state, count in status.counts.items():
        table.add_row(state, str(count))
    console = Console(soft_wrap=True)
    console.print(table)
    console.print(f"last upload: {_when(status.last_upload_at)}")
    if status.last_error:
        console.print(
            f"last error ({_when(status.last_error_at)}, run"
            f" {status.last_error_run}): {status.last_error}",
            markup=False,
        )
    return 0


# -- cloud runs / run / duts ------------------------------------------------------------
def _reader(args: argparse.Namespace) -> Any:
    from bridge.cloud.reader import CloudReader

    return CloudReader(_client(args))


def _table(title: str, rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for _, header in columns:
        table.add_column(header)
    for row in rows:
        table.add_row(*("" if row.get(key) is None else str(row.get(key)) for key, _ in columns))
    Console(soft_wrap=True).print(table)


def _print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=2))


RUN_COLUMNS = [
    ("test_run_id", "run"),
    ("status", "status"),
    ("part_number", "part number"),
    ("serial_number", "serial"),
    ("test_stand_name", "stand"),
    ("start_time", "start"),
    ("duration", "s"),
    ("number_of_attempt", "attempt"),
]


def run_cloud_runs(args: argparse.Namespace) -> int:
    reader = _reader(args)
    with reader.client:
        runs = reader.runs(
            part_number=args.part_number,
            serial_number=args.serial_number,
            test_stand_name=args.stand,
            limit=args.limit,
        )
    if args.json:
        _print_json(runs)
    else:
        _table(f"StandCloud runs ({len(runs)})", runs, RUN_COLUMNS)
    return 0


def run_cloud_run(args: argparse.Namespace) -> int:
    reader = _reader(args)
    with reader.client:
        run = reader.run(args.run_id)
    if args.json:
        _print_json(run)
    else:
        rows = [{"key": key, "value": value} for key, value in run.items()]
        _table(f"StandCloud run {args.run_id}", rows, [("key", "field"), ("value", "value")])
    return 0


def run_cloud_duts(args: argparse.Namespace) -> int:
    reader = _reader(args)
    with reader.client:
        duts = reader.duts(test_stand_name=args.stand, part_number=args.part_number)
    if args.json:
        _print_json(duts)
    else:
        columns = [
            ("part_number", "part number"),
            ("serial_number", "serial"),
            ("test_stand_name", "stand"),
            ("number_of_runs", "runs"),
            ("last_status", "last status"),
            ("last_run_time", "last run"),
        ]
        _table(f"StandCloud tested DUTs ({len(duts)})", duts, columns)
    return 0


# -- cloud-sim ----------------------------------------------------------------------
def run_cloud_sim(args: argparse.Namespace) -> int:
    from bridge.cloud.sim import SimConfig, SimServer

    login, _, password = args.user.partition(":")
    if not login or not password:
        raise ValueError("--user must be LOGIN:PASSWORD")
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
        print(f'  ca_file = "{server.ca_file}"')
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
