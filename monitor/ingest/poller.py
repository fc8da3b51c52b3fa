"""Feed polling stage: many conditional GETs at once on one asyncio loop (aiohttp).

``FeedPoller.poll(feeds)`` yields ``(feed, FetchedPage | NotModified | FetchError)`` for
every feed, in the order the answers arrive. It pulls feeds from the iterable lazily
(a window of a few times ``concurrency``), so the caller can claim due feeds batch by
batch while earlier ones are in flight. ``FeedPoller.fetch`` (synchronous, thread-safe)
runs one fetch on the same loop: the poller is a ``FetcherPort`` too.

Each fetch keeps the contract of ``monitor.ingest.fetch.Fetcher.fetch``:

- only ``http``/``https``; 2xx -> ``FetchedPage`` (body decompressed and capped at
  ``max_bytes``, a gzip bomb stops at the cap); 304 -> ``NotModified`` (the validators
  sent are kept when the 304 omits them); other statuses -> ``HTTPStatusError`` with
  ``retry_after``. Only ``FetchError`` subclasses, never aiohttp errors.
- ``timeout`` is an overall deadline per fetch (name resolution, connect, every
  redirect hop and the body included).
- Redirects are followed hop by hop (at most ``max_redirects``), every hop checked
  first; cookies live only for the redirect chain of one fetch; environment proxies
  are ignored.
- SSRF guard: aiohttp resolves every host name through ``GuardedResolver``, which
  refuses the connection (``BlockedAddressError``) when ANY resolved address is not
  public (``netguard.refusal_reason``: loopback, private, link-local, IPv4 embedded in
  IPv6 ...) and hands aiohttp only the checked addresses, so the socket opens to a
  checked IP: redirects and DNS rebinding cannot reach a private address. aiohttp
  skips its resolver for literal IP hosts: those are checked before every hop
  (``netguard.checked_host``), and legacy numeric spellings (``127.1``,
  ``2130706433``), which aiohttp refuses to connect to anyway, are resolved and
  reported like names. Resolved answers are cached 10 s (only checked answers are).
- Concurrency: at most ``concurrency`` feed polls in flight, and as many page fetches
  (``fetch``: a changed feed's articles never wait behind the polls of the cycle), and
  ``per_host`` of both together per host; idle connections stay open 30 s, so a host
  polled again reuses its connection (a new connection passes the guard).

Why one loop rather than threads: a conditional GET on aiohttp costs a fraction of
what a synchronous httpx request on a thread does (bench/poll.py: the HTTP floors), and
one loop holds hundreds of requests in flight without a thread each.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import queue
import socket
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from monitor.core.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    TooLargeError,
    TooManyRedirectsError,
    TransportError,
)
from monitor.core.records import FeedHealth, FetchedPage, NotModified, Validators
from monitor.ingest.bodies import ACCEPT_ENCODING, CappedBody
from monitor.ingest.fetch import FEED_ACCEPT, FetchLimits, request_headers, status_error
from monitor.ingest.netguard import AddressRefused, Resolver, checked_host, refusal_reason
from monitor.ingest.netguard import system_resolve as system_resolve
from monitor.ingest.outcomes import display_url, not_modified_from, page_from

Outcome = FetchedPage | NotModified | FetchError
T = TypeVar("T")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_WINDOW = 4  # feeds handed to the loop at once, per unit of concurrency


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses non-public answers and returns only checked IPs.

    ``route`` maps a checked address to the one to connect to (tests route a public
    address to a local server); it sees only addresses that passed the check."""

    def __init__(
        self,
        allow_private: bool,
        resolver: Resolver = system_resolve,
        route: Callable[[str], str] | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._route = route or (lambda address: address)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": self._route(str(ip)),
                "port": port,
                "family": socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for ip in await self.checked(host, port)
        ]

    async def checked(
        self, host: str, port: int
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        """Every address of ``host``; ``AddressRefused`` if any is not public."""
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(None, self._resolver, host, port)
            addresses = [ipaddress.ip_address(a) for a in found]
        except (OSError, UnicodeError, ValueError) as exc:
            raise OSError(f"cannot resolve {host}") from exc
        if not addresses:
            raise OSError(f"cannot resolve {host}")
        if not self._allow_private:
            for address in addresses:
                if reason := refusal_reason(host, address):
                    raise AddressRefused(reason)
        return addresses

    async def close(self) -> None:
        return None


class _HostSlots:
    """An asyncio semaphore per host, dropped when idle (one loop: no locks needed)."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        semaphore, users = self._slots.setdefault(host, (asyncio.Semaphore(self._per_host), [0]))
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._slots[host]


class _Answers:
    """Answers handed from the loop to the polling thread a loop turn's worth at a time:
    one thread wake-up per batch instead of one per feed."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._ready: list[tuple[FeedHealth, Outcome]] = []  # touched on the loop only
        self._handed: queue.SimpleQueue[list[tuple[FeedHealth, Outcome]]] = queue.SimpleQueue()

    def put(self, answer: tuple[FeedHealth, Outcome]) -> None:
        if not self._ready:
            self._loop.call_soon(self._hand_over)  # after the other callbacks of this turn
        self._ready.append(answer)

    def _hand_over(self) -> None:
        ready, self._ready = self._ready, []
        self._handed.put(ready)

    def take(self) -> list[tuple[FeedHealth, Outcome]]:
        """The next batch of answers (waits for one)."""
        return self._handed.get()


class FeedPoller:
    """See the module docstring. ``resolver`` and ``route`` let tests give the guard a
    fake DNS and send its checked connections to a local server."""

    def __init__(
        self,
        limits: FetchLimits,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        resolver: Resolver = system_resolve,
        route: Callable[[str], str] | None = None,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._guard = GuardedResolver(limits.allow_private_addresses, resolver, route)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="poll-loop",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession = self._run(self._open())
        self._polls = asyncio.Semaphore(limits.concurrency)
        self._pages = asyncio.Semaphore(limits.concurrency)  # never queued behind feed polls
        self._hosts = _HostSlots(limits.per_host)

    async def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=self._guard,
            limit=0,  # the semaphores limit fetches; idle connections are not capped
            limit_per_host=0,
            keepalive_timeout=30.0,
            ttl_dns_cache=10,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # nothing shared between feeds
            auto_decompress=False,  # decoded by CappedBody, under the cap
            trust_env=False,  # environment proxies must not reroute (or unguard) traffic
            timeout=aiohttp.ClientTimeout(total=None),  # the overall deadline is ours
            headers={"User-Agent": self._limits.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def __enter__(self) -> FeedPoller:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Cancel the polls still in flight (a cycle that stopped early left them), close
        the connections and stop the loop."""
        if self._loop.is_closed():
            return
        self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._session.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("FeedPoller: a blocking call from its own loop")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    # ------------------------------------------------------------------ the ports
    def fetch(
        self, url: str, validators: Validators | None = None, *, accept: str = FEED_ACCEPT
    ) -> FetchedPage | NotModified:
        """One GET (``FetcherPort``); raises ``FetchError`` subclasses."""
        return self._run(self.fetch_async(url, validators, accept, slots=self._pages))

    def poll(self, feeds: Iterable[FeedHealth]) -> Iterator[tuple[FeedHealth, Outcome]]:
        """The conditional GET of every feed, concurrently; answers as they arrive."""
        answers = _Answers(self._loop)
        pending = iter(feeds)
        window = self._limits.concurrency * _WINDOW
        in_flight = 0
        while True:
            if in_flight <= window // 2:  # top up in batches: one loop wake-up each
                batch = list(itertools.islice(pending, window - in_flight))
                if batch:
                    self._loop.call_soon_threadsafe(self._start, batch, answers)
                    in_flight += len(batch)
            if not in_flight:
                return
            for answer in answers.take():
                in_flight -= 1
                yield answer

    def _start(self, feeds: list[FeedHealth], answers: _Answers) -> None:
        for feed in feeds:
            task = self._loop.create_task(self._poll_one(feed, answers))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _poll_one(self, feed: FeedHealth, answers: _Answers) -> None:
        outcome: Outcome
        try:
            validators = Validators(feed.etag, feed.last_modified)
            outcome = await self.fetch_async(feed.url, validators, slots=self._polls)
        except FetchError as exc:
            outcome = exc
        except Exception as exc:  # a library surprise: this feed's error, not the cycle's
            outcome = TransportError(feed.url, f"fetch failed ({type(exc).__name__})")
        answers.put((feed, outcome))

    # ------------------------------------------------------------------ one fetch
    async def fetch_async(
        self,
        url: str,
        validators: Validators | None = None,
        accept: str = FEED_ACCEPT,
        *,
        slots: asyncio.Semaphore | None = None,
    ) -> FetchedPage | NotModified:
        """One GET on this poller's loop, within ``slots`` (the page fetches' by default);
        see the module docstring."""
        limit = self._limits.timeout
        try:
            host = checked_host(url, url, self._limits.allow_private_addresses)
            async with self._hosts.slot(host), slots or self._pages, asyncio.timeout(limit):
                return await self._exchange(url, validators, accept)
        except FetchError:
            raise
        except AddressRefused as exc:
            raise BlockedAddressError(url, str(exc)) from None
        except TimeoutError:
            raise FetchTimeoutError(
                url, f"timed out fetching {display_url(url)} (limit {limit:g}s)"
            ) from None
        except (aiohttp.ClientError, OSError, ValueError, zlib.error) as exc:
            raise _map_error(exc, url) from exc

    async def _exchange(
        self, url: str, validators: Validators | None, accept: str
    ) -> FetchedPage | NotModified:
        response = await self._follow(url, request_headers(validators, accept))
        try:
            status, headers = response.status, response.headers
            if status == 304:
                return not_modified_from(url, headers, validators)
            if not 200 <= status < 300:
                raise status_error(url, status, response.url.host, headers, self._clock)
            body = await self._read_body(url, response)
        finally:
            response.release()
        return page_from(url, str(response.url), status, headers, headers.items(), body)

    async def _follow(self, url: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
        """Send, following up to ``max_redirects`` redirects, each hop checked first."""
        target, jar, seen, looped = url, None, set(), False
        for _ in range(self._limits.max_redirects + 1):
            host = checked_host(url, target, self._limits.allow_private_addresses)
            if _legacy_numeric(host):  # aiohttp would not resolve it: say where it points
                await self._guard.checked(host, 0)
            seen.add(target)
            hop = headers
            if jar is not None and (cookie := _cookie_header(jar, URL(target))):
                hop = {**headers, "Cookie": cookie}
            response = await self._session.get(target, headers=hop, allow_redirects=False)
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or not location:
                return response
            if response.cookies:  # consent walls set one and redirect
                jar = jar or aiohttp.CookieJar(unsafe=True, quote_cookie=False)
                jar.update_cookies(response.cookies, response.url)
            response.release()
            target = str(response.url.join(URL(location)))
            looped = looped or target in seen
        what = "a redirect loop" if looped else "too many redirects"
        raise TooManyRedirectsError(url, f"{what} (limit {self._limits.max_redirects})")

    async def _read_body(self, url: str, response: aiohttp.ClientResponse) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._limits.max_bytes:
            raise TooLargeError(
                url, f"Content-Length {declared} is above the {self._limits.max_bytes} byte limit"
            )
        body = CappedBody(response.headers.get("Content-Encoding", ""), self._limits.max_bytes, url)
        async for chunk in response.content.iter_any():
            body.add(chunk)
        return body.finish()


def _cookie_header(jar: aiohttp.CookieJar, url: URL) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.filter_cookies(url).items())


def _legacy_numeric(host: str) -> bool:
    """``127.1``, ``2130706433``: numbers the C library reads as IPv4, not dotted quads."""
    if not host.replace(".", "").isdigit():
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def _map_error(exc: BaseException, url: str) -> FetchError:
    """One short human message per library failure (no headers, no user info)."""
    where = display_url(url)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return TransportError(url, f"cannot connect to {where}: {exc.os_error}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportError(url, f"cannot connect to {where}: {exc.strerror or exc}")
    if isinstance(exc, aiohttp.InvalidURL | ValueError | UnicodeError):
        return TransportError(url, f"invalid URL: {exc}")
    if isinstance(exc, zlib.error):
        return TransportError(url, f"corrupt compressed body from {where}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return TransportError(url, f"connection to {where} failed: server disconnected")
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return TransportError(url, f"protocol error from {where}: {exc}")
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return TransportError(url, f"connection to {where} failed: {exc}")
    return TransportError(url, f"fetching {where} failed ({type(exc).__name__})")
