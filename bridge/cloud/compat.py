"""HardPy's StandCloud classes, for conftests and scripts written for HardPy.

A HardPy plan may upload its own report from a post-run function
(``StandCloudLoader().load(get_current_report())``) or read StandCloud back
(``StandCloudReader(StandCloudConnector(addr)).test_run(...)``). These give the same
calls over our client: the answers are HTTP responses, as HardPy's are (``201`` means
stored), and StandCloud out of reach or a missing login raises StandCloudError. A run
stored through the loader is marked uploaded in the local outbox, so that ``bridge
sync`` and autosync do not send it again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from bridge.cloud.client import open_client
from bridge.cloud.settings import CloudSettings
from bridge.cloud.urls import Endpoints
from bridge.config import StandConfig, in_use

if TYPE_CHECKING:
    import httpx

    from bridge.cloud.client import StandCloudClient


class StandCloudAPIMode(str, Enum):
    """Which API of a StandCloud installation a connector talks to."""

    HARDPY = "hardpy"  # the stand API
    INTEGRATION = "integration"  # the third-party API


class StandCloudConnector:
    """One StandCloud address and which of its APIs to talk to."""

    def __init__(self, addr: str, api_mode: StandCloudAPIMode | str = StandCloudAPIMode.HARDPY,
                 api_version: int = 1):
        self.endpoints = Endpoints.from_address(addr)
        self.api_mode = StandCloudAPIMode(api_mode)
        self.api_version = api_version

    @property
    def url(self) -> str:
        return f"{self.endpoints.base}/{self.api_mode.value}/api/v{self.api_version}"


def _client(stand: StandConfig, address: str | None) -> StandCloudClient:
    """A client with the login (or API key, TLS settings) of this stand's config."""
    settings = CloudSettings.from_section(stand.model.stand_cloud, address=address,
                                          root=stand.root)
    return open_client(settings)


class StandCloudLoader:
    """Uploads a report: ``load(report)`` answers StandCloud's response."""

    def __init__(self, address: str | None = None):
        self.stand = in_use()
        self.address = address

    def healthcheck(self) -> httpx.Response:
        with _client(self.stand, self.address) as client:
            return client.request("GET", client.endpoints.healthcheck)

    def load(self, report: Any) -> httpx.Response:
        """POST ``report`` (``get_current_report()``, or its dict) to the stand API."""
        body = report.model_dump(mode="json") if hasattr(report, "model_dump") else dict(report)
        with _client(self.stand, self.address) as client:
            response = client.request("POST", client.endpoints.test_report, json=body)
        if response.status_code == 201:
            self._mark_uploaded(str(body.get("id")), response)
        return response

    def _mark_uploaded(self, run_id: str, response: httpx.Response) -> None:
        from bridge.store import Store, outbox

        if not self.stand.store_path.is_file():
            return
        with Store.open(self.stand.store_path, create=False) as store:
            if store.conn.execute("SELECT 1 FROM outbox WHERE run_id = ?", (run_id,)).fetchone():
                try:
                    answer = response.json()
                except ValueError:  # stored (201 says so); the id is only informative
                    answer = None
                remote_id = answer.get("test_run_id") if isinstance(answer, Mapping) else None
                outbox.record_attempt(store, run_id, "uploaded", at=time.time(),
                                      remote_id=remote_id)


class StandCloudReader:
    """``test_run`` and ``tested_dut`` of the connector's API, as HTTP responses."""

    def __init__(self, sc_connector: StandCloudConnector):
        self.connector = sc_connector
        self.stand = in_use()

    def _get(self, path: str, params: Mapping[str, Any] | None) -> httpx.Response:
        with _client(self.stand, self.connector.endpoints.base) as client:
            return client.request("GET", f"{self.connector.url}/{path}", params=params)

    def test_run(self, run_id: str | None = None,
                 params: Mapping[str, Any] | None = None) -> httpx.Response:
        """One run by id, or the runs matching ``params`` (StandCloud's filters)."""
        return self._get(f"test_run/{run_id}" if run_id else "test_run", params)

    def tested_dut(self, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """The last tested DUTs matching ``params``."""
        return self._get("tested_dut", params)
