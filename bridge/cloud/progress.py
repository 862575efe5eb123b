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

        def advance(done: list[tuple[str, str]]) -> None:  # a batch: one update
            run_id, outcome = done[-1]
            bar.update(task, advance=len(done), note=shown(f"{run_id[:8]} {outcome}"))

        return uploader.sync(run_ids, progress=advance, tried_before=tried_before)


def result_line(result: SyncResult, run_id: str | None) -> str:
    """One line saying what an upload did (``bridge sync`` and autosync print it)."""
    parts = []
    if result.uploaded:
        parts.append(f"{len(result.uploaded)} uploaded")
    if result.held:
        parts.append(f"{len(result.held)} held: {next(iter(result.held.values()))}")
    if result.rejected:
        parts.append(f"{len(result.rejected)} rejected: {next(iter(result.rejected.values()))}")
    if result.pending:
        reason = result.error or next(iter(result.pending.values()))
        parts.append(f"{len(result.pending)} still queued ({reason}); `bridge sync` will retry")
    if result.busy:
        parts.append(f"{len(result.busy)} left to another sync that is uploading them")
    return "StandCloud: " + ("; ".join(parts) if parts else "nothing to upload")
