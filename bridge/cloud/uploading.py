"""One run's upload, as an upload thread makes it, and how its attempts reach the caller.

An upload thread builds the run's report through its own read-only connection,
encodes it once, and POSTs it, retrying what is worth retrying with capped backoff.
It writes nothing: each attempt becomes an :class:`Event` in the :class:`Mailbox`,
and the caller's thread records the events a batch at a time.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.cloud import required
from bridge.cloud.client import StandCloudClient
from bridge.errors import AuthError, StandCloudError, TLSError, Unavailable, UploadRejected
from bridge.report import report_and_body


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


@dataclass(slots=True)
class Event:
    run_id: str
    outcome: str  # uploaded rejected retry held
    at: float
    error: str | None = None
    remote_id: str | None = None
    final: bool = True  # the run's last event in this sync
    recorded: bool = False  # its attempt row is already written


class Mailbox:
    """Events from the upload threads, taken by the caller in batches: it wakes once
    ``enough`` have arrived (or a wait ran out), not once per event."""

    def __init__(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        self._events: list[Event] = []
        self._enough = 1

    def put(self, event: Event) -> None:
        with self._ready:
            self._events.append(event)
            if len(self._events) >= self._enough:
                self._ready.notify()

    def take(self, enough: int, timeout: float) -> list[Event]:
        """What has arrived once there are ``enough``, or when ``timeout`` runs out."""
        with self._ready:
            self._enough = max(1, enough)
            if len(self._events) < self._enough:
                self._ready.wait(timeout)
            events, self._events = self._events, []
            return events


def report_body(conn: Any, run_id: str, fill_unknown: bool) -> tuple[bytes | None, str | None]:
    """The report to send (its one compact encoding), or why the run is held."""
    try:
        report, body = report_and_body(conn, run_id)
    except Exception as exc:  # noqa: BLE001 (one unbuildable run is held, the sync goes on)
        return None, f"cannot build the report: {exc}"
    missing = required.missing_fields(report)
    if missing:
        if not fill_unknown:
            return None, required.held_message(missing)
        body = json.dumps(required.fill_unknown(report), separators=(",", ":")).encode()
    return body, None


def send(client: StandCloudClient, run_id: str, body: bytes, policy: RetryPolicy,
         stop: threading.Event, report: Callable[[Event], None]) -> None:
    """POST ``body`` until it is stored, refused, or worth no more tries; each attempt
    reported. A failure that no other run would escape (auth, TLS, an unreachable
    service) sets ``stop``, which also cuts a backoff short."""
    attempt = 0
    while True:
        attempt += 1
        at = time.time()
        try:
            remote_id = client.upload(body)
        except UploadRejected as exc:
            report(Event(run_id, "rejected", at, exc.reason))
            return
        except Unavailable as exc:
            give_up = attempt >= policy.attempts or stop.is_set()
            if give_up and exc.status is None:  # the service is unreachable: stop all
                stop.set()
            report(Event(run_id, "retry", at, str(exc), final=give_up))
            if give_up:
                return
            if stop.wait(policy.delay(attempt, exc.retry_after)):
                report(Event(run_id, "retry", at, str(exc), recorded=True))
                return
            continue
        except (AuthError, TLSError) as exc:
            stop.set()
            report(Event(run_id, "retry", at, str(exc)))
            return
        except StandCloudError as exc:
            report(Event(run_id, "retry", at, str(exc)))
            return
        report(Event(run_id, "uploaded", at, remote_id=remote_id))
        return
