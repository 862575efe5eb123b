"""A rich progress bar around an upload, shared by ``bridge sync`` and autosync."""

from __future__ import annotations

from typing import Any

from bridge.cli.text import shown
from bridge.cloud.sync import SyncResult, Uploader
from bridge.store import outbox


def sync_with_progress(
    uploader: Uploader,
    *,
    run_ids: list[str] | None = None,
    tried_before: float | None = None,
    console: Any = None,
) -> SyncResult:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    total = len(
        outbox.waiting(
            uploader.store.conn,
            include_held=uploader.fill_unknown,
            run_ids=run_ids,
            tried_before=tried_before,
        )
    )
    if total == 0:
        return SyncResult()
    console = console or Console(stderr=True)
    columns = (
        TextColumn("StandCloud upload"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}", markup=False),  # a stored run id is not markup
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("upload", total=total, note="")

        def advance(run_id: str, outcome: str) -> None:
            bar.update(task, advance=1, note=shown(f"{run_id[:8]} {outcome}"))

        return uploader.sync(run_ids, progress=advance, tried_before=tried_before)
