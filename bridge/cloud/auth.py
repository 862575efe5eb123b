"""Bearer credentials as ``httpx.Auth``: a fixed API key, or login tokens that refresh.

Tokens are refreshed a minute before they expire, and once more when the server
answers 401 (the flow sets the header, sends, looks at the answer, refreshes and sends
once more). Refreshes are serialised by a lock, and a request that failed with a
token another thread has since replaced simply retries with the new one, so parallel
uploads never spend a rotated refresh token twice.

Why not authlib's ``OAuth2Client``: its sync client refreshes without a lock (four
upload threads near expiry would each spend the one refresh token, which a server
with a replay rule answers by ending the whole login), never retries after a 401,
and has no hook to take a token another process refreshed before spending its own
(``update_token`` is only called afterwards); it would also add ~0.2 s of imports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Generator
from typing import Any

import httpx

from bridge.cloud.tokens import TokenStore
from bridge.cloud.urls import CLIENT_ID, Endpoints
from bridge.errors import AuthError, StandCloudError

REFRESH_LEEWAY = 60.0  # seconds before expiry at which a token is refreshed

Flow = Generator[httpx.Request, httpx.Response, None]


class ApiKeyCredentials(httpx.Auth):
    """A fixed bearer: a 401 is final (the client says to check the key)."""

    kind = "API key"

    def __init__(self, key: str):
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Flow:
        request.headers["Authorization"] = f"Bearer {self._key}"
        yield request

    def __repr__(self) -> str:  # never show the key
        return "ApiKeyCredentials(***)"


def with_expiry(token: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """Keep only what we need, with an absolute ``expires_at``."""
    now = time.time() if now is None else now
    expires_in = token.get("expires_in")
    return {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "token_type": token.get("token_type", "Bearer"),
        "expires_at": token.get("expires_at") or (now + float(expires_in or 300)),
    }


class TokenCredentials(httpx.Auth):
    """Login tokens: refreshed before expiry and after one 401, then stored.

    The flow takes a lock and reads the token store, so it is ``sync_auth_flow``
    (httpx's rule for flows with locks or disk I/O); the client is synchronous.
    """

    kind = "login"

    def __init__(self, endpoints: Endpoints, store: TokenStore, token: dict[str, Any]):
        self.endpoints = endpoints
        self.store = store
        self._token = token
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenCredentials({self.endpoints.base}, store={self.store.name})"

    @property
    def expires_at(self) -> float:
        return float(self._token["expires_at"])

    def sync_auth_flow(self, request: httpx.Request) -> Flow:
        with self._lock:
            if self.expires_at - REFRESH_LEEWAY <= time.time():
                yield from self._refresh(request)
            used = self._token["access_token"]
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401:
            return
        with self._lock:
            if self._token["access_token"] == used:  # else another request refreshed
                yield from self._refresh(request)
            request.headers["Authorization"] = f"Bearer {self._token['access_token']}"
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise TypeError("TokenCredentials serve the synchronous httpx.Client only")
        yield request  # pragma: no cover - makes this an async generator

    def _adopt_stored(self) -> bool:
        """Take a fresher token another process (a second sync) stored meanwhile.

        Refresh tokens rotate, and a server treats a used one presented again as
        stolen and ends the whole login: so never spend one another process spent.
        """
        try:
            stored = self.store.load(self.endpoints.base)
        except Exception:  # noqa: BLE001 (an unreadable store: refresh as if nobody else had)
            return False
        if not stored or stored.get("refresh_token") == self._token.get("refresh_token"):
            return False
        if float(stored.get("expires_at") or 0) - REFRESH_LEEWAY <= time.time():
            return False
        self._token = stored
        return True

    def _refresh(self, sent: httpx.Request) -> Flow:
        """Yield the refresh request (through the same client and transport)."""
        if self._adopt_stored():
            return
        refresh_token = self._token.get("refresh_token")
        again = f"run `bridge sc-login {self.endpoints.base}` again"
        if not refresh_token:
            raise AuthError(
                f"the StandCloud login has expired: {again}", address=self.endpoints.base
            )
        response = yield httpx.Request(
            "POST",
            self.endpoints.token,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": CLIENT_ID,
                "audience": self.endpoints.api_root,
            },
            headers={"User-Agent": sent.headers.get("User-Agent", "")},
            extensions={k: v for k, v in sent.extensions.items() if k == "timeout"},
        )
        response.read()
        if response.status_code == 200:
            try:
                token = with_expiry(response.json())
            except (ValueError, KeyError, TypeError):
                raise StandCloudError(
                    "malformed token answer from StandCloud", address=self.endpoints.base
                ) from None
            if not token.get("refresh_token"):
                token["refresh_token"] = refresh_token
            self._token = token
            self.store.save(self.endpoints.base, token)
            return
        if response.status_code in (400, 401):
            raise AuthError(
                f"StandCloud ended the login (refresh refused): {again}",
                address=self.endpoints.base,
                status=response.status_code,
            )
        raise StandCloudError(
            f"token refresh failed with HTTP {response.status_code}",
            address=self.endpoints.base,
            status=response.status_code,
        )


Credentials = ApiKeyCredentials | TokenCredentials


def load_credentials(
    endpoints: Endpoints,
    api_key: str | None,
    stores: list[TokenStore],
    key_refused: str | None = None,
) -> Credentials:
    """The API key when one is set, else the stored login for this address.

    ``key_refused``: why the environment's key was withheld from this address; said
    instead of "not logged in" when there is no login either.
    """
    if api_key:
        return ApiKeyCredentials(api_key)
    for store in stores:
        token = store.load(endpoints.base)
        if token and token.get("access_token"):
            return TokenCredentials(endpoints, store, token)
    if key_refused:
        raise AuthError(key_refused, address=endpoints.base)
    raise AuthError(
        f"not logged in to {endpoints.base}: run `bridge sc-login {endpoints.base}`"
        " or set api_key in [stand_cloud] (or HARDPY_SC_API_KEY)",
        address=endpoints.base,
    )
