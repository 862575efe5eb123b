"""Upload the outbox: a few reports in parallel over one keep-alive client.

Worker threads build their runs' reports through their own read-only connections
(SQLite reads run in parallel, off the caller's critical path) and talk HTTP; the
calling thread does every write, recording each attempt as it is reported, so a
killed sync leaves a consistent outbox. A run is marked uploaded only after a 201; a report sent
again after a lost answer is harmless because StandCloud keys reports by run id.
Each run is claimed before it is sent (``bridge.store.claims``), so that two syncs at
once (two terminals, autosync beside ``bridge sync``) never send the same run twice.
"""

from __future__ import annotations

import contextlib
import copy
import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bridge.cloud.client import StandCloudClient, Unavailable
from bridge.cloud.required import MISSING_HINTS
from bridge.errors import AuthError, StandCloudError, TLSError, UploadRejected
from bridge.report import build_report
from bridge.store import claims, outbox


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff: base, 2·base, 4·base … never above cap."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        wait = min(self.cap, self.base * 2 ** (attempt - 1)) * random.uniform(0.8, 1.0)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return wait


@dataclass
class SyncResult:
    uploaded: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)  # still queued: last error
    busy: list[str] = field(default_factory=list)  # left to another sync uploading them
    error: str | None = None  # what stopped the sync early (auth, TLS, unreachable)

    @property
    def ok(self) -> bool:
        return not self.pending and not self.rejected and not self.held and self.error is None


@dataclass
class _Event:
    run_id: str
    outcome: str  # uploaded rejected retry held
    at: float
    error: str | None = None
    remote_id: str | None = None
    final: bool = True  # the run's last event in this sync
    recorded: bool = False  # its attempt row is already written


def missing_fields(report: dict[str, Any]) -> list[str]:
    missing = []
    if not (report.get("dut") or {}).get("part_number"):
        missing.append("DUT part number")
    if not (report.get("test_stand") or {}).get("name"):
        missing.append("stand name")
    return missing


def held_message(missing: list[str]) -> str:
    calls = " and ".join(f"{MISSING_HINTS[name]}" for name in missing)
    return (
        f"not uploaded: {' and '.join(missing)} missing; call {calls} in the test plan"
        ' (or set [bridge.stand_cloud] fill_unknown = true to send "unknown")'
    )


def fill_unknown(report: dict[str, Any]) -> dict[str, Any]:
    """HardPy's fill-in: "unknown" for missing mandatory fields, names from part numbers."""
    report = copy.deepcopy(report)
    dut, stand = report["dut"], report["test_stand"]
    dut["part_number"] = dut.get("part_number") or "unknown"
    stand["name"] = stand.get("name") or "unknown"
    dut["name"] = dut.get("name") or dut["part_number"]
    for unit in [*dut.get("sub_units", []), *stand.get("instruments", [])]:
        unit["name"] = unit.get("name") or unit.get("part_number")
    return report


