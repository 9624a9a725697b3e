"""HTTP to the Hesabu server with the standard library only (python-for-android safe).

One keep-alive connection, gzip request and response bodies, timeouts, and bounded
retries with exponential backoff and jitter on network errors and 5xx answers.
A 4xx answer is never retried (it will not get better by asking again), except that
callers may accept 409 (an attachment offset that moved) and handle it themselves.
Every error becomes a `SyncError` with the server's stable code when it sent one.

HTTPS checks the server's certificate against Mozilla's CA bundle (certifi, shipped in
the APK: Python on Android cannot read the system's store, so without a bundle every
certificate would fail), or a CA file the caller names. A certificate that does not check
out is `sync.certificate_untrusted` at once: it is not retried, and it is not a network
problem (a better signal will not fix it).

A server with a certificate of its own (`hesabu serve --tls`) is trusted by its pin
instead (sync/pins.py; the enrolment QR code carries it): on every new connection, right
after the handshake and before a byte of the request (or the device's token) is sent,
the pin of the certificate the server showed must be one of the pins the transport was
given. Any other certificate, even one an authority signed, is
`sync.certificate_pin_mismatch`: the connection is closed and nothing is retried.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from client.errors import SyncError
from client.network import Exchange, NetworkMeter, parse_protocol, parse_server_timing
from sync.messages import PROTOCOL_HEADER, encode_body
from sync.pins import NEXT_PIN_HEADER, PinError, check_pin, pin_of_der

#: Network failures worth another try: the request may or may not have arrived, and every
#: sync request is idempotent (ops by op_id, attachment chunks by offset).
NETWORK_ERRORS = (OSError, http.client.HTTPException, socket.timeout)


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Certificate and host name checks against `ca_file`, else certifi's bundle where it
    is installed (always on the tablet), else the system's store (a desktop without it)."""
    if ca_file is None:
        try:
            import certifi
        except ImportError:
            pass
        else:
            ca_file = certifi.where()
    return ssl.create_default_context(cafile=ca_file)


def pinned_context() -> ssl.SSLContext:
    """TLS 1.2 or newer, the certificate checked by its pin (PinnedConnection), not by an
    authority nor by host name: a pinned server is often reached by a bare address."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class PinMismatch(Exception):  # not an OSError: never retried, never "network" words
    """The server showed a certificate whose pin is not one of ours."""

    def __init__(self, found: str) -> None:
        super().__init__(found)
        self.found = found


class PinnedConnection(http.client.HTTPSConnection):
    """An HTTPS connection that checks the server's certificate pin right after the
    handshake, before anything is sent on it."""

    def __init__(self, host: str, port: int | None, *, pins: tuple[str, ...],
                 timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=pinned_context())
        self.pins = pins
        self.pin_used: str | None = None

    def connect(self) -> None:
        super().connect()
        der = self.sock.getpeercert(binary_form=True)
        found = pin_of_der(der) if der else "none"
        if found not in self.pins:
            self.close()
            raise PinMismatch(found)
        self.pin_used = found


def pin_mismatch(base_url: str, exc: PinMismatch) -> SyncError:
    """The SyncError for a server whose certificate is not the pinned one."""
    return SyncError(f"The server at {base_url} showed a certificate that is not the one "
                     f"this device was enrolled with (its pin is {exc.found}). Nothing was "
                     "sent. It may be another machine on the network pretending to be the "
                     "server; if the server got a new certificate, enrol again with a new "
                     "code from your leader.",
                     code="sync.certificate_pin_mismatch",
                     details={"found": exc.found})


def untrusted(base_url: str, exc: ssl.SSLCertVerificationError) -> SyncError:
    """The SyncError for a server certificate that does not check out."""
    why = exc.verify_message or exc.reason or str(exc)
    return SyncError(f"The server's certificate is not trusted ({why}): {base_url}. "
                     "Check the server address; if it is right, the server needs a "
                     "certificate from a known authority.",
                     code="sync.certificate_untrusted")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: delay = min(cap, base * 2**attempt) * jitter in [0.5, 1]."""

    attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 20.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return min(self.cap_s, self.base_s * (2 ** attempt)) * (0.5 + rng.random() / 2)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class WireStats:
    """What went over the wire: requests made and bytes sent/received (bodies, as sent)."""

    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    retries: int = 0
    by_path: dict[str, int] = field(default_factory=dict)
    #: Request bodies sent per Content-Encoding ("gzip", "bzip2", ...).
    codings: dict[str, int] = field(default_factory=dict)


