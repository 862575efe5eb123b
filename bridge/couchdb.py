"""HardPy's CouchDB classes, so that a HardPy conftest importing them still loads.

Runs land in the SQLite store as they happen; there is no CouchDB to load a report
into. ``CouchdbLoader.load`` says so with a warning rather than pretend to store.
"""

from __future__ import annotations

import warnings
from typing import Any


class CouchdbConfig:
    """HardPy's CouchDB settings (db_name, user, password, host, port, ...): kept, unused."""

    def __init__(self, **settings: Any):
        self.settings = settings


class CouchdbLoader:
    """HardPy's report loader for CouchDB; here the run is already stored."""

    def __init__(self, config: CouchdbConfig | None = None):
        self.config = config

    def load(self, report: Any) -> None:
        warnings.warn(
            "CouchdbLoader.load() does nothing here: stand-bridge has stored the run in its "
            "SQLite store already (`bridge show last`); remove the call to silence this",
            stacklevel=2,
        )
