"""The client's settings: ``[stand_cloud]`` of hardpy.toml plus the environment.

The environment variable ``HARDPY_SC_API_KEY`` wins over ``api_key`` in the file, so
that a CI job or a shared stand can use a key that is not written in the repository.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.cloud.urls import Endpoints

API_KEY_ENV = "HARDPY_SC_API_KEY"


@dataclass(frozen=True)
class CloudSettings:
    endpoints: Endpoints
    api_key: str | None = None
    verify: bool = True
    ca_file: Path | None = None
    fill_unknown: bool = False
    timeout: float = 15.0  # seconds per request

    @classmethod
    def from_section(
        cls,
        section: Any,
        *,
        address: str | None = None,
        root: Path | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> CloudSettings:
        """From a StandCloudSection; ``address`` (a CLI argument) wins over the file's."""
        endpoints = Endpoints.from_address(address or section.address)
        ca_file = section.ca_file
        if ca_file is not None and not ca_file.is_absolute() and root is not None:
            ca_file = root / ca_file
        api_key = environ.get(API_KEY_ENV) or section.api_key or None
        return cls(endpoints, api_key, section.verify, ca_file, section.fill_unknown)

    @property
    def warnings(self) -> list[str]:
        """What every command must print before it talks to StandCloud."""
        if self.verify or not self.endpoints.is_https:
            return []
        return [
            f"warning: TLS certificate verification is OFF for {self.endpoints.base}"
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
