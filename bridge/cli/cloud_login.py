"""``bridge sc-login`` (RFC 8628 device flow, ``--check``) and ``bridge sc-logout``.

The device-code polling is ours (bridge.cloud.login); the tokens then serve an
``httpx.Auth`` flow (bridge.cloud.auth) that refreshes them and retries after a 401.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bridge.cli.cells import local_time
from bridge.cli.cloud_common import json_text, settings_for


def run_login(args: argparse.Namespace) -> int:
    settings = settings_for(args, args.address)
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

    settings = settings_for(args, args.address)
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


