"""The client's settings: ``[stand_cloud]`` of hardpy.toml plus the environment.

``HARDPY_SC_API_KEY`` is this user's key, and a checked-out repository's hardpy.toml
must not be able to send it anywhere: it goes only to an address the user approved,
either by naming it beside the key in ``BRIDGE_SC_ADDRESS`` or by ``bridge sc-login``
to it (a stored login). Then it wins over ``api_key`` in the file. An ``api_key``
written beside ``address`` in one hardpy.toml (HardPy's own set-up) is that file's
own pair and is always used as it is.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.cloud.urls import Endpoints
from bridge.errors import StandCloudError

API_KEY_ENV = "HARDPY_SC_API_KEY"
ADDRESS_ENV = "BRIDGE_SC_ADDRESS"  # the one address HARDPY_SC_API_KEY may be sent to


@dataclass(frozen=True)
class CloudSettings:
    endpoints: Endpoints
    api_key: str | None = None
    verify: bool = True
    ca_file: Path | None = None
    fill_unknown: bool = False
    timeout: float = 15.0  # seconds per request
    key_refused: str | None = None  # why HARDPY_SC_API_KEY is not used for this address

    @classmethod
    def from_section(
        cls,
        section: Any,
        *,
        address: str | None = None,
        root: Path | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> CloudSettings:
        """From a StandCloudSection; ``address`` (a CLI argument) wins over the file's,
        and ``BRIDGE_SC_ADDRESS`` serves when neither names one."""
        approved = _approved_address(environ)
        endpoints = Endpoints.from_address(
            address or section.address or (approved.base if approved else "")
        )
        ca_file = section.ca_file
        if ca_file is not None and not ca_file.is_absolute() and root is not None:
            ca_file = root / ca_file
        api_key, refused = section.api_key or None, None
        if environ.get(API_KEY_ENV):
            if endpoints == approved or _logged_in(endpoints):
                api_key = environ[API_KEY_ENV]
            elif api_key is None:
                refused = (
                    f"{API_KEY_ENV} is not sent to {endpoints.base}: no address this user"
                    f" approved. If you trust it, set {ADDRESS_ENV}={endpoints.base} beside"
                    f" the key, or run `bridge sc-login {endpoints.base}`"
                )
        return cls(endpoints, api_key, section.verify, ca_file, section.fill_unknown,
                   key_refused=refused)

    @property
    def warnings(self) -> list[str]:
        """What every command must print before it talks to StandCloud."""
        base = self.endpoints.base
        if not self.endpoints.is_https:
            if self.endpoints.is_loopback:
                return []
            return [
                f"warning: {base} is plain http://: the API key or login tokens and every"
                " report cross the network unencrypted; use an https:// address"
            ]
        if self.verify:
            return []
        return [
            f"warning: TLS certificate verification is OFF for {base}"
            " ([bridge.stand_cloud] verify = false): anyone on the network path can read the"
            " tokens and reports"
        ]

    def ssl_verify(self) -> ssl.SSLContext | bool:
        """httpx's ``verify``: a context for a CA bundle (the non-deprecated form)."""
        if not self.verify:
            return False
        if self.ca_file is not None:
            return ssl.create_default_context(cafile=str(self.ca_file))
        return True


def _approved_address(environ: Mapping[str, str]) -> Endpoints | None:
    text = environ.get(ADDRESS_ENV, "").strip()
    if not text:
        return None
    try:
        return Endpoints.from_address(text)
    except StandCloudError as exc:
        raise StandCloudError(f"{ADDRESS_ENV}: {exc}") from None


def _logged_in(endpoints: Endpoints) -> bool:
    """Whether this user ran ``sc-login`` to the address (a login is stored for it)."""
    from keyring.errors import KeyringError

    from bridge.cloud.tokens import token_stores

    try:
        return any(store.load(endpoints.base) for store in token_stores())
    # an unreadable token file (OSError, bad JSON: ValueError, AuthError) or keyring
    # approves nothing
    except (StandCloudError, OSError, ValueError, KeyringError):
        return False
