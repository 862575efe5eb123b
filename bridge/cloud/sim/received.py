"""A report as the simulator receives it, and its canonical form (what it stores).

The canonical form is the validated report serialised by pydantic: every field, in
the schema's order, compactly. It is both the stored body and what a replay is
recognised by, so that one serialisation serves both; a report sent again with its
fields in another order, spaced otherwise, or without its None keys (HardPy drops
them) is the same content. The order of entries inside free-form objects (modules,
cases, artifacts, info) is kept, and is part of the content: it is the run's order.
"""

from __future__ import annotations

import hashlib

from bridge.report_schema import OptInt, OptStr, RunReport


class ReceivedReport(RunReport):
    """A report as real clients send it: HardPy's HTTP client drops every top-level key
    whose value is None, so those keys may be absent (and then are None)."""

    # wider than what we send (RunReport): a received report may omit it
    start_time: OptInt = None  # type: ignore[assignment]
    stop_time: OptInt = None
    user: OptStr = None
    batch_serial_number: OptStr = None
    caused_dut_failure_id: OptStr = None
    error_code: OptInt = None


def canonical(report: ReceivedReport) -> str:
    """The body to store: one pydantic serialisation (C speed, no dict round trip)."""
    return report.model_dump_json()


def digest(body: str) -> str:
    """What a replay is recognised by: the digest of the canonical body."""
    return hashlib.sha256(body.encode()).hexdigest()
