"""``bridge sync`` and ``bridge sync --status``: the outbox from a terminal.

Server error bodies and stored errors reach the terminal through
:func:`bridge.cli.text.shown`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bridge.cli.cells import local_time
from bridge.cli.cloud_common import json_text, settings_for


def run_sync(args: argparse.Namespace) -> int:
    """Exit 1 while any run is left pending, held or rejected (a held run needs the
    plan fixed; a second `sync` must not say all is well because nothing was tried)."""
    from bridge.cli.options import open_store
    from bridge.cli.text import shown
    from bridge.store import outbox

    if args.tests_dir is not None and args.config is None:  # HardPy's `sc-sync [TESTS_DIR]`
        args.config = args.tests_dir / "hardpy.toml"
    with open_store(args, read_only=args.status) as store:
        if args.status:
            return _outbox_status(store, as_json=args.json)
        from bridge.cloud.progress import result_line, sync_with_progress
        from bridge.cloud.sync import SyncResult, Uploader

        if args.retry_rejected:
            outbox.requeue(store)
        result = SyncResult()
        status = outbox.status(store.conn)
        if status.pending or status.counts["held"]:
            settings = settings_for(args)
            if outbox.waiting(store.conn, include_held=settings.fill_unknown):
                with _client_for(settings, args.parallel) as client:
                    uploader = Uploader(store, client, fill_unknown=settings.fill_unknown,
                                        parallel=args.parallel)
                    result = sync_with_progress(uploader)
        left = _left_over(outbox.status(store.conn), result)
    line = shown(result_line(result, None) + left, limit=2000)
    print(line, file=sys.stdout if result.ok and not left else sys.stderr)
    return 0 if result.ok and not left else 1


def _left_over(status: Any, result: Any) -> str:
    """Held and rejected runs this sync did not report itself (from earlier syncs)."""
    earlier = {state: status.counts[state] - len(getattr(result, state))
               for state in ("held", "rejected")}
    parts = [f"{count} {state}" for state, count in earlier.items() if count > 0]
    if not parts:
        return ""
    return (f"; still in the outbox from earlier: {' and '.join(parts)}"
            f" (last error: {status.last_error}); after fixing the cause,"
            " `bridge sync --retry-rejected` queues them again")


def _client_for(settings: Any, parallel: int) -> Any:
    from bridge.cloud.client import open_client

    return open_client(settings, connections=max(1, parallel))


def _outbox_status(store: Any, *, as_json: bool = False) -> int:
    from bridge.cli.text import cell, shown
    from bridge.store import outbox

    status = outbox.status(store.conn)
    if as_json:
        print(json_text({"counts": status.counts, "last_upload_at": status.last_upload_at,
                          "last_error": status.last_error, "last_error_run": status.last_error_run,
                          "last_error_at": status.last_error_at}))
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="StandCloud outbox")
    table.add_column("state")
    table.add_column("runs", justify="right")
    for state, count in status.counts.items():
        table.add_row(state, str(count))
    console = Console(soft_wrap=True, highlight=False)
    console.print(table)
    console.print(f"last upload: {local_time(status.last_upload_at)}")
    if status.last_error:
        console.print(Text.assemble(
            f"last error ({local_time(status.last_error_at)}, run ", cell(status.last_error_run),
            "): ", shown(status.last_error, lines=True, limit=2000)))
    return 0
