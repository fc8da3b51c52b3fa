"""HTTP stage: a URL (+ conditional-GET validators) -> ``FetchedPage | NotModified``.

Contract of ``Fetcher.fetch`` (synchronous, thread-safe, one shared connection pool):

- Only ``http``/``https`` URLs. 2xx -> ``FetchedPage`` (body decompressed and capped);
  304 -> ``NotModified`` (never an exception for "nothing changed").
- Raises only ``monitor.errors.FetchError`` subclasses, never httpx/httpcore errors:
  ``BlockedAddressError`` (bad scheme; host resolves to a non-public address),
  ``FetchTimeoutError`` (connect/read timeout or the overall deadline),
  ``TooLargeError`` (decompressed body above ``max_bytes``), ``TooManyRedirectsError``,
  ``HTTPStatusError`` (with ``retry_after`` from ``Retry-After``), ``TransportError``.
- SSRF guard: ``GuardedBackend`` resolves every host itself, refuses the connection
  when ANY resolved address is loopback/private/link-local/multicast/reserved/
  unspecified (IPv4, IPv6, IPv4 embedded in IPv6) and connects to the checked IP,
  so redirects and DNS rebinding cannot reach a private address.
- ``timeout`` is an overall deadline per fetch (httpx timeouts are per phase): every
  socket connect/read/write is clamped to the time left. DNS resolution is not.
- Redirects are followed here, hop by hop, each hop re-checked. Cookies live only for
  the redirect chain of one fetch: nothing is shared between feeds.
- Concurrency: at most ``per_host`` fetches per host and ``concurrency`` overall.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import ipaddress
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpcore
import httpx

from monitor.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
    TransportError,
)
from monitor.records import FetchedPage, NotModified, Validators

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate"  # only what read_capped can decode under a cap
_ALLOW_HINT = "set polling.allow_private_addresses = true to allow"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 20.0  # overall deadline per fetch, seconds
    max_bytes: int = 5_000_000  # cap on decompressed body bytes
    max_redirects: int = 5
    allow_private_addresses: bool = False
    user_agent: str = "appban-monitor/0.1"
    concurrency: int = 8  # fetches in flight at once (global)
    per_host: int = 2  # fetches in flight at once per host

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_bytes < 1 or self.max_redirects < 0:
            raise ValueError("FetchLimits: timeout and max_bytes must be > 0, redirects >= 0")
        if self.concurrency < 1 or self.per_host < 1:
            raise ValueError("FetchLimits: concurrency and per_host must be >= 1")


# --------------------------------------------------------------------------- pure policy


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now`` (>= 0): delay-seconds or an HTTP-date."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+", text, re.ASCII):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (_as_utc(when) - _as_utc(now)).total_seconds())


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: is_private is False
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CATEGORIES: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("unspecified", lambda ip: ip.is_unspecified),
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),  # 224.0.0.1 counts as is_global
    ("shared address space", lambda ip: ip in _SHARED),
    ("private", lambda ip: ip.is_private),
    ("reserved", lambda ip: ip.is_reserved),
)


def classify_address(address: str | IPAddress) -> str | None:
    """Why an address must not be fetched ("loopback", "private", ...), or None if public."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    ip = _embedded_ipv4(ip) or ip  # ::ffff:127.0.0.1 and 6to4/NAT64 forms reach IPv4 hosts
    for label, applies in _CATEGORIES:
        if applies(ip):
            return label
    return None if ip.is_global else "not publicly routable"


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.ipv4_mapped or ip.sixtofour


def refusal_reason(host: str, address: str | IPAddress) -> str | None:
    """The human reason a connection to ``address`` (resolved from ``host``) is refused."""
    category = classify_address(address)
    if category is None:
        return None
    shown = _show(ipaddress.ip_address(address) if isinstance(address, str) else address)
    subject = host if _same_address(host, address) else f"{host} resolves to {shown}"
    return f"refused: {subject} ({category}); {_ALLOW_HINT}"


