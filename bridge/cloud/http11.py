"""HTTP/1.1 on one connected socket: a request written at once, its answer read whole.

The protocol is h11's (the HTTP/1.1 parser httpx itself is built on): framing by
``Content-Length``, ``chunked`` or the end of the connection, interim 1xx answers,
keep-alive, and refusing what is not HTTP/1.1. This module only moves bytes between
h11 and the socket; httpx's own transport adds a connection pool, events and locks
that cost the upload path ~1 ms per request (bench/bench_sync.py).

An answer h11 cannot read is :class:`ProtocolError`. A connection that ends before
the first byte of an answer is :class:`Closed`: nothing was answered, so the caller
may send the request again on a new connection.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import h11

MAX_HEAD = 64 * 1024  # bytes of status line and headers an answer may have


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as h11 reads it."""


class Closed(ConnectionError):
    """The connection ended before any byte of the answer arrived."""


@dataclass(slots=True)
class Answer:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    will_close: bool  # the connection cannot carry another request


class Channel:
    """Requests and their answers, one after another, on one socket."""

    __slots__ = ("_h11", "_sock")

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)

    def request(self, method: str, target: str, headers: list[tuple[bytes, bytes]],
                body: bytes) -> list[bytes]:
        """The request's bytes: its head and body, to be written before ``read``.

        A header that HTTP/1.1 cannot carry (a line break in it) is a ValueError naming it.
        """
        try:
            head = self._h11.send(h11.Request(method=method, target=target, headers=headers))
            tail = (self._h11.send(h11.Data(data=body)) if body else b"") \
                + self._h11.send(h11.EndOfMessage())
        except h11.LocalProtocolError as exc:
            names = ", ".join(name.decode("ascii", "replace") for name, value in headers
                              if b"\r" in value or b"\n" in value or b"\r" in name
                              or b"\n" in name)
            raise ValueError(f"the request cannot be sent ({names or 'headers'}): {exc}") \
                from None
        return [head or b"", tail or b""]

    def read(self) -> Answer:
        """The answer to the request written last (1xx skipped)."""
        response: h11.Response | None = None
        parts: list[bytes] = []
        received = ended = False  # any byte of the answer; the server's end of the connection
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                if not received:
                    raise Closed("the server closed the connection without answering") \
                        from None
                raise ProtocolError(f"unreadable answer: {exc}") from None
            if event is h11.NEED_DATA:
                data = self._sock.recv(65536)
                received, ended = received or bool(data), not data
                self._h11.receive_data(data)
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed) and not received:
                raise Closed("the server closed the connection without answering")
            elif not isinstance(event, h11.InformationalResponse):
                raise ProtocolError(f"unexpected {type(event).__name__} in an answer")
        assert response is not None  # h11 gives EndOfMessage only after the Response
        will_close = ended or self._h11.our_state is not h11.DONE \
            or self._h11.their_state is not h11.DONE
        if not will_close:
            self._h11.start_next_cycle()
        return Answer(response.status_code, bytes(response.reason),
                      [(bytes(name), bytes(value)) for name, value in response.headers.raw_items()],
                      b"".join(parts), will_close)
