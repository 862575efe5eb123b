"""HTTP/1.1 on one connected socket: a request written at once, its answer read whole.

Why not ``http.client``: it parses every answer's headers with the ``email`` package
and writes a request's head and body separately (two TLS records, two reads for the
server); per upload it cost ~0.2 ms of CPU where this costs ~0.05 ms
(bench/bench_sync.py), and an upload is a few milliseconds all told.

What it reads (RFC 9112): a status line, header fields, and a body framed by
``Transfer-Encoding: chunked``, by ``Content-Length`` or by the end of the connection;
interim 1xx answers are skipped. Anything else is :class:`ProtocolError`. A connection
that ends before the first byte of an answer is :class:`Closed`: nothing was answered,
so the caller may send the request again on a new connection.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass

MAX_HEAD = 64 * 1024  # bytes of status line and headers an answer may have
_NO_BODY = frozenset({204, 304})


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as this module reads it."""


class Closed(ConnectionError):
    """The connection ended before any byte of the answer arrived."""


@dataclass(slots=True)
class Answer:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    will_close: bool  # the connection cannot carry another request


def request_head(method: str, target: str, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The request line and header fields, ready to send before the body."""
    lines = [f"{method} {target} HTTP/1.1".encode("ascii")]
    for name, value in headers:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            raise ValueError(f"the header {name.decode('ascii', 'replace')!r} holds a line break")
        lines.append(name + b": " + value)
    lines.append(b"\r\n")
    return b"\r\n".join(lines)


class Reader:
    """Answers read off one socket."""

    __slots__ = ("_buffer", "_sock")

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._buffer = bytearray()

    def read(self, *, head_request: bool = False) -> Answer:
        """The next answer (1xx skipped); its body unless it was a HEAD request."""
        first = True
        while True:
            version, status, reason, headers = self._head(first)
            if not 100 <= status < 200 or status == 101:
                break
            first = False
        fields = _Fields(headers)
        close = b"close" in fields.tokens(b"connection") or (
            version == b"HTTP/1.0" and b"keep-alive" not in fields.tokens(b"connection"))
        if head_request or status in _NO_BODY or status == 101:
            body = b""
        elif fields.has(b"transfer-encoding"):
            if fields.tokens(b"transfer-encoding")[-1:] == [b"chunked"]:
                body = self._chunked()
            else:
                body, close = self._to_end(), True
        elif fields.has(b"content-length"):
            body = self._exactly(fields.length())
        else:
            body, close = self._to_end(), True
        return Answer(status, reason, headers, body, close or bool(self._buffer))

    # -- framing ------------------------------------------------------------------
    def _fill(self) -> bool:
        data = self._sock.recv(65536)
        self._buffer += data
        return bool(data)

    def _head(self, first: bool) -> tuple[bytes, int, bytes, list[tuple[bytes, bytes]]]:
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise ProtocolError(f"an answer's head is longer than {MAX_HEAD} bytes")
            if not self._fill():
                if first and not self._buffer:
                    raise Closed("the server closed the connection without answering")
                raise ProtocolError("the connection ended in the middle of an answer's head")
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        del self._buffer[:end + 4]
        version, _, rest = lines[0].partition(b" ")
        code, _, reason = rest.partition(b" ")
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name[-1:] in b" \t" or line[:1] in b" \t":
                raise ProtocolError(f"malformed header line: {line[:80]!r}")
            headers.append((name, value.strip(b" \t")))
        return version, int(code), reason, headers

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise ProtocolError(
                    f"the connection ended after {len(self._buffer)} of {size} body bytes")
        body = bytes(self._buffer[:size])
        del self._buffer[:size]
        return body

    def _line(self) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD or not self._fill():
                raise ProtocolError("a chunked body ended without its line break")
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 2]
        return line

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = self._line().partition(b";")[0].strip(b" \t")
            if not size or size.strip(b"0123456789abcdefABCDEF"):
                raise ProtocolError(f"malformed chunk size: {size[:20]!r}")
            if int(size, 16) == 0:
                while self._line():  # trailer fields, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._exactly(int(size, 16)))
            if self._exactly(2) != b"\r\n":
                raise ProtocolError("a chunk does not end with a line break")

    def _to_end(self) -> bytes:
        while self._fill():
            pass
        body = bytes(self._buffer)
        self._buffer.clear()
        return body


class _Fields:
    """Header lookups by lower-case name."""

    __slots__ = ("_by_name",)

    def __init__(self, headers: list[tuple[bytes, bytes]]):
        self._by_name: dict[bytes, list[bytes]] = {}
        for name, value in headers:
            self._by_name.setdefault(name.lower(), []).append(value)

    def has(self, name: bytes) -> bool:
        return name in self._by_name

    def tokens(self, name: bytes) -> list[bytes]:
        return [token.strip(b" \t").lower() for value in self._by_name.get(name, ())
                for token in value.split(b",") if token.strip(b" \t")]

    def length(self) -> int:
        values = {value.strip() for value in self._by_name[b"content-length"]}
        value = values.pop() if len(values) == 1 else b""
        if not value.isdigit():
            raise ProtocolError(f"malformed Content-Length: {b', '.join(values or {value})!r}")
        return int(value)
