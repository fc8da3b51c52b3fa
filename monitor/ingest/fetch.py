"""HTTP stage: a URL (+ conditional-GET validators) -> ``FetchedPage | NotModified``.

The service fetches through ``monitor.ingest.poller.FeedPoller`` (aiohttp, one asyncio
loop), which keeps this contract; ``Fetcher`` here is the synchronous httpx
implementation of the same ``FetcherPort``, and both run the same contract tests
(tests/integration/test_fetch.py). The limits (``FetchLimits``), the Accept headers and
``parse_retry_after`` are shared.

Contract of ``Fetcher.fetch`` (synchronous, thread-safe, one shared connection pool):

- Only ``http``/``https`` URLs. 2xx -> ``FetchedPage`` (body decompressed and capped);
  304 -> ``NotModified`` (never an exception for "nothing changed").
- Raises only ``monitor.core.errors.FetchError`` subclasses, never httpx/httpcore errors:
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
- Concurrency: at most ``per_host`` fetches per host and ``concurrency`` overall; the
  pool keeps up to ``keepalive`` idle connections (hosts x per_host), so a host polled
  again finds its connection open (every new connection still passes the guard).

The address policy and the guarded connection live in ``monitor.ingest.netguard``, body
decoding in ``monitor.ingest.bodies``, records and error mapping in ``monitor.ingest.outcomes``; the
names other modules import from here are re-exported.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpcore
import httpx

from monitor.core.errors import (
    BlockedAddressError,
    FetchError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from monitor.core.records import FetchedPage, NotModified, Validators
from monitor.ingest.bodies import ACCEPT_ENCODING, parse_content_type, read_capped
from monitor.ingest.netguard import (
    AddressRefused,
    Deadlines,
    GuardedBackend,
    GuardedTransport,
    Resolver,
    check_url,
    checked_host,
    classify_address,
    refusal_reason,
    system_resolve,
)
from monitor.ingest.outcomes import (
    LIBRARY_ERRORS,
    map_error,
    not_modified_from,
    page_from,
)

__all__ = [  # names other modules import from here, wherever they now live
    "ARTICLE_ACCEPT",
    "FEED_ACCEPT",
    "AddressRefused",
    "FetchLimits",
    "Fetcher",
    "GuardedBackend",
    "check_url",
    "classify_address",
    "parse_content_type",
    "parse_retry_after",
    "read_capped",
    "refusal_reason",
]

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 20.0  # overall deadline per fetch, seconds
    max_bytes: int = 5_000_000  # cap on decompressed body bytes
    max_redirects: int = 5
    allow_private_addresses: bool = False
    user_agent: str = "appban-monitor/0.1"
    concurrency: int = 8  # fetches in flight at once (global)
    per_host: int = 2  # fetches in flight at once per host
    keepalive: int = 0  # idle connections kept open (0: concurrency); size it hosts x per_host

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
        self._deadlines = Deadlines(monotonic)
        self._all = threading.BoundedSemaphore(limits.concurrency)
        self._hosts = _HostSlots(limits.per_host)
        if transport is None:
            backend = GuardedBackend(
                allow_private=limits.allow_private_addresses,
                resolver=resolver,
                inner=network,
                deadlines=self._deadlines,
            )
            transport = GuardedTransport(backend, max(limits.concurrency, limits.keepalive))
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
        except LIBRARY_ERRORS as exc:
            raise map_error(exc, url, self._limits.timeout) from exc

    def _checked_host(self, url: str, target: str) -> str:
        return checked_host(url, target, self._limits.allow_private_addresses)

    def _exchange(
        self,
        url: str,
        validators: Validators | None,
        accept: str,
    ) -> FetchedPage | NotModified:
        response = self._follow(url, request_headers(validators, accept))
        try:
            status, headers = response.status_code, response.headers
            if status == 304:
                return not_modified_from(url, headers, validators)
            if not 200 <= status < 300:
                raise status_error(url, status, response.url.host, headers, self._clock)
            body = self._read_body(url, response)
            return page_from(url, str(response.url), status, headers, headers.multi_items(), body)
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


def request_headers(validators: Validators | None, accept: str) -> dict[str, str]:
    """The request headers of a (conditional) GET."""
    headers = {"Accept": accept}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def status_error(
    url: str,
    status: int,
    host: str | None,
    headers: Mapping[str, str],
    clock: Callable[[], datetime],
) -> HTTPStatusError:
    """A non-2xx answer as an ``HTTPStatusError`` with its Retry-After in seconds (an
    HTTP-date is read against the server's Date when it sent one, else ``clock``)."""
    now = server_time(headers.get("Date", "")) or clock()
    retry_after = parse_retry_after(headers.get("Retry-After"), now)
    message = f"HTTP {status} from {host}"
    if retry_after is not None:
        message += f" (retry after {retry_after:.0f}s)"
    return HTTPStatusError(url, status, retry_after, message)


def server_time(value: str) -> datetime | None:
    """The server's Date: an HTTP-date Retry-After is relative to the server's clock."""
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