class HttpTransport:
    """A connection to one server. Not thread-safe: one sync at a time uses it."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout_s: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        ca_file: str | None = None,
        pins: tuple[str, ...] | list[str] = (),
    ) -> None:
        """`ca_file`: a PEM file of the authorities to trust for HTTPS (default: certifi's
        bundle, see `tls_context`). `pins`: trust exactly the certificates with these
        pins instead (sync/pins.py; the CA bundle is then not used)."""
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SyncError(f"not a server address: {base_url!r} (want http://host:port)",
                            code="sync.bad_server_url")
        self.base_url = base_url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s
        self.retry = retry
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.pins = tuple(pins) if parts.scheme == "https" else ()
        #: With pins: the one the server's certificate matched, and the next one the
        #: server announced (`Hesabu-Next-Pin`, see core.pins.learn_pins).
        self.pin_used: str | None = None
        self.next_pin: str | None = None
        self._tls = tls_context(ca_file) if parts.scheme == "https" and not self.pins else None
        self._conn: http.client.HTTPConnection | None = None
        self.stats = WireStats()
        #: What every exchange taught about the link and the server (see client.network).
        self.network = NetworkMeter()
        self._sndbuf: int | None = None

    # -- connection ---------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.pins:
                self._conn = PinnedConnection(self._host, self._port, pins=self.pins,
                                              timeout=self.timeout_s)
            elif self._tls is not None:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.timeout_s, context=self._tls)
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port,
                                                        timeout=self.timeout_s)
        return self._conn

    @property
    def socket(self) -> socket.socket | None:
        """The open connection's socket, if any (for tests and diagnostics)."""
        return self._conn.sock if self._conn is not None else None

    def _size_send_buffer(self, sock: socket.socket) -> None:
        """A small send buffer on a slow link (see `NetworkMeter.send_buffer`); set once
        per size, and never back to autotuning on this connection."""
        size = self.network.send_buffer()
        if size is not None and size != self._sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
            self._sndbuf = size

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pause(self, attempt: int) -> None:
        """Wait the backoff delay of retry number `attempt` (0-based)."""
        self._sleep(self.retry.delay(attempt, self._rng))

    # -- one request --------------------------------------------------------------------
    def _send_once(self, method: str, path: str, body: bytes | None,
                   headers: Mapping[str, str]) -> Response:
        conn = self._connection()
        started = time.perf_counter()
        try:
            if conn.sock is None:
                conn.connect()
                self._sndbuf = None
                if isinstance(conn, PinnedConnection):
                    self.pin_used = conn.pin_used
            self._size_send_buffer(conn.sock)
            conn.request(method, self._prefix + path, body=body, headers=dict(headers))
            raw = conn.getresponse()
            data = raw.read()
            seconds = time.perf_counter() - started
        except BaseException:
            # The connection is in an unknown state: drop it, the next try opens a new one.
            self.close()
            raise
        self.stats.requests += 1
        self.stats.bytes_sent += len(body or b"")
        self.stats.bytes_received += len(data)
        key = path.split("?")[0]
        self.stats.by_path[key] = self.stats.by_path.get(key, 0) + 1
        coding = headers.get("Content-Encoding")
        if body and coding:
            self.stats.codings[coding] = self.stats.codings.get(coding, 0) + 1
        resp_headers = {k.lower(): v for k, v in raw.getheaders()}
        self.network.observe(Exchange(
            len(body or b""), len(data), seconds,
            server_protocol=parse_protocol(resp_headers.get(PROTOCOL_HEADER.lower())),
            server_seconds=parse_server_timing(resp_headers.get("server-timing"))))
        if self.pins and NEXT_PIN_HEADER.lower() in resp_headers:
            with contextlib.suppress(PinError):
                self.next_pin = check_pin(resp_headers[NEXT_PIN_HEADER.lower()])
        if resp_headers.get("content-encoding") == "gzip" and data:
            data = gzip.decompress(data)
        if resp_headers.get("connection", "").lower() == "close":
            self.close()
        return Response(raw.status, resp_headers, data)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        accept: tuple[int, ...] = (),
        retry: bool = True,
        attempts: int | None = None,
    ) -> Response:
        """Send a request; retry network errors and 5xx; raise SyncError on other failures.

        Statuses in `accept` are returned instead of raised. `retry=False` lets the caller
        handle a dropped connection itself (attachment chunks re-check the offset first);
        `attempts` overrides the policy's number of tries for this request.
        """
        all_headers = {"Accept-Encoding": "gzip", "User-Agent": "hesabu-field-app"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if json_body is not None:
            body = encode_body(json_body)  # gzip(canonical JSON), as the protocol says
            all_headers["Content-Type"] = "application/json"
            all_headers["Content-Encoding"] = "gzip"
        all_headers.update(headers or {})
        if query:
            path = f"{path}?{urlencode(query)}"
        if attempts is None:
            attempts = self.retry.attempts if retry else 1
        last_error: BaseException | None = None
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
                self.pause(attempt - 1)
            try:
                resp = self._send_once(method, path, body, all_headers)
            except ssl.SSLCertVerificationError as exc:  # an OSError, but not the network's
                raise untrusted(self.base_url, exc) from exc
            except PinMismatch as exc:
                raise pin_mismatch(self.base_url, exc) from exc
            except NETWORK_ERRORS as exc:
                last_error = exc
                continue
            if resp.status >= 500 and resp.status not in accept:
                last_error = _error_from(resp)
                continue
            if resp.status >= 400 and resp.status not in accept:
                raise _error_from(resp)
            return resp
        if isinstance(last_error, SyncError):
            raise last_error
        raise SyncError(
            f"Could not reach the server at {self.base_url} ({last_error}). "
            "Check the connection and sync again; nothing was lost.",
            code="sync.network", retryable=True) from last_error


def _error_from(resp: Response) -> SyncError:
    """The server's `{"error": {"code", "message", "details"}}` as a SyncError."""
    code, message, details = f"http.{resp.status}", f"The server answered {resp.status}.", {}
    try:
        payload = resp.json()
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            code = str(err.get("code") or code)
            message = str(err.get("message") or message)
            details = err.get("details") or {}
    except (ValueError, UnicodeDecodeError):
        pass
    return SyncError(message, code=code, retryable=resp.status >= 500, status=resp.status,
                     details=details if isinstance(details, dict) else {})