def _show(ip: IPAddress) -> str:
    """Python 3.11 prints ::ffff:127.0.0.1 as ::ffff:7f00:1; keep the dotted form."""
    mapped = getattr(ip, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped else str(ip)


def _same_address(host: str, address: str | IPAddress) -> bool:
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(address)
    except ValueError:
        return False


def check_url(url: str, allow_private: bool) -> str | None:
    """Reason to refuse ``url`` before any connection (scheme, literal IP host), or None.

    Host names are checked later, on the resolved address of the actual connection.
    Raises ``httpx.InvalidURL`` when the URL cannot be parsed.
    """
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https"):
        scheme = f"{parsed.scheme}:" if parsed.scheme else "scheme-less"
        return f"refused: {scheme} URLs are not fetched (only http and https)"
    if not parsed.host:
        return "refused: the URL has no host"
    if allow_private:
        return None
    try:
        literal = ipaddress.ip_address(parsed.host)
    except ValueError:
        return None
    return refusal_reason(parsed.host, literal)


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """``"text/html; charset=UTF-8"`` -> ``("text/html", "utf-8")``; missing -> ``("", None)``."""
    if not value:
        return "", None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower() or None
    return media.strip().lower(), charset


# --------------------------------------------------------------------------- body decoding


class _Decoder(Protocol):
    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int) -> bytes: ...

    def flush(self) -> bytes: ...


class _Identity:
    unconsumed_tail = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _Deflate:
    """HTTP "deflate" is meant to be zlib-wrapped; some servers send raw deflate."""

    def __init__(self) -> None:
        self._zlib: Any = zlib.decompressobj()
        self._started = False

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self._zlib.unconsumed_tail)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if not self._started:
            self._started = True
            try:
                return bytes(self._zlib.decompress(data, max_length))
            except zlib.error:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        return bytes(self._zlib.decompress(data, max_length))

    def flush(self) -> bytes:
        return bytes(self._zlib.flush())

    @property
    def eof(self) -> bool:
        return bool(self._zlib.eof)


def _decoder(encoding: str, url: str) -> _Decoder:
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _Deflate()
    raise TransportError(url, f"unsupported Content-Encoding {encoding!r} (asked for gzip)")


def read_capped(chunks: Iterable[bytes], encoding: str, max_bytes: int, url: str = "") -> bytes:
    """Decode raw body chunks, never holding more than ``max_bytes`` (+1) decoded bytes.

    zlib's ``max_length`` bounds every step, so a gzip bomb stops at the cap instead of
    inflating a whole network chunk (which httpx's own decoder would do).
    """
    decoder = _decoder(encoding, url)
    body = bytearray()
    for chunk in chunks:
        data = chunk
        while data:
            body += decoder.decompress(data, max_bytes - len(body) + 1)
            if len(body) > max_bytes:
                raise TooLargeError(url, f"body larger than the {max_bytes} byte limit")
            data = decoder.unconsumed_tail
    body += decoder.flush()
    if len(body) > max_bytes:
        raise TooLargeError(url, f"body larger than the {max_bytes} byte limit")
    if not getattr(decoder, "eof", True):  # a cut-off stream would pass for a short body
        raise TransportError(url, "truncated compressed body")
    return bytes(body)


# --------------------------------------------------------------------------- network guard


