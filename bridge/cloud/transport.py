"""A lean httpx transport for StandCloud: HTTP/1.1 keep-alive over ``http.client``.

Why not httpx's own transport (httpcore + h11): on the upload path it spent ~1.2 ms
of CPU per request on a report of 4 KB, most of it in h11's pure-Python state machine;
the standard library's ``http.client`` parses a response in C-backed code and costs
about a quarter of that (bench/bench_sync.py). Everything above the transport stays
httpx: the client, its auth flow (bearer, refresh, retry after a 401), the request and
response models, ``MockTransport`` in tests.

What it does not do, and who does instead: proxies (``StandCloudClient`` keeps httpx's
transport when a proxy variable is set), HTTP/2 (StandCloud's answers are small; one
keep-alive connection per upload thread is enough), streaming (answers are read whole).

Errors are httpx's: a refused connection or a TLS failure is ``httpx.ConnectError``
with the ``ssl`` error as its cause (so a certificate failure is still recognised),
a timeout ``httpx.ConnectTimeout`` / ``httpx.ReadTimeout``, a dropped answer
``httpx.RemoteProtocolError``.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
from collections.abc import Iterator

import httpx

_Key = tuple[str, str, int]


def _readable(sock: socket.socket) -> bool:
    """Whether an idle keep-alive socket has something to read: the server closed it
    (or sent garbage); either way it must not carry another request. ``poll`` where
    there is one: ``select`` cannot watch a descriptor above 1023."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class DirectTransport(httpx.BaseTransport):
    """Keep-alive connections, one per thread at a time, at most ``connections``."""

    def __init__(self, *, ssl_context: ssl.SSLContext, connections: int = 4):
        self.ssl_context = ssl_context
        self._idle: dict[_Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, connections))
        self._closed = False

    # -- connections ----------------------------------------------------------------
    def _new(self, key: _Key, timeout: float | None) -> http.client.HTTPConnection:
        scheme, host, port = key
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=timeout, context=self.ssl_context
            )
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _checkout(self, key: _Key, connect: float | None,
                  read: float | None) -> http.client.HTTPConnection:
        """An idle connection still open, else a new (unconnected) one."""
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                conn = idle.pop()
                if conn.sock is not None and not _readable(conn.sock):
                    conn.sock.settimeout(read)
                    return conn
                conn.close()
        return self._new(key, connect)

    def _checkin(self, key: _Key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if self._closed:
                conn.close()
            else:
                self._idle.setdefault(key, []).append(conn)

    @contextlib.contextmanager
    def _slot(self, timeout: float | None) -> Iterator[None]:
        if not self._slots.acquire(timeout=timeout):
            raise httpx.PoolTimeout("no free connection to StandCloud in time")
        try:
            yield
        finally:
            self._slots.release()

    # -- httpx.BaseTransport ----------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        port = url.port or (443 if scheme == "https" else 80)
        key = (scheme, url.host, port)
        timeouts = request.extensions.get("timeout", {})
        connect_timeout, read_timeout = timeouts.get("connect"), timeouts.get("read")
        body = request.read()
        target = url.raw_path.decode("ascii")
        with self._slot(timeouts.get("pool")):
            for attempt in (1, 2):
                conn = self._checkout(key, connect_timeout, read_timeout)
                reused = conn.sock is not None
                try:
                    if not reused:
                        _connect(conn, request, read_timeout)
                    answer, content = _exchange(conn, request, target, body)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    if reused and attempt == 1 and isinstance(exc, ConnectionError):
                        # the server closed this idle connection as the request went out:
                        # nothing was answered, so send it once more on a new connection
                        continue
                    raise _as_httpx(exc, request, connecting=False) from exc
                except BaseException:  # a bug, Ctrl-C: as it is; the connection is not reused
                    conn.close()
                    raise
                break
            if answer.will_close:
                conn.close()
            else:
                self._checkin(key, conn)
        return httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1",
                        "reason_phrase": answer.reason.encode("ascii", "replace")},
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _connect(conn: http.client.HTTPConnection, request: httpx.Request,
             read_timeout: float | None) -> None:
    """TCP and TLS within the connect timeout; then the read timeout applies."""
    try:
        conn.connect()
    except OSError as exc:
        conn.close()
        raise _as_httpx(exc, request, connecting=True) from exc
    conn.sock.settimeout(read_timeout)


def _exchange(conn: http.client.HTTPConnection, request: httpx.Request, target: str,
              body: bytes) -> tuple[http.client.HTTPResponse, bytes]:
    """One request and its whole answer on a connected ``conn``."""
    conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
    for name, value in request.headers.raw:  # httpx's headers: Host, Content-Length…
        conn.putheader(name, value)
    conn.endheaders(body or None)
    answer = conn.getresponse()
    return answer, answer.read()


def _as_httpx(exc: OSError | http.client.HTTPException, request: httpx.Request, *,
              connecting: bool) -> httpx.TransportError:
    """The standard library's network failure as the httpx error the client understands."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError | socket.timeout):
        kind: type[httpx.TransportError] = (
            httpx.ConnectTimeout if connecting else httpx.ReadTimeout)
        return kind(text, request=request)
    if isinstance(exc, ssl.SSLError) or connecting:
        return httpx.ConnectError(text, request=request)
    if isinstance(exc, http.client.HTTPException | ConnectionError):
        return httpx.RemoteProtocolError(text, request=request)
    return httpx.ReadError(text, request=request)
