"""HardPy's ``JsonLoader``: a finished run's report written to a folder as a JSON file.

As in HardPy, ``JsonLoader(folder)`` creates the folder (default ``./reports``), and
``load(report)`` writes ``<id>.json``: the report with its ``id`` replaced by a fresh
time-ordered UUID (version 7, so the files sort by time) or by ``new_report_id``,
indented by 2. It answers True when written, False (logged) when not.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def uuid7() -> str:
    """A UUID whose first 48 bits are the Unix time in ms (RFC 9562, version 7)."""
    millis = time.time_ns() // 1_000_000
    value = (millis & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC variant
    return str(uuid.UUID(int=value))


class JsonLoader:
    """Writes reports as JSON files into one folder."""

    def __init__(self, storage_dir: Path | str | None = None):
        self._storage_dir = Path(storage_dir) if storage_dir else Path.cwd() / "reports"
        self._storage_dir.mkdir(parents=True, exist_ok=True)

    def load(self, report: Any, new_report_id: str | None = None) -> bool:
        """Write ``report`` (a RunReport or its dict); True when the file is written."""
        data = report.model_dump(mode="json") if hasattr(report, "model_dump") else dict(report)
        report_id = new_report_id or uuid7()
        data["id"] = report_id
        path = self._storage_dir / f"{report_id}.json"
        try:
            with path.open("w", encoding="utf-8") as out:
                json.dump(data, out, indent=2, default=str)
        except (OSError, TypeError, ValueError) as exc:
            log.error("JsonLoader: cannot write %s: %s", path, exc)
            return False
        return True
