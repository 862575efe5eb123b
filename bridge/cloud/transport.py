"""A lean httpx transport for StandCloud: HTTP/1.1 keep-alive on plain sockets.

Why not httpx's own transport (httpcore + h11): on the upload path it spent ~1.2 ms
of CPU per request on a report of 4 KB; h11 alone, driven over the socket by
``bridge.cloud.http11`` (each request written at once, each answer read whole), spends
~0.1 ms (bench/bench_sync.py). Everything above the transport stays httpx: the
request and response models, the auth flow (bearer, refresh, retry after a 401),
``MockTransport`` in tests.

What it does not do, and who does instead: proxies (``StandCloudClient`` keeps httpx's
transport when a proxy variable is set), HTTP/2 (StandCloud's answers are small; one
keep-alive connection per upload thread is enough), streaming (answers are read whole).

Errors are httpx's: a refused connection or a TLS failure is ``httpx.ConnectError``
with the ``ssl`` error as its cause (so a certificate failure is still recognised),
a timeout ``httpx.ConnectTimeout`` / ``httpx.ReadTimeout``, a dropped or unreadable
answer ``httpx.RemoteProtocolError``.
"""

from __future__ import annotations

import contextlib
import functools
import select
import socket
import ssl
import threading
from collections.abc import Iterator

import httpx

from bridge.cloud import http11

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


class _Connection:
    """A connected socket (TLS when https) and its HTTP/1.1 state."""

    __slots__ = ("channel", "sock")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.channel = http11.Channel(sock)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class DirectTransport(httpx.BaseTransport):
    """Keep-alive connections, one per thread at a time, at most ``connections``."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, connections: int = 4):
        self._verify = verify
        self._idle: dict[_Key, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, connections))
        self._closed = False

    @functools.cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """Made at the first https connection, as httpx would make it: loading the CA
        bundle takes 25-45 ms, which a client of a plain-http address never needs."""
        return httpx.create_ssl_context(verify=self._verify)

    # -- connections ----------------------------------------------------------------
    def _connect(self, key: _Key, connect: float | None) -> _Connection:
        """TCP (and TLS) within the connect timeout."""
        scheme, host, port = key
        sock = socket.create_connection((host, port), timeout=connect)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = self.ssl_context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)

    def _open(self, key: _Key, timeouts: dict[str, float | None],
              request: httpx.Request) -> tuple[_Connection, bool]:
        """An idle connection, else a new one; and whether it was idle (reused)."""
        conn = self._checkout(key)
        reused = conn is not None
        try:
            if conn is None:
                conn = self._connect(key, timeouts.get("connect"))
            read = timeouts.get("read")
            if conn.sock.gettimeout() != read:  # two fcntl calls saved per request
                conn.sock.settimeout(read)
        except OSError as exc:
            raise _as_httpx(exc, request, connecting=True) from exc
        return conn, reused

    def _checkout(self, key: _Key) -> _Connection | None:
        """An idle connection still open, if there is one."""
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                conn = idle.pop()
                if not _readable(conn.sock):
                    return conn
                conn.close()
        return None

    def _checkin(self, key: _Key, conn: _Connection) -> None:
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
        body = request.read()
        target = url.raw_path.decode("ascii")
        with self._slot(timeouts.get("pool")):
            for attempt in (1, 2):
                conn, reused = self._open(key, timeouts, request)
                try:
                    head, rest = conn.channel.request(request.method, target,
                                                      request.headers.raw, body)
                    # one write, one TLS record, when the body is small: half the server's reads
                    for part in [head + rest] if len(rest) <= 65536 else [head, rest]:
                        conn.sock.sendall(part)
                    answer = conn.channel.read()
                except (OSError, http11.ProtocolError) as exc:
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
            headers=answer.headers,
            content=answer.body,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _as_httpx(exc: OSError | http11.ProtocolError, request: httpx.Request, *,
              connecting: bool) -> httpx.TransportError:
    """The network failure as the httpx error the client understands."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError | socket.timeout):
        kind: type[httpx.TransportError] = (
            httpx.ConnectTimeout if connecting else httpx.ReadTimeout)
        return kind(text, request=request)
    if isinstance(exc, ssl.SSLError) or connecting:
        return httpx.ConnectError(text, request=request)
    if isinstance(exc, http11.ProtocolError | ConnectionError):
        return httpx.RemoteProtocolError(text, request=request)
    return httpx.ReadError(text, request=request)
