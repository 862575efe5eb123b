"""``sc-login``: RFC 8628 device authorization, seen from the stand.

The stand asks for a device code, shows the link (and a QR code of it), and polls the
token endpoint at the interval the server asked for, adding 5 s on every
``slow_down``, until the user approves or denies in a browser, the code expires, or
five minutes pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import httpx

from bridge.cloud.auth import with_expiry
from bridge.cloud.urls import CLIENT_ID, SCOPE, Endpoints
from bridge.errors import AuthError, StandCloudError

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
LOGIN_LIMIT = 300.0  # seconds: give up after five minutes, as HardPy does
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5
NETWORK_TOLERANCE = 3  # consecutive failed polls (no connection, timeout) before giving up


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise StandCloudError(f"malformed {what} answer from StandCloud (not JSON)") from None
    if not isinstance(data, dict):
        raise StandCloudError(f"malformed {what} answer from StandCloud")
    return data


def request_device_code(http: httpx.Client, endpoints: Endpoints) -> dict[str, Any]:
    response = http.post(
        endpoints.device_authorization,
        data={"client_id": CLIENT_ID, "scope": SCOPE, "audience": endpoints.api_root},
    )
    data = _json(response, "device authorization")
    if response.status_code != 200 or "device_code" not in data:
        reason = data.get("error_description") or data.get("error") or response.status_code
        raise AuthError(
            f"StandCloud refused the login request: {reason}",
            address=endpoints.base,
            status=response.status_code,
        )
    return data


def poll_for_token(
    http: httpx.Client,
    endpoints: Endpoints,
    device: dict[str, Any],
    *,
    limit: float = LOGIN_LIMIT,
    slow_down_step: float = SLOW_DOWN_STEP,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll until a token is issued; AuthError on denial, expiry or the time limit."""
    interval = _seconds(device, "interval", 5.0, endpoints)
    deadline = clock() + min(limit, _seconds(device, "expires_in", limit, endpoints) or limit)
    again = f"run `bridge sc-login {endpoints.base}` again"
    failures = 0
    while True:
        if clock() + interval > deadline:
            raise AuthError(
                f"the login was not approved within {int(limit)} s: {again}", address=endpoints.base
            )
        sleep(interval)
        try:
            response = http.post(
                endpoints.token,
                data={
                    "grant_type": DEVICE_CODE_GRANT,
                    "device_code": device["device_code"],
                    "client_id": CLIENT_ID,
                },
            )
        except (httpx.ConnectError, httpx.TimeoutException, httpx.RemoteProtocolError):
            # the user may take minutes in the browser: ride out a short network blip
            failures += 1
            if failures >= NETWORK_TOLERANCE:
                raise
            continue
        failures = 0
        data = _json(response, "token")
        if response.status_code == 200 and "access_token" in data:
            try:
                return with_expiry(data)
            except (TypeError, ValueError):  # e.g. "expires_in": "soon"
                raise StandCloudError("malformed token answer from StandCloud",
                                      address=endpoints.base) from None
        error = data.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += slow_down_step
            continue
        if error == "access_denied":
            raise AuthError(f"the login was denied in the browser: {again}", address=endpoints.base)
        if error == "expired_token":
            raise AuthError(
                f"the login code expired before it was approved: {again}", address=endpoints.base
            )
        reason = data.get("error_description") or error or f"HTTP {response.status_code}"
        raise AuthError(
            f"login failed: {reason}", address=endpoints.base, status=response.status_code
        )


def _seconds(device: dict[str, Any], key: str, default: float, endpoints: Endpoints) -> float:
    """A time span of the device answer; one that is not a finite number >= 0 would
    make ``sleep`` or the deadline fail later with Python's words, not the server's."""
    value = device.get(key)
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise StandCloudError(f"malformed device answer from StandCloud: {key} = {value!r}",
                              address=endpoints.base)
    return seconds


def revoke(http: httpx.Client, endpoints: Endpoints, token: dict[str, Any]) -> None:
    """End a login at the server (RFC 7009): the refresh token, then the access token.

    Revoking the refresh token ends its access tokens too at a server that follows
    RFC 7009 §2.1; the access token is sent as well for one that does not.
    """
    for kind in ("refresh_token", "access_token"):
        if not token.get(kind):
            continue
        response = http.post(
            endpoints.revocation,
            data={"token": token[kind], "token_type_hint": kind, "client_id": CLIENT_ID},
        )
        if response.status_code != 200:
            raise StandCloudError(
                f"StandCloud did not revoke the login (HTTP {response.status_code})",
                address=endpoints.base,
                status=response.status_code,
            )
