"""Upload the outbox: a few reports in parallel over one keep-alive client.

Upload threads (``bridge.cloud.uploading``) take claimed runs from a queue, build
each report through their own read-only connection and POST it; the calling thread
does every write. It records the attempts a batch at a time (``RECORD_BATCH``, or
whatever arrived within ``RECORD_EVERY``), in one transaction, so a killed sync leaves
a consistent outbox at the cost of one commit per batch rather than per run. A run is
marked uploaded only after a 201; a report is sent again after a lost answer (or after
a kill before its 201 was recorded): the simulator recognises it by run id and content,
and StandCloud's documentation does not say whether it does. Each run is claimed before
it is sent (``bridge.store.claims``), a batch of runs per transaction, so that two syncs
at once (two terminals, autosync beside ``bridge sync``) never send the same run twice.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bridge.cloud.client import StandCloudClient
from bridge.cloud.uploading import Event, Mailbox, RetryPolicy, report_body, send
from bridge.store import claims, outbox

__all__ = ["CLAIM_BATCH", "RetryPolicy", "SyncResult", "Uploader"]

CLAIM_BATCH = 32  # runs claimed per transaction: few commits, and a second sync still
# finds work to share when it starts while this one is busy
RECORD_BATCH = 8  # attempts recorded per transaction (at most this many sent again
# after a kill -9)
RECORD_EVERY = 0.2  # seconds: the longest an attempt waits to be recorded
NOT_TRIED = "not tried: the sync stopped early"

Progress = Callable[[list[tuple[str, str]]], None]  # runs done since the last call


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
        self._mailbox = Mailbox()
        self.claimer = claims.Claimer.here()
        self.lease = claims.LEASE_S
        self._local = threading.local()
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()

    # -- upload threads (read through their own connections; HTTP) -------------------
    def _reader(self) -> Any:
        """This thread's read-only connection to the store (SQLite reads in parallel)."""
        reader = getattr(self._local, "store", None)
        if reader is None:
            from bridge.store import Store

            reader = self._local.store = Store.open(self.store.path, read_only=True)
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def _upload(self, run_id: str) -> None:
        put = self._mailbox.put
        try:
            if self._stop.is_set():
                put(Event(run_id, "not tried", time.time(), NOT_TRIED, recorded=True))
                return
            body, held = report_body(self._reader().conn, run_id, self.fill_unknown)
            if body is None:
                put(Event(run_id, "held", time.time(), held))
                return
            send(self.client, run_id, body, self.policy, self._stop, put)
        except BaseException as exc:  # never leave the caller waiting
            put(Event(run_id, "retry", time.time(), f"internal error: {exc!r}"))
            raise

    def _work(self, work: queue.SimpleQueue[str | None]) -> None:
        while (run_id := work.get()) is not None:
            self._upload(run_id)

    # -- the calling thread (owns the store) ------------------------------------------
    def _record(self, events: list[Event], result: SyncResult) -> list[tuple[str, str]]:
        """The events' attempts in one transaction; the runs they finished."""
        outbox.record_attempts(self.store, [
            outbox.Attempt(e.run_id, e.outcome, e.at, e.error, e.remote_id)
            for e in events if not e.recorded
        ])
        final = [e for e in events if e.final]
        # a run that left the queue needs no release: claim() refuses it anyway, and the
        # sync's end releases every claim; one statement less per run
        claims.release_many(self.store, self.claimer, [
            e.run_id for e in final if e.outcome not in ("uploaded", "rejected")
        ])
        for event in final:
            if event.outcome == "uploaded":
                result.uploaded.append(event.run_id)
            elif event.outcome == "rejected":
                result.rejected[event.run_id] = event.error or ""
            elif event.outcome == "held":
                result.held[event.run_id] = event.error or ""
            else:
                result.pending[event.run_id] = event.error or ""
        return [(e.run_id, e.outcome) for e in final]

    def sync(
        self,
        run_ids: list[str] | None = None,
        *,
        progress: Progress | None = None,
        tried_before: float | None = None,
    ) -> SyncResult:
        """Upload the waiting runs (all, or those of ``run_ids``)."""
        result = SyncResult()
        pending = deque(outbox.waiting(
            self.store.conn,
            include_held=self.fill_unknown,
            run_ids=run_ids,
            tried_before=tried_before,
        ))
        states = ("pending", "held") if self.fill_unknown else ("pending",)
        work: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        in_flight = 0  # handed to the threads, not yet finished
        low = self.parallel * 2 + RECORD_BATCH  # the threads never wait for the recorder
        fatal: str | None = None
        self._stop.clear()
        self._mailbox = Mailbox()  # nothing left over from an interrupted sync

        def feed() -> None:
            """Claim a batch whenever the threads' queue runs low."""
            nonlocal in_flight
            while in_flight < low and pending and not self._stop.is_set():
                batch = [pending.popleft() for _ in range(min(CLAIM_BATCH, len(pending)))]
                taken = set(claims.claim_many(
                    self.store, batch, self.claimer, states=states, lease=self.lease))
                for run_id in batch:
                    if run_id in taken:
                        work.put(run_id)
                        in_flight += 1
                    else:
                        result.busy.append(run_id)
                if progress and len(taken) < len(batch):
                    progress([(run_id, "busy") for run_id in batch if run_id not in taken])

        with (
            _closed(self._readers),
            _released(self.store, self.claimer),
            _threads(self.parallel, self._work, work, self._stop),
        ):
            feed()
            renewed = time.monotonic()
            while in_flight:
                events = self._mailbox.take(min(RECORD_BATCH, in_flight), RECORD_EVERY)
                if time.monotonic() - renewed > self.lease / 4:
                    claims.renew(self.store, self.claimer, lease=self.lease)
                    renewed = time.monotonic()
                if self._stop.is_set():  # queued, never to be tried: still pending
                    in_flight -= _drain(work, result)
                    fatal = fatal or next((e.error for e in events if e.final and e.error
                                           and e.outcome != "not tried"), None)
                if not events:
                    continue
                done = self._record(events, result)
                in_flight -= len(done)
                if progress and done:
                    progress(done)
                feed()
        if self._stop.is_set():
            result.error = fatal
            for run_id in pending:  # never claimed in this sync: still queued
                result.pending.setdefault(run_id, NOT_TRIED)
        return result


def _drain(work: queue.SimpleQueue[str | None], result: SyncResult) -> int:
    """Take back the runs no thread has started; how many."""
    count = 0
    with contextlib.suppress(queue.Empty):
        while (run_id := work.get_nowait()) is not None:
            result.pending[run_id] = NOT_TRIED
            count += 1
    return count


@contextlib.contextmanager
def _threads(count: int, target: Callable[[Any], None], work: queue.SimpleQueue[str | None],
             stop: threading.Event) -> Iterator[None]:
    """Upload threads for the sync's length. Whatever ends it (Ctrl-C included), they
    are told to stop (no new run, no backoff) and joined before the sync returns."""
    threads = [threading.Thread(target=target, args=(work,), name=f"standcloud-upload-{n}",
                                daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield
    except BaseException:
        stop.set()
        raise
    finally:
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()


@contextlib.contextmanager
def _released(store: Any, claimer: claims.Claimer) -> Iterator[None]:
    """Whatever ends the sync (Ctrl-C included), its claims go with it."""
    try:
        yield
    finally:
        claims.release(store, claimer)


@contextlib.contextmanager
def _closed(readers: list[Any]) -> Iterator[None]:
    """The upload threads' read connections end with the sync (after they are joined)."""
    try:
        yield
    finally:
        while readers:
            readers.pop().close()
