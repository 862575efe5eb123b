"""The simulator's authorization server: authlib's RFC 8628 and RFC 6749 grants.

authlib ships integrations for Flask and Django only; the adapter below gives it what
it asks of a framework (an OAuth2Request built from a request, a response built from
status/body/headers) for Starlette. Starlette reads forms asynchronously, so the
route reads the form first and hands authlib a plain snapshot.

Tokens are stored as digests, grouped by login ("family"). Refresh tokens rotate, and
a used one presented again is taken as stolen: every token of its family is revoked
(OAuth 2.0 Security BCP, RFC 9700 §4.14). RFC 7009 revocation ends a whole family too.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from authlib.oauth2.rfc6749.grants import RefreshTokenGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc8628 import (
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialDict,
)
from starlette.responses import JSONResponse

from bridge.cloud.sim.db import SimDB, digest
from bridge.cloud.urls import CLIENT_ID, SCOPE


@dataclass
class FormSnapshot:
    """An already-read HTTP request: what authlib's payload and form need."""

    method: str
    url: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)


class _Request(OAuth2Request):
    def __init__(self, snap: FormSnapshot):
        # authlib refuses non-https URIs unless a process-wide environment variable
        # is set; the simulator may serve plain HTTP on loopback, so it presents
        # the URI as https instead of changing the whole process's environment.
        uri = snap.url.replace("http://", "https://", 1)
        super().__init__(snap.method, uri, headers=snap.headers)
        self._form = snap.form
        self.payload = BasicOAuth2Payload(snap.form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class _Client(ClientMixin):
    """The one public client StandCloud knows: the HardPy report uploader."""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(SCOPE.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (DeviceCodeGrant.GRANT_TYPE, "refresh_token")


class _Token(TokenMixin):
    def __init__(self, row: Any):
        self.row = row

    def check_client(self, client: ClientMixin) -> bool:
        return self.row["client_id"] == client.get_client_id()

    def get_scope(self) -> str:
        return self.row["scope"] or ""

    def get_expires_in(self) -> int:
        return int(self.row["expires_at"] - self.row["issued_at"])

    def is_expired(self) -> bool:
        return self.row["refresh_expires_at"] < time.time()

    def is_revoked(self) -> bool:
        return bool(self.row["revoked"])

    def get_user(self) -> str:
        return self.row["login"]

    def get_client(self) -> ClientMixin:
        return _Client()


class SimAuthServer(AuthorizationServer):
    def __init__(self, db: SimDB, *, access_ttl: float, refresh_ttl: float):
        super().__init__(scopes_supported=SCOPE.split())
        self.db = db
        self.refresh_ttl = refresh_ttl
        self.access_ttl = access_ttl
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: secrets.token_urlsafe(32),
                refresh_token_generator=lambda **_: secrets.token_urlsafe(32),
                expires_generator=lambda client, grant_type: max(1, int(self.access_ttl)),
            ),
        )

    def query_client(self, client_id: str) -> ClientMixin | None:
        return _Client() if client_id == CLIENT_ID else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        now = time.time()
        refreshed = request.refresh_token  # the _Token a refresh grant was given, else None
        family = refreshed.row["family"] if refreshed is not None else secrets.token_hex(8)
        refresh_token = token.get("refresh_token")
        self.db.execute(
            "INSERT INTO tokens (access_token, refresh_token, login, client_id, scope,"
            " issued_at, expires_at, refresh_expires_at, revoked, family)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            (
                digest(token["access_token"]),
                digest(refresh_token) if refresh_token else None,
                request.user,
                CLIENT_ID,
                token.get("scope"),
                now,
                now + self.access_ttl,
                now + self.refresh_ttl,
                family,
            ),
        )

    def revoke_family(self, family: str | None) -> None:
        self.db.execute("UPDATE tokens SET revoked = 1 WHERE family = ?", (family,))

    def create_oauth2_request(self, request: FormSnapshot) -> OAuth2Request:
        return _Request(request)

    def handle_response(self, status: int, body: Any, headers: Any) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals: nothing listens in the simulator."""


class SimDeviceAuthorization(DeviceAuthorizationEndpoint):
    def __init__(
        self, server: SimAuthServer, *, verification_uri: str, expires_in: int, interval: float
    ):
        super().__init__(server)
        self.verification_uri = verification_uri
        self.EXPIRES_IN = expires_in
        self.INTERVAL = interval

    def get_verification_uri(self) -> str:
        return self.verification_uri

    def save_device_credential(self, client_id: str, scope: str, data: dict) -> None:
        self.server.db.execute(
            "INSERT INTO device_codes (device_code, user_code, client_id, scope, expires_at,"
            " interval) VALUES (?, ?, ?, ?, ?, ?)",
            (
                data["device_code"],
                data["user_code"],
                client_id,
                scope,
                time.time() + data["expires_in"],
                data["interval"],
            ),
        )


class SimDeviceCodeGrant(DeviceCodeGrant):
    def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
        row = self.server.db.one("SELECT * FROM device_codes WHERE device_code = ?", (device_code,))
        if row is None:
            return None
        if row["used"]:
            raise InvalidGrantError("this device_code was already used")
        return DeviceCredentialDict(dict(row))

    def query_user_grant(self, user_code: str) -> tuple[str, bool] | None:
        row = self.server.db.one(
            "SELECT login, approved FROM device_codes WHERE user_code = ?", (user_code,)
        )
        if row is None or row["approved"] is None:
            return None
        return row["login"], bool(row["approved"])

    def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
        now = time.time()
        last, interval = credential.get("last_poll"), credential["interval"]
        self.server.db.execute(
            "UPDATE device_codes SET last_poll = ? WHERE device_code = ?",
            (now, credential["device_code"]),
        )
        # 10 % leeway for the jitter of a client sleeping exactly `interval`
        return last is not None and now - last < interval * 0.9

    def create_token_response(self) -> Any:  # authlib's (untyped) token response
        result = super().create_token_response()
        # RFC 8628 §3.5: a device code yields one token response, never a second.
        self.server.db.execute(
            "UPDATE device_codes SET used = 1 WHERE device_code = ?",
            (self.request.credential["device_code"],),
        )
        return result


class SimRefreshTokenGrant(RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh gives a new refresh token
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - authlib's class attribute

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        row = self.server.db.one(
            "SELECT * FROM tokens WHERE refresh_token = ?", (digest(refresh_token),)
        )
        if row is None:
            return None
        token = _Token(row)
        if token.is_revoked():
            # used before (rotated) or revoked: whoever holds it, its successors end too
            self.server.revoke_family(row["family"])
            return None
        return None if token.is_expired() else token

    def authenticate_user(self, refresh_token: _Token) -> str:
        return refresh_token.get_user()

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        self.server.db.execute(
            "UPDATE tokens SET revoked = 1 WHERE access_token = ?",
            (refresh_token.row["access_token"],),
        )


class SimRevocation(RevocationEndpoint):
    """RFC 7009: ``sc-logout`` ends the login at the server, not only on the stand."""

    CLIENT_AUTH_METHODS = ["none"]  # noqa: RUF012 - authlib's class attribute

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        hashed = digest(token_string)
        row = self.server.db.one(
            "SELECT * FROM tokens WHERE access_token = ? OR refresh_token = ?", (hashed, hashed)
        )
        return _Token(row) if row is not None else None

    def revoke_token(self, token: _Token, request: OAuth2Request) -> None:
        # §2.1: revoking a refresh token should end the access tokens of its grant
        self.server.revoke_family(token.row["family"])


def create_auth_server(
    db: SimDB,
    *,
    verification_uri: str,
    access_ttl: float,
    refresh_ttl: float,
    device_ttl: int,
    interval: float,
) -> SimAuthServer:
    server = SimAuthServer(db, access_ttl=access_ttl, refresh_ttl=refresh_ttl)
    server.register_grant(SimDeviceCodeGrant)
    server.register_grant(SimRefreshTokenGrant)
    server.register_endpoint(SimRevocation)
    server.register_endpoint(
        SimDeviceAuthorization(
            server, verification_uri=verification_uri, expires_in=device_ttl, interval=interval
        )
    )
    return server
