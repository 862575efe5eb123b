"""What stands between the simulator and a hostile client: limits and headers.

``Guard`` is ASGI middleware for every request: a body larger than the limit is
refused with 413 before the app sees it, a client (by IP) over its request rate gets
429 with ``Retry-After``, and every answer says it must not be framed or sniffed.
``LoginThrottle`` slows password guessing on the sign-in form: after a few failures
per login or per IP, each further try must wait twice as long as the one before.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # the sign-in link carries the user code
]


@dataclass
class _Bucket:
    tokens: float
    at: float


class Guard:
    def __init__(
        self,
        app: Any,
        *,
        max_body: int,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.app, self.max_body, self.rate, self.clock = app, max_body, rate, clock
        self._buckets: dict[str, _Bucket] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  *SECURITY_HEADERS]}
            await send(message)

        client = (scope.get("client") or ("?", 0))[0]
        wait = self._over_rate(client)
        if wait is not None:
            await _answer(send_with_headers, 429, "too many requests: slow down",
                          [(b"retry-after", str(math.ceil(wait)).encode())])
            return
        body = await self._body(receive)
        if body is None:
            await _answer(send_with_headers, 413,
                          f"request body larger than {self.max_body} bytes")
            return

        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return await receive()  # after the body: the disconnect, when it comes
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send_with_headers)

    def _over_rate(self, client: str) -> float | None:
        """Seconds to wait when ``client`` has no request left in its bucket."""
        if self.rate is None:
            return None
        now = self.clock()
        bucket = self._buckets.setdefault(client, _Bucket(self.rate, now))
        bucket.tokens = min(self.rate, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens < 1:
            return (1 - bucket.tokens) / self.rate
        bucket.tokens -= 1
        return None

    async def _body(self, receive: Any) -> bytes | None:
        """The whole body, or None as soon as it grows past the limit."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)


async def _answer(send: Any, status: int, detail: str,
                  headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


@dataclass
class LoginThrottle:
    """Failed sign-ins per login and per IP; each key backs off on its own."""

    free: int = 5  # failures allowed before any wait
    base: float = 1.0  # the first wait, doubled with each further failure
    cap: float = 15 * 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def wait(self, *keys: str) -> float:
        """Seconds before another try is allowed for these keys (0: now)."""
        now, longest = self.clock(), 0.0
        for key in keys:
            count, last = self._failures.get(key, (0, 0.0))
            if count >= self.free:
                delay = min(self.cap, self.base * 2 ** (count - self.free))
                longest = max(longest, last + delay - now)
        return longest

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
