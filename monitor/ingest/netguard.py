"""Network guard of the HTTP stage: which addresses may be fetched (the policy, used by
both fetchers), and the httpcore connection machinery that enforces it for
``monitor.ingest.fetch.Fetcher`` (``monitor.ingest.poller`` enforces it in its resolver).

- Pure policy: ``classify_address`` (why an address is not public), ``refusal_reason``
  (the human message), ``check_url`` (scheme and literal-IP check before connecting) and
  ``checked_host`` (the same for one hop of a fetch, as our errors; both fetchers use it).
- ``GuardedBackend`` (httpcore network backend) resolves every host itself, refuses the
  connection with ``AddressRefused`` when ANY resolved address is loopback/private/
  link-local/multicast/reserved/unspecified (IPv4, IPv6, IPv4 embedded in IPv6) and
  connects to the checked IP, so redirects and DNS rebinding cannot reach a private
  address. ``Fetcher`` turns ``AddressRefused`` into ``BlockedAddressError``.
- ``Deadlines``: the overall deadline of one fetch; every socket connect/read/write is
  clamped to the time left (httpx timeouts are per phase). DNS resolution is not.
- ``GuardedTransport``: an httpx transport over an httpcore pool using that backend.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import httpcore
import httpx

from monitor.core.errors import BlockedAddressError, TransportError
from monitor.ingest.outcomes import display_url

_ALLOW_HINT = "set polling.allow_private_addresses = true to allow"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]


# --------------------------------------------------------------------------- address policy (pure)

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


@functools.lru_cache(maxsize=16384)  # pure; feeds are polled by the same URLs every cycle
def checked_host(url: str, target: str, allow_private: bool) -> str:
    """The host of ``target`` (a hop of the fetch of ``url``) once ``check_url`` passes.

    Raises ``BlockedAddressError`` (naming the redirect when ``target`` is not ``url``)
    or ``TransportError`` for a URL that cannot be parsed."""
    try:
        reason = check_url(target, allow_private)
        host = httpx.URL(target).host
    except httpx.InvalidURL as exc:
        raise TransportError(url, f"invalid URL: {exc}") from None
    if reason and target != url:
        reason = f"redirected to {display_url(target)}: {reason}"
    if reason:
        raise BlockedAddressError(url, reason)
    return host


# --------------------------------------------------------------------------- guarded connections


class AddressRefused(Exception):
    """Raised by ``GuardedBackend`` instead of connecting; the message is the reason."""


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Deadlines:
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
    def __init__(self, inner: httpcore.NetworkStream, deadlines: Deadlines) -> None:
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
        deadlines: Deadlines | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = inner or httpcore.SyncBackend()
        self._deadlines = deadlines or Deadlines()

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


class GuardedTransport(httpx.BaseTransport):
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
            content=request.stream,  # type: ignore[arg-type, unused-ignore]
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
