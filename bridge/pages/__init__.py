"""Self-contained HTML pages from the run store: one run, and production over many."""

from __future__ import annotations

from bridge.pages.run_page import render_run

__all__ = ["render_run", "run_page"]


def run_page(conn, run_id: str) -> str:  # type: ignore[no-untyped-def]
    """The page of one stored run (``conn``: an open run-store connection)."""
    from bridge.pages.reads import case_times
    from bridge.report import build_report

    return render_run(build_report(conn, run_id), case_times(conn, run_id))
