"""The run store: every run, case, measurement and artifact in one SQLite file."""

from bridge.store.db import Store

__all__ = ["Store"]
