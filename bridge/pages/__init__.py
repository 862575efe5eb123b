"""Self-contained HTML pages from the run store: one run, and production over many."""

from __future__ import annotations

import sqlite3

from bridge.pages.run_page import render_run

__all__ = ["render_run", "run_page"]


def run_page(conn: sqlite3.Connection, run_id: str) -> str:
    """The page of one stored run, with case durations unrounded from the store."""
    from bridge.pages.reads import case_times
    from bridge.report import build_report

    return render_run(build_report(conn, run_id), case_times(conn, run_id))