class Uploader:
    def __init__(
        self,
        store: Any,
        client: StandCloudClient,
        *,
        fill_unknown: bool = False,
        parallel: int = 4,
        policy: RetryPolicy | None = None,
    ):
        self.store = store
        self.client = client
        self.fill_unknown = fill_unknown
        self.parallel = max(1, parallel)
        self.policy = policy or RetryPolicy()
        self._stop = threading.Event()
        self._events: queue.Queue[_Event] = queue.Queue()
        self.claimer = claims.Claimer.here()
        self.lease = claims.LEASE_S
        self._local = threading.local()
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()

    # -- worker side (reads through its own connection; HTTP) ------------------------
    def _reader(self) -> Any:
        """This worker's read-only connection to the store (SQLite reads in parallel)."""
        reader = getattr(self._local, "store", None)
        if reader is None:
            from bridge.store import Store

            reader = self._local.store = Store.open(self.store.path, read_only=True)
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def _body(self, run_id: str) -> tuple[bytes | None, str | None]:
        """The report to send, or why the run is held."""
        try:
            report = build_report(self._reader().conn, run_id)
        except Exception as exc:  # noqa: BLE001 (one unbuildable run is held, the sync goes on)
            return None, f"cannot build the report: {exc}"
        missing = missing_fields(report)
        if missing:
            if not self.fill_unknown:
                return None, held_message(missing)
            report = fill_unknown(report)
        return json.dumps(report, separators=(",", ":")).encode(), None  # compact: ~15% less

    def _upload(self, run_id: str) -> None:
        attempt = 0
        try:
            body, held = self._body(run_id)
            if body is None:
                self._events.put(_Event(run_id, "held", time.time(), held))
                return
            while True:
                attempt += 1
                at = time.time()
                try:
                    remote_id = self.client.upload(body)
                except UploadRejected as exc:
                    self._events.put(_Event(run_id, "rejected", at, exc.reason))
                    return
                except Unavailable as exc:
                    give_up = attempt >= self.policy.attempts or self._stop.is_set()
                    if give_up and exc.status is None:  # the service is unreachable: stop all
                        self._stop.set()
                    self._events.put(_Event(run_id, "retry", at, str(exc), final=give_up))
                    if give_up:
                        return
                    if self._stop.wait(self.policy.delay(attempt, exc.retry_after)):
                        self._events.put(_Event(run_id, "retry", at, str(exc), recorded=True))
                        return
                    continue
                except (AuthError, TLSError) as exc:
                    self._stop.set()
                    self._events.put(_Event(run_id, "retry", at, str(exc)))
                    return
                except StandCloudError as exc:
                    self._events.put(_Event(run_id, "retry", at, str(exc)))
                    return
                self._events.put(_Event(run_id, "uploaded", at, remote_id=remote_id))
                return
        except BaseException as exc:  # never leave the collector waiting
            self._events.put(_Event(run_id, "retry", time.time(), f"internal error: {exc!r}"))
            raise

    # -- caller side (owns the store) -----------------------------------------------
    def _record(self, event: _Event, result: SyncResult) -> None:
        if not event.recorded:
            outbox.record_attempt(
                self.store,
                event.run_id,
                event.outcome,
                at=event.at,
                error=event.error,
                remote_id=event.remote_id,
            )
        if not event.final:
            return
        if event.outcome not in ("uploaded", "rejected"):
            # a run that left the queue needs no release: claim() refuses it anyway,
            # and the sync's end releases every claim; one commit less per run
            claims.release(self.store, self.claimer, event.run_id)
        if event.outcome == "uploaded":
            result.uploaded.append(event.run_id)
        elif event.outcome == "rejected":
            result.rejected[event.run_id] = event.error or ""
        elif event.outcome == "held":
            result.held[event.run_id] = event.error or ""
        else:
            result.pending[event.run_id] = event.error or ""

    def sync(
        self,
        run_ids: list[str] | None = None,
        *,
        progress: Callable[[str, str], None] | None = None,
        tried_before: float | None = None,
    ) -> SyncResult:
        """Upload the waiting runs (all, or those of ``run_ids``)."""
        result = SyncResult()
        todo = outbox.waiting(
            self.store.conn,
            include_held=self.fill_unknown,
            run_ids=run_ids,
            tried_before=tried_before,
        )
        pending = iter(todo)
        in_flight = 0
        fatal: str | None = None
        states = ("pending", "held") if self.fill_unknown else ("pending",)
        self._stop.clear()
        with (
            _closed(self._readers),
            _released(self.store, self.claimer),
            ThreadPoolExecutor(self.parallel, thread_name_prefix="standcloud-upload") as pool,
        ):

            def submit_next() -> bool:
                for run_id in pending:
                    if not claims.claim(
                        self.store, run_id, self.claimer, states=states, lease=self.lease
                    ):
                        result.busy.append(run_id)
                        if progress:
                            progress(run_id, "busy")
                        continue
                    pool.submit(self._upload, run_id)
                    return True
                return False

            with _interruptible(self._stop):
                for _ in range(self.parallel * 2):
                    if not submit_next():
                        break
                    in_flight += 1
                renewed = time.monotonic()
                while in_flight:
                    try:
                        event = self._events.get(timeout=self.lease / 8)
                    except queue.Empty:
                        event = None
                    if time.monotonic() - renewed > self.lease / 4:
                        claims.renew(self.store, self.claimer, lease=self.lease)
                        renewed = time.monotonic()
                    if event is None:
                        continue
                    self._record(event, result)
                    if not event.final:
                        continue
                    in_flight -= 1
                    if progress:
                        progress(event.run_id, event.outcome)
                    if self._stop.is_set():
                        fatal = fatal or event.error
                        continue
                    if submit_next():
                        in_flight += 1
        if self._stop.is_set():
            result.error = fatal
            for run_id in pending:  # never tried in this sync: still queued
                result.pending.setdefault(run_id, "not tried: the sync stopped early")
        return result


@contextlib.contextmanager
def _released(store: Any, claimer: claims.Claimer) -> Iterator[None]:
    """Whatever ends the sync (Ctrl-C included), its claims go with it."""
    try:
        yield
    finally:
        claims.release(store, claimer)


@contextlib.contextmanager
def _closed(readers: list[Any]) -> Iterator[None]:
    """The workers' read connections end with the sync (after its pool has joined)."""
    try:
        yield
    finally:
        while readers:
            readers.pop().close()


@contextlib.contextmanager
def _interruptible(stop: threading.Event) -> Iterator[None]:
    """On Ctrl-C, tell the workers to stop waiting before the pool joins them."""
    try:
        yield
    except BaseException:
        stop.set()
        raise
