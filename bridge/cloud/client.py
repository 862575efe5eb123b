"""One keep-alive HTTP client for StandCloud's stand API.

Errors come out as the bridge's exception tree: ``TLSError`` (says what to set),
``AuthError`` (after the one refresh-and-retry a 401 earns), ``UploadRejected`` (a 4xx
with the server's reason), ``Unavailable`` (worth retrying: no connection, timeout,
429, 5xx, an unreadable answer).
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from bridge.cloud.auth import Credentials
from bridge.cloud.settings import CloudSettings
from bridge.errors import AuthError, StandCloudError, TLSError, Unavailable, UploadRejected

USER_AGENT = "stand-bridge"


def _is_cert_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _server_reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("detail", "error_description", "message", "error"):
            if body.get(key):
                return str(body[key])
    return json.dumps(body)[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _failed_url(exc: httpx.TransportError) -> str | None:
    try:
        return str(exc.request.url.copy_with(query=None))
    except RuntimeError:  # raised without its request (a custom transport)
        return None


def explain_transport_error(base: str, exc: httpx.TransportError) -> StandCloudError:
    """A network failure as our error: TLS (with what to set) or worth retrying."""
    if _is_cert_failure(exc):
        return TLSError(
            f"the TLS certificate of {base} is not trusted. If this StandCloud uses a"
            " private CA or a TLS-inspecting proxy, set [bridge.stand_cloud] ca_file ="
            ' "path/to/ca.pem" in hardpy.toml (for a test installation only:'
            " verify = false)",
            address=base,
        )
    if isinstance(exc, httpx.TimeoutException):
        return Unavailable(f"StandCloud at {base} did not answer in time", address=base)
    return Unavailable(f"cannot reach StandCloud at {base}: {exc}", address=base)


def _proxied() -> bool:
    """Whether a proxy is configured (httpx honours it only with its own transport)."""
    import urllib.request

    return any(scheme in urllib.request.getproxies() for scheme in ("https", "http", "all"))


def default_transport(
    verify: ssl.SSLContext | bool, connections: int
) -> httpx.BaseTransport | None:
    """Our lean keep-alive transport (``bridge.cloud.transport``, HTTP/1.1 through h11), or
    None (httpx's own) when a proxy is configured: that one knows proxies, ours does not."""
    if _proxied():
        return None
    from bridge.cloud.transport import DirectTransport

    return DirectTransport(verify=verify, connections=connections)


class _ThroughClient(httpx.BaseTransport):
    """httpx's own transports behind an ``httpx.Client`` without auth: the proxies the
    environment names, as httpx routes them."""

    def __init__(self, http: httpx.Client):
        self.http = http

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.http.send(request)


class StandCloudClient:
    """The stand API over keep-alive connections; the credentials' ``auth_flow`` (bearer,
    refresh, one retry after a 401) drives each request through the transport.
    ``transport``: another httpx transport, e.g. ``httpx.MockTransport`` in tests; by
    default :func:`default_transport`.

    Why not ``httpx.Client.send``: around the same flow and transport it spent ~0.15 ms
    of CPU per request (cookie jar, redirects, hooks, logging) that StandCloud's stand
    API has no use for; ``self.http`` still builds the requests (base headers, timeout,
    ``params`` / ``json``) and routes through a proxy when one is configured.
    """

    def __init__(
        self,
        settings: CloudSettings,
        credentials: Credentials,
        *,
        connections: int = 4,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.settings = settings
        self.endpoints = settings.endpoints
        self.credentials = credentials
        verify = settings.ssl_verify()  # once: a CA bundle takes tens of ms to load
        transport = transport or default_transport(verify, connections)
        self.http = httpx.Client(
            verify=verify,
            timeout=timeout or settings.timeout,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            headers={"User-Agent": USER_AGENT},
            transport=transport,
        )
        self._transport = transport or _ThroughClient(self.http)
        self._report_url = httpx.URL(self.endpoints.test_report)

    def close(self) -> None:
        self.http.close()  # and the transport it was given

    def __enter__(self) -> StandCloudClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------
    def _transport_error(self, exc: httpx.TransportError) -> StandCloudError:
        error = explain_transport_error(self.endpoints.base, exc)
        if isinstance(error, Unavailable) and _failed_url(exc) == self.endpoints.token:
            return StandCloudError(
                f"cannot refresh the StandCloud login: {exc}", address=self.endpoints.base
            )
        return error

    def _send(self, request: httpx.Request) -> httpx.Response:
        """``request`` through the credentials' flow: each request it yields is sent,
        and its answer handed back, until the flow ends (as httpx's client does)."""
        flow = self.credentials.sync_auth_flow(request)
        try:
            request = next(flow)
            while True:
                response = self._transport.handle_request(request)
                response.request = request
                response.read()
                try:
                    request = flow.send(response)
                except StopIteration:
                    return response
        finally:
            flow.close()

    def request(self, method: str, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        """Send with the credentials' bearer (a 401 has already had its one retry)."""
        try:
            response = self._send(self.http.build_request(method, url, **kwargs))
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        if response.status_code != 401:
            return response
        raise AuthError(
            f"StandCloud refused the {self.credentials.kind}"
            f" ({_server_reason(response)}): run `bridge sc-login {self.endpoints.base}`"
            + (" or check the API key" if self.credentials.kind == "API key" else ""),
            address=self.endpoints.base,
            status=401,
        )

    def _check(self, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status == 429 or status >= 500 or status == 408:
            raise Unavailable(
                f"StandCloud answered HTTP {status}: {_server_reason(response)}",
                address=self.endpoints.base,
                status=status,
                retry_after=_retry_after(response),
            )
        return response

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        response = self._check(self.request("GET", url, params=params))
        if response.status_code >= 400:
            raise StandCloudError(
                f"StandCloud answered HTTP {response.status_code}: {_server_reason(response)}",
                address=self.endpoints.base,
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise StandCloudError(
                f"malformed answer from StandCloud ({url}): not JSON",
                address=self.endpoints.base,
                status=response.status_code,
            ) from None

    # -- the stand API --------------------------------------------------------------
    def healthcheck(self) -> None:
        self.get_json(self.endpoints.healthcheck)

    def upload(self, report: dict[str, Any] | bytes) -> str | None:
        """POST one report; its StandCloud id on 201 (None if the answer had none)."""
        body = report if isinstance(report, bytes) else json.dumps(report).encode()
        response = self._check(
            self.request(
                "POST",
                self._report_url,
                content=body,
                headers={"Content-Type": "application/json"},
            )
        )
        status = response.status_code
        if status == 201:
            try:
                answer = response.json()
            except ValueError:
                return None  # stored (201 says so); the id is only informative
            return str(answer.get("test_run_id") or answer.get("id") or "") or None
        if 400 <= status < 500:
            raise UploadRejected(
                _server_reason(response), address=self.endpoints.base, status=status
            )
        # 200 or any other success that is not "Created": not proof of storage
        raise Unavailable(
            f"unexpected answer to an upload: HTTP {status} {_server_reason(response)[:80]!r}",
            address=self.endpoints.base,
            status=status,
        )


def open_client(
    settings: CloudSettings,
    *,
    connections: int = 4,
    timeout: float | None = None,
    notify: Any = None,
    transport: httpx.BaseTransport | None = None,
) -> StandCloudClient:
    """A client with the configured API key, else the stored login for the address."""
    from bridge.cloud.auth import load_credentials
    from bridge.cloud.tokens import token_stores

    # API-key mode needs no token store (and so never imports keyring).
    stores = [] if settings.api_key else token_stores(notify) if notify else token_stores()
    credentials = load_credentials(
        settings.endpoints, settings.api_key, stores, settings.key_refused
    )
    return StandCloudClient(
        settings, credentials, connections=connections, timeout=timeout, transport=transport
    )
