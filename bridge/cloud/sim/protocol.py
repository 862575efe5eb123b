"""uvicorn's HTTP protocol (httptools), with each answer's writes sent together.

uvicorn writes an answer's head and its body separately; over TLS each write is a
record and a send of its own, and the client wakes for each. Holding the writes made
in one turn of the event loop and sending them as one halves that work on both sides
(bench/bench_sync.py). Without httptools, uvicorn's own choice stands.
"""

from __future__ import annotations

import asyncio
from typing import Any


class _Coalescing:
    """A transport whose writes leave together at the end of the loop's turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))

    def flush(self) -> None:
        if self._held:
            data, self._held = b"".join(self._held), []
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._held))

    def __getattr__(self, name: str) -> Any:  # everything else: the transport's own
        return getattr(self._transport, name)


def http_protocol() -> Any:
    """The protocol class for ``uvicorn.Config(http=...)``."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools: uvicorn picks h11
        return "auto"

    class CoalescingHttpTools(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(_Coalescing(transport, self.loop))  # type: ignore[arg-type]

    return CoalescingHttpTools
