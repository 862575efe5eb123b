"""Bearer credentials: a fixed API key, or login tokens that refresh themselves.

Tokens are refreshed a minute before they expire, and once more when the server
answers 401. Refreshes are serialised by a lock, and a request that failed with a
token another thread has since replaced simply retries with the new one, so parallel
uploads never spend a rotated refresh token twice.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from bridge.cloud.tokens import TokenStore
from bridge.cloud.urls import CLIENT_ID, Endpoints
from bridge.errors import AuthError, StandCloudError

REFRESH_LEEWAY = 60.0  # seconds before expiry at which a token is refreshed


class Credentials(Protocol):
    kind: str

    def bearer(self, http: Any) -> str: ...

    def on_unauthorized(self, http: Any, used: str) -> bool:
        """After a 401 with ``used``: True when a retry with a new bearer makes sense."""
        ...


class ApiKeyCredentials:
    kind = "API key"

    def __init__(self, key: str):
        self._key = key

    def bearer(self, http: Any) -> str:
        return self._key

    def on_unauthorized(self, http: Any, used: str) -> bool:
        return False

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


class TokenCredentials:
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

    def bearer(self, http: Any) -> str:
        with self._lock:
            if self.expires_at - REFRESH_LEEWAY <= time.time():
                self._refresh(http)
            return self._token["access_token"]

    def on_unauthorized(self, http: Any, used: str) -> bool:
        with self._lock:
            if self._token["access_token"] != used:
                return True  # another request refreshed meanwhile
            self._refresh(http)
            return True

    def _adopt_stored(self) -> bool:
        """Take a fresher token another process (a second sync) stored meanwhile.

        Refresh tokens rotate, and a server treats a used one presented again as
        stolen and ends the whole login: so never spend one another process spent.
        """
        try:
            stored = self.store.load(self.endpoints.base)
        except Exception:  # an unreadable store: refresh as if nobody else had
            return False
        if not stored or stored.get("refresh_token") == self._token.get("refresh_token"):
            return False
        if float(stored.get("expires_at") or 0) - REFRESH_LEEWAY <= time.time():
            return False
        self._token = stored
        return True

    def refresh(self, http: Any) -> None:
        with self._lock:
            self._refresh(http)

    def _refresh(self, http: Any) -> None:
        if self._adopt_stored():
            return
        refresh_token = self._token.get("refresh_token")
        again = f"run `bridge sc-login {self.endpoints.base}` again"
        if not refresh_token:
            raise AuthError(
                f"the StandCloud login has expired: {again}", address=self.endpoints.base
            )
        import httpx

        try:
            response = http.post(
                self.endpoints.token,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": CLIENT_ID,
                    "audience": self.endpoints.api_root,
                },
            )
        except httpx.TransportError as exc:
            raise StandCloudError(
                f"cannot refresh the StandCloud login: {exc}", address=self.endpoints.base
            ) from None
        if response.status_code == 200:
            try:
                token = with_expiry(response.json())
            except (ValueError, KeyError):
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


def load_credentials(
    endpoints: Endpoints,
    api_key: str | None,
    stores: list[TokenStore],
    key_refused: str | None = None,
) -> ApiKeyCredentials | TokenCredentials:
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