class AddressRefused(Exception):
    """Raised by ``GuardedBackend`` instead of connecting; the message is the reason."""


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _Deadlines:
    """The overall deadline of the fetch running on this thread (a fetch never changes
    threads, and a pooled connection serves one request at a time)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._local = threading.local()

    def start(self, seconds: float) -> None:
        self._local.at = self._monotonic() + seconds

    def clear(self) -> None:
        self._local.at = None

    def clamp(self, timeout: float | None, error: type[Exception]) -> float | None:
        """The phase timeout cut to the time left; ``error`` once none is left."""
        at = getattr(self._local, "at", None)
        if at is None:
            return timeout
        left = at - self._monotonic()
        if left <= 0:
            raise error("overall deadline exceeded")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadlines: _Deadlines) -> None:
        self._inner = inner
        self._deadlines = deadlines

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadlines.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadlines.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = self._deadlines.clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadlines
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves the host itself, checks every address, then connects to a checked IP.

    TLS still verifies and sends SNI for the host name: httpcore takes those from the
    URL, not from the address given here. ``inner`` opens the sockets (tests route it).
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolve,
        inner: httpcore.NetworkBackend | None = None,
        deadlines: _Deadlines | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = inner or httpcore.SyncBackend()
        self._deadlines = deadlines or _Deadlines()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port)
        if not self._allow_private:
            for address in addresses:
                if reason := refusal_reason(host, address):
                    raise AddressRefused(reason)
        failure: Exception = httpcore.ConnectError(f"cannot connect to {host}")
        for address in addresses:  # the first that answers, like create_connection
            try:
                left = self._deadlines.clamp(timeout, httpcore.ConnectTimeout)
                stream = self._inner.connect_tcp(
                    str(address), port, left, local_address, socket_options
                )
                return _DeadlineStream(stream, self._deadlines)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            found = [ipaddress.ip_address(a) for a in self._resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        if not found:
            raise httpcore.ConnectError(f"cannot resolve {host}")
        return found

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _CoreStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_stream()

    def close(self) -> None:
        self._response.close()


class _GuardedTransport(httpx.BaseTransport):
    """httpx transport over an httpcore pool that connects through ``GuardedBackend``
    (httpx.HTTPTransport cannot take a network backend). httpcore errors pass through
    untranslated; ``Fetcher`` maps both families."""

    def __init__(self, backend: httpcore.NetworkBackend, connections: int) -> None:
        self._pool = httpcore.ConnectionPool(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=30.0,
            network_backend=backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        )
        core = httpcore.Request(
            request.method,
            url,
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CoreStream(response),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# --------------------------------------------------------------------------- the fetcher


class _HostSlots:
    """A semaphore per host, dropped when idle (article links span thousands of hosts)."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._lock = threading.Lock()
        self._slots: dict[str, tuple[threading.Semaphore, list[int]]] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore, users = self._slots.setdefault(
                host, (threading.Semaphore(self._per_host), [0])
            )
            users[0] += 1
        try:
            with semaphore:
                yield
        finally:
            with self._lock:
                users[0] -= 1
                if users[0] == 0:
                    del self._slots[host]


_LIBRARY_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    httpx.CookieConflict,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    zlib.error,
    OSError,
    UnicodeError,
)


