"""From the one address a user configures to every URL the client needs.

The address is what ``hardpy.toml`` holds (``demo.standcloud.localhost``, with an
optional ``:port``). ``https://`` is implied; plain ``http://`` is accepted only when
written out, so that a typo never downgrades a stand to clear text.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from bridge.errors import StandCloudError

CLIENT_ID = "hardpy-report-uploader"
SCOPE = "offline_access authelia.bearer.authz"


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one StandCloud installation."""

    base: str  # scheme://host[:port], no trailing slash: also the token-store key

    @classmethod
    def from_address(cls, address: str) -> Endpoints:
        text = address.strip().rstrip("/")
        if not text:
            raise StandCloudError("no StandCloud address: set [stand_cloud] address")
        if "://" not in text:
            text = f"https://{text}"
        try:
            parts = urlsplit(text)
        except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 address
            raise StandCloudError(f"bad StandCloud address {address!r}: {exc}",
                                  address=address) from None
        if parts.scheme not in ("https", "http"):
            raise StandCloudError(
                f"unsupported scheme {parts.scheme!r} in StandCloud address {address!r}",
                address=address,
            )
        if not parts.hostname or parts.path not in ("", "/") or parts.query:
            raise StandCloudError(
                f"StandCloud address must be a host with an optional port, got {address!r}",
                address=address,
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise StandCloudError(f"bad port in {address!r}", address=address) from exc
        host = parts.hostname.lower()
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc = f"{host}:{port}" if port else host
        return cls(f"{parts.scheme}://{netloc}")

    @property
    def api_root(self) -> str:
        return f"{self.base}/hardpy/api/v1"

    @property
    def integration_root(self) -> str:
        return f"{self.base}/integration/api/v1"

    @property
    def device_authorization(self) -> str:
        return f"{self.base}/auth/api/oidc/device-authorization"

    @property
    def token(self) -> str:
        return f"{self.base}/auth/api/oidc/token"

    @property
    def revocation(self) -> str:
        """RFC 7009 token revocation (``sc-logout`` ends the login at the server)."""
        return f"{self.base}/auth/api/oidc/revocation"

    @property
    def authorization(self) -> str:
        return f"{self.base}/auth/api/oidc/authorization"

    @property
    def healthcheck(self) -> str:
        return f"{self.api_root}/healthcheck"

    @property
    def test_report(self) -> str:
        return f"{self.api_root}/test_report"

    @property
    def test_run(self) -> str:
        return f"{self.api_root}/test_run"

    @property
    def tested_dut(self) -> str:
        return f"{self.api_root}/tested_dut"

    @property
    def is_https(self) -> bool:
        return self.base.startswith("https://")

    @property
    def is_loopback(self) -> bool:
        """This machine only (``localhost``, ``*.localhost``, 127.0.0.0/8, ``::1``)."""
        host = (urlsplit(self.base).hostname or "").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
