"""StandCloud commands: sc-login, sc-logout, sync, cloud runs|run|duts, cloud-sim.

Importing this module costs nothing: httpx, authlib, rich and pydantic are imported
inside the commands that use them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bridge.cli import arguments
from bridge.cli.cells import local_time


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
    sync.add_argument("--parallel", type=int, default=4, help="uploads at once (default 4)")
    sync.set_defaults(func=run_sync)

    cloud = commands.add_parser("cloud", help="read what StandCloud holds")
    reads = cloud.add_subparsers(dest="what", metavar="WHAT", required=True)
    runs = reads.add_parser("runs", help="test runs on StandCloud, newest first")
    runs.add_argument("--part-number", help="only runs of this DUT part number")
    runs.add_argument("--serial-number", help="only runs of this DUT serial number")
    _stand_name_option(runs, "only runs on this test stand (its name)")
    runs.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
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


# -- shared helpers -------------------------------------------------------------------
def _stand(args: argparse.Namespace) -> Any:
    from bridge.cli.options import stand_config

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


def json_text(data: Any, indent: int | None = 2) -> str:
    import json

    return json.dumps(data, indent=indent)  # ASCII: \u escapes, no raw control characters


# -- sc-login / sc-logout ---------------------------------------------------------------
def run_login(args: argparse.Namespace) -> int:
    settings = _settings(args, args.address)
    if args.check:
        return _check(settings, as_json=args.json)
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
    from bridge.cli.text import shown  # the server's words: escaped like any other

    link = device.get("verification_uri_complete") or device["verification_uri"]
    print("Open this link in a browser, sign in to StandCloud and press Accept:")
    print(f"  {shown(link)}", flush=True)
    if "verification_uri_complete" not in device:
        print(f"and enter the code {shown(device['user_code'])}")
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


def _check(settings: Any, *, as_json: bool = False) -> int:
    """Whether the stored login (or API key) works; ``as_json``: one object, also on
    failure (``"ok": false`` and the reason), for a script to read."""
    import os
    import time

    from bridge.cloud.auth import TokenCredentials, load_credentials
    from bridge.cloud.client import StandCloudClient
    from bridge.cloud.settings import API_KEY_ENV
    from bridge.cloud.tokens import token_stores
    from bridge.errors import AuthError, BridgeError

    endpoints = settings.endpoints
    stores = token_stores()
    answer: dict[str, Any] = {"ok": False, "address": endpoints.base}
    try:
        credentials = load_credentials(endpoints, settings.api_key, stores)
    except AuthError:
        reason = settings.key_refused or (
            f"not logged in to {endpoints.base} (token store: {stores[0].name});"
            f" run `bridge sc-login {endpoints.base}`")
        return _answer(answer, reason, as_json)
    try:
        with StandCloudClient(settings, credentials) as client:
            client.healthcheck()
    except BridgeError as exc:
        if not as_json:
            raise
        return _answer(answer, str(exc), as_json)
    answer["ok"] = True
    if isinstance(credentials, TokenCredentials):
        left = max(0, int(credentials.expires_at - time.time()))
        answer.update(credentials="login", token_store=credentials.store.name,
                      access_token_expires_at=credentials.expires_at)
        line = (f"OK: logged in to {endpoints.base} (token store: {credentials.store.name});"
                f" access token valid until {local_time(credentials.expires_at)} ({left} s),"
                " refreshed automatically while the login lasts")
    else:
        from_env = settings.api_key == os.environ.get(API_KEY_ENV)
        source = API_KEY_ENV if from_env else "hardpy.toml api_key"
        answer.update(credentials="api_key", api_key_from=source)
        line = f"OK: {endpoints.base} accepts the API key from {source}; it does not expire"
    print(json_text(answer) if as_json else line)
    return 0


def _answer(answer: dict[str, Any], reason: str, as_json: bool) -> int:
    from bridge.cli.text import shown

    if as_json:
        print(json_text({**answer, "error": reason}))
    else:
        print(shown(reason), file=sys.stderr)
    return 1


def run_logout(args: argparse.Namespace) -> int:
    """Revoke the stored login at StandCloud, then delete it here (even if unrevoked)."""
    from bridge.cloud.tokens import token_stores

    settings = _settings(args, args.address)
    base = settings.endpoints.base
    stores = token_stores()
    tokens = [token for token in (store.load(base) for store in stores) if token]
    if tokens:
        _revoke(settings, tokens)
    removed = [store.name for store in stores if store.delete(base)]
    if removed:
        print(f"Logged out of {base}: removed the tokens from {', '.join(removed)}")
    else:
        print(f"No stored login for {base}; nothing to remove")
    return 0


def _revoke(settings: Any, tokens: list[dict[str, Any]]) -> None:
    import httpx

    from bridge.cloud.client import explain_transport_error
    from bridge.cloud.login import revoke
    from bridge.errors import StandCloudError

    endpoints = settings.endpoints
    try:
        with httpx.Client(verify=settings.ssl_verify(), timeout=settings.timeout) as http:
            for token in tokens:
                try:
                    revoke(http, endpoints, token)
                except httpx.TransportError as exc:
                    raise explain_transport_error(endpoints.base, exc) from None
    except StandCloudError as exc:
        print(
            f"warning: the login was not revoked at StandCloud ({exc}); its tokens are"
            " deleted here and stop working when the StandCloud login ends",
            file=sys.stderr,
        )
    else:
        print(f"Revoked the login at {endpoints.base}")


# -- sync, cloud reads: in their own modules ----------------------------------------------
def run_sync(args: argparse.Namespace) -> int:
    from bridge.cli.sync import run_sync

    return run_sync(args)


def run_cloud_runs(args: argparse.Namespace) -> int:
    from bridge.cli.cloud_reads import run_cloud_runs

    return run_cloud_runs(args)


def run_cloud_run(args: argparse.Namespace) -> int:
    from bridge.cli.cloud_reads import run_cloud_run

    return run_cloud_run(args)


def run_cloud_duts(args: argparse.Namespace) -> int:
    from bridge.cli.cloud_reads import run_cloud_duts

    return run_cloud_duts(args)


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