class Fetcher:
    """See the module docstring. ``transport`` replaces the guarded network (tests only:
    then only schemes and literal IPs are checked); ``resolver`` and ``network`` let
    tests give the guard a fake DNS and route its connections."""

    def __init__(
        self,
        limits: FetchLimits,
        *,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        resolver: Resolver = system_resolve,
        network: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._deadlines = _Deadlines(monotonic)
        self._all = threading.BoundedSemaphore(limits.concurrency)
        self._hosts = _HostSlots(limits.per_host)
        if transport is None:
            backend = GuardedBackend(
                allow_private=limits.allow_private_addresses,
                resolver=resolver,
                inner=network,
                deadlines=self._deadlines,
            )
            transport = _GuardedTransport(backend, limits.concurrency)
        # No cookie is ever stored on the shared client: a jar shared by every feed
        # grows forever and leaks one site's state into another's requests.
        no_cookies = http.cookiejar.CookieJar(
            http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        )
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(limits.timeout),
            trust_env=False,  # environment proxies must not reroute (or unguard) traffic
            follow_redirects=False,
            cookies=no_cookies,
            headers={"User-Agent": limits.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self, url: str, validators: Validators | None = None, *, accept: str = FEED_ACCEPT
    ) -> FetchedPage | NotModified:
        """GET ``url``; see the module docstring for results and errors."""
        try:
            host = self._checked_host(url, url)
            with self._hosts.slot(host), self._all:
                self._deadlines.start(self._limits.timeout)
                try:
                    return self._exchange(url, validators, accept)
                finally:
                    self._deadlines.clear()
        except FetchError:
            raise
        except AddressRefused as exc:
            raise BlockedAddressError(url, str(exc)) from None
        except _LIBRARY_ERRORS as exc:
            raise _map_error(exc, url, self._limits.timeout) from exc

    def _checked_host(self, url: str, target: str) -> str:
        reason = check_url(target, self._limits.allow_private_addresses)
        if reason and target != url:
            reason = f"redirected to {_display(target)}: {reason}"
        if reason:
            raise BlockedAddressError(url, reason)
        return httpx.URL(target).host

    def _exchange(
        self,
        url: str,
        validators: Validators | None,
        accept: str,
    ) -> FetchedPage | NotModified:
        response = self._follow(url, _request_headers(validators, accept))
        try:
            if response.status_code == 304:
                return _not_modified(url, response, validators)
            if not 200 <= response.status_code < 300:
                raise self._status_error(url, response)
            return _page(url, response, self._read_body(url, response))
        finally:
            response.close()

    def _follow(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """Send, following up to ``max_redirects`` redirects, each hop checked first."""
        request = self._client.build_request("GET", url, headers=headers)
        cookies = httpx.Cookies()  # this chain only (consent walls set one and redirect)
        seen: set[str] = set()
        looped = False
        for _ in range(self._limits.max_redirects + 1):
            self._checked_host(url, str(request.url))
            seen.add(str(request.url))
            response = self._client.send(request, stream=True)
            if response.next_request is None:
                return response
            response.close()
            cookies.extract_cookies(response)
            request = response.next_request
            cookies.set_cookie_header(request)
            looped = looped or str(request.url) in seen
        what = "a redirect loop" if looped else "too many redirects"
        raise TooManyRedirectsError(url, f"{what} (limit {self._limits.max_redirects})")

    def _read_body(self, url: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._limits.max_bytes:
            raise TooLargeError(
                url, f"Content-Length {declared} is above the {self._limits.max_bytes} byte limit"
            )
        encoding = response.headers.get("Content-Encoding", "")
        return read_capped(response.iter_raw(), encoding, self._limits.max_bytes, url)

    def _status_error(self, url: str, response: httpx.Response) -> HTTPStatusError:
        now = _server_time(response) or self._clock()
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        message = f"HTTP {response.status_code} from {response.url.host}"
        if retry_after is not None:
            message += f" (retry after {retry_after:.0f}s)"
        return HTTPStatusError(url, response.status_code, retry_after, message)


def _request_headers(validators: Validators | None, accept: str) -> dict[str, str]:
    headers = {"Accept": accept}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _not_modified(url: str, response: httpx.Response, sent: Validators | None) -> NotModified:
    # A 304 may omit the validators; keep the ones we sent so the next poll is conditional too.
    return NotModified(
        url,
        etag=response.headers.get("ETag") or (sent.etag if sent else None),
        last_modified=response.headers.get("Last-Modified")
        or (sent.last_modified if sent else None),
    )


def _page(url: str, response: httpx.Response, body: bytes) -> FetchedPage:
    media, charset = parse_content_type(response.headers.get("Content-Type"))
    return FetchedPage(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        content_type=media,
        charset=charset,
        body=body,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        headers=tuple(response.headers.multi_items()),
    )


def _server_time(response: httpx.Response) -> datetime | None:
    """The server's Date: an HTTP-date Retry-After is relative to the server's clock."""
    try:
        return email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return None


def _display(url: str) -> str:
    """The URL without user info or query, for messages."""
    try:
        parsed = httpx.URL(url)
        return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))
    except (httpx.InvalidURL, TypeError, ValueError):
        return "(unparseable URL)"


def _map_error(exc: Exception, url: str, timeout: float) -> FetchError:
    """One short human message per library failure (no headers, no user info)."""
    where = _display(url)
    if isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
        return FetchTimeoutError(url, f"timed out fetching {where} (limit {timeout:g}s)")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | httpcore.UnsupportedProtocol):
        return TransportError(url, f"invalid URL: {exc}")
    if isinstance(exc, httpx.DecodingError | zlib.error):
        return TransportError(url, f"corrupt compressed body from {where}")
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
        return TransportError(url, f"cannot connect to {where}: {exc}")
    if isinstance(exc, httpx.ProtocolError | httpcore.ProtocolError):
        return TransportError(url, f"protocol error from {where}: {exc}")
    if isinstance(exc, httpx.TransportError | httpcore.NetworkError | OSError):
        return TransportError(url, f"connection to {where} failed: {exc}")
    return TransportError(url, f"fetching {where} failed ({type(exc).__name__})")
