"""Read back what StandCloud holds: runs and tested DUTs, as plain dicts."""

from __future__ import annotations

from typing import Any

from bridge.cloud.client import StandCloudClient
from bridge.errors import StandCloudError


class CloudReader:
    """``test_run`` and ``tested_dut`` of the stand API.

    >>> reader = CloudReader(client)
    >>> reader.runs(part_number="PN-1")[0]["status"]
    'PASS'
    """

    def __init__(self, client: StandCloudClient):
        self.client = client

    def runs(
        self,
        *,
        part_number: str | None = None,
        serial_number: str | None = None,
        test_stand_name: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        params = {
            "part_number": part_number,
            "serial_number": serial_number,
            "test_stand_name": test_stand_name,
            "limit": limit,
        }
        return self._list(self.client.endpoints.test_run, params)

    def run(self, run_id: str) -> dict[str, Any]:
        data = self.client.get_json(f"{self.client.endpoints.test_run}/{run_id}")
        if not isinstance(data, dict):
            raise StandCloudError("malformed answer from StandCloud: a run is not an object")
        return data

    def duts(
        self, *, test_stand_name: str | None = None, part_number: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"test_stand_name": test_stand_name, "part_number": part_number}
        return self._list(self.client.endpoints.tested_dut, params)

    def _list(self, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        data = self.client.get_json(url, {k: v for k, v in params.items() if v is not None})
        if isinstance(data, dict):  # a paginated answer: {"items": [...]} or similar
            data = data.get("items", data.get("results", data.get("data")))
        if not isinstance(data, list):
            raise StandCloudError("malformed answer from StandCloud: expected a list")
        return data
