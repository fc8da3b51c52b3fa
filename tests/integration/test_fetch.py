"""The fetchers against a real HTTP server on 127.0.0.1 (tests.support.httpserver).

Every test runs on both: ``monitor.ingest.fetch.Fetcher`` (httpx, article pages) and
``monitor.ingest.poller.FeedPoller`` (aiohttp, feed polls), through their ``fetch``."""

from __future__ import annotations

import gzip
import re
import socket
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.core.errors import (
    BlockedAddressError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
    TransportError,
)
from monitor.core.ports import FetcherPort
from monitor.core.records import FetchedPage, NotModified, Validators
from monitor.ingest.fetch import ARTICLE_ACCEPT, FEED_ACCEPT, Fetcher, FetchLimits
from monitor.ingest.poller import FeedPoller
from tests.support.httpserver import LocalServer, Route, serve
from tests.support.netfakes import PUBLIC_IP, FakeInternet

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
LAST_MODIFIED = "Wed, 01 May 2024 10:00:00 GMT"

MakeFetcher = Callable[..., Any]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve()


@pytest.fixture(params=["httpx", "aiohttp"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_fetcher(kind: str) -> Iterator[MakeFetcher]:
    """Fetchers that may reach 127.0.0.1 unless told otherwise; all closed afterwards.

    ``network`` (a FakeInternet) routes the guard's connections; ``monotonic`` is the
    httpx fetcher's clock only (the poller's deadline runs on its event loop)."""
    made: list[Fetcher | FeedPoller] = []

    def make(**limits: Any) -> Fetcher | FeedPoller:
        options = {"allow_private_addresses": True, "timeout": 5.0} | limits
        extra = {
            k: options.pop(k) for k in ("resolver", "network", "monotonic", "clock") if k in options
        }
        fetcher: Fetcher | FeedPoller
        if kind == "httpx":
            fetcher = Fetcher(FetchLimits(**options), **extra)
        else:
            if "network" in extra:
                extra["route"] = extra.pop("network").route
            fetcher = FeedPoller(FetchLimits(**options), **extra)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


def fetch_page(fetcher: FetcherPort, url: str, **kwargs: Any) -> FetchedPage:
    answer = fetcher.fetch(url, **kwargs)
    assert isinstance(answer, FetchedPage)
    return answer


# -- conditional GET, headers, charset


def test_200_then_conditional_get_gives_not_modified(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    route = Route(
        body=RSS,
        headers={"Content-Type": "application/rss+xml"},
        etag='"v1"',
        last_modified=LAST_MODIFIED,
    )
    server.set("/feed.xml", route)
    fetcher = make_fetcher()
    page = fetch_page(fetcher, server.url_for("/feed.xml"))
    assert (page.status, page.body, page.content_type) == (200, RSS, "application/rss+xml")
    assert (page.etag, page.last_modified) == ('"v1"', LAST_MODIFIED)
    assert page.final_url == page.url == server.url_for("/feed.xml")
    assert ("etag", '"v1"') in page.headers

    again = fetcher.fetch(page.url, Validators(page.etag, page.last_modified))
    assert again == NotModified(page.url, etag='"v1"', last_modified=LAST_MODIFIED)
    first, second = server.requests_for("/feed.xml")
    assert first.header("If-None-Match") is None and first.header("If-Modified-Since") is None
    assert second.header("If-None-Match") == '"v1"'
    assert second.header("If-Modified-Since") == LAST_MODIFIED


def test_not_modified_keeps_the_validators_sent_when_the_304_omits_them(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.set("/feed.xml", Route(status=304))
    answer = make_fetcher().fetch(server.url_for("/feed.xml"), Validators('"v7"', LAST_MODIFIED))
    assert answer == NotModified(server.url_for("/feed.xml"), '"v7"', LAST_MODIFIED)


def test_changed_etag_gets_the_new_body(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.set("/feed.xml", Route(body=RSS, etag='"v2"'))
    page = fetch_page(make_fetcher(), server.url_for("/feed.xml"), validators=Validators('"v1"'))
    assert (page.body, page.etag) == (RSS, '"v2"')


def test_sends_user_agent_accept_and_accept_encoding(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.set("/feed.xml", Route(body=RSS))
    server.set("/story", Route(body=b"<html></html>"))
    fetcher = make_fetcher(user_agent="appban-monitor/test (+https://example.org)")
    fetcher.fetch(server.url_for("/feed.xml"))
    fetcher.fetch(server.url_for("/story"), accept=ARTICLE_ACCEPT)
    feed, story = server.requests
    assert feed.header("User-Agent") == "appban-monitor/test (+https://example.org)"
    assert feed.header("Accept") == FEED_ACCEPT
    assert story.header("Accept") == ARTICLE_ACCEPT
    assert feed.header("Accept-Encoding") == "gzip, deflate"
    assert feed.header("Cookie") is None


@pytest.mark.parametrize(
    ("content_type", "media", "charset"),
    [
        ("application/rss+xml; charset=ISO-8859-1", "application/rss+xml", "iso-8859-1"),
        ('text/html; charset="Windows-1252"', "text/html", "windows-1252"),
        ("text/xml", "text/xml", None),
    ],
)
def test_charset_comes_from_content_type(
    server: LocalServer,
    make_fetcher: MakeFetcher,
    content_type: str,
    media: str,
    charset: str | None,
) -> None:
    server.set("/feed.xml", Route(body=RSS, headers={"Content-Type": content_type}))
    page = fetch_page(make_fetcher(), server.url_for("/feed.xml"))
    assert (page.content_type, page.charset) == (media, charset)


def test_environment_proxies_are_ignored(
    server: LocalServer, make_fetcher: MakeFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    server.set("/feed.xml", Route(body=RSS))
    assert fetch_page(make_fetcher(), server.url_for("/feed.xml")).body == RSS


# -- HTTP errors and Retry-After


def test_500_is_an_http_status_error(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.set("/feed.xml", Route(status=500, body=b"oops"))
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher().fetch(server.url_for("/feed.xml"))
    assert (info.value.status, info.value.retry_after) == (500, None)
    assert info.value.url == server.url_for("/feed.xml")
    assert str(info.value) == "HTTP 500 from 127.0.0.1"


def test_unknown_path_is_404(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher().fetch(server.url_for("/nowhere"))
    assert info.value.status == 404


def test_429_with_retry_after_seconds(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.set("/feed.xml", Route(status=429, headers={"Retry-After": "120"}))
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher().fetch(server.url_for("/feed.xml"))
    assert (info.value.status, info.value.retry_after) == (429, 120.0)
    assert "retry after 120s" in str(info.value)


def test_503_with_an_http_date_counts_from_the_servers_date(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    headers = {
        "Date": "Wed, 01 May 2024 10:00:00 GMT",
        "Retry-After": "Wed, 01 May 2024 10:02:30 GMT",
    }
    server.set("/feed.xml", Route(status=503, headers=headers))
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher().fetch(server.url_for("/feed.xml"))
    assert (info.value.status, info.value.retry_after) == (503, 150.0)


def test_503_with_an_http_date_and_no_usable_date_uses_our_clock(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    headers = {"Date": "not a date", "Retry-After": "Wed, 01 May 2024 10:01:00 GMT"}
    server.set("/feed.xml", Route(status=503, headers=headers))
    fetcher = make_fetcher(clock=lambda: datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
    with pytest.raises(HTTPStatusError) as info:
        fetcher.fetch(server.url_for("/feed.xml"))
    assert info.value.retry_after == 60.0


# -- timeouts


def test_slow_drip_hits_the_overall_deadline(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    # Each byte arrives well inside the per-phase read timeout: only a total deadline stops it.
    server.set("/feed.xml", Route(body=b"x" * 1000, drip=0.05))
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError, match=r"limit 0\.6s"):
        make_fetcher(timeout=0.6).fetch(server.url_for("/feed.xml"))
    assert 0.5 < time.monotonic() - started < 1.6


def test_a_server_that_never_answers_times_out(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.set("/feed.xml", Route(body=RSS, delay=30))
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        make_fetcher(timeout=0.5).fetch(server.url_for("/feed.xml"))
    assert time.monotonic() - started < 1.5


def test_the_deadline_runs_on_the_injected_clock(
    server: LocalServer, make_fetcher: MakeFetcher, kind: str
) -> None:
    if kind == "aiohttp":
        pytest.skip("the poller's deadline is asyncio.timeout on its loop's clock")
    ticks = iter(range(0, 10_000, 100))  # every look at the clock: 100 s later
    server.set("/feed.xml", Route(body=RSS))
    fetcher = make_fetcher(timeout=20.0, monotonic=lambda: float(next(ticks)))
    with pytest.raises(FetchTimeoutError):
        fetcher.fetch(server.url_for("/feed.xml"))
    assert server.requests == []  # refused at connect: the deadline had passed


# -- size caps


def test_content_length_above_the_cap_is_refused_before_reading(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    # The body never comes: reading it would time out, so only an early refusal passes.
    server.set("/feed.xml", Route(headers={"Content-Length": "50000000"}))
    started = time.monotonic()
    with pytest.raises(TooLargeError, match="Content-Length 50000000"):
        make_fetcher(max_bytes=1_000_000, timeout=3.0).fetch(server.url_for("/feed.xml"))
    assert time.monotonic() - started < 1.0


def test_a_50mb_stream_stops_at_a_1mb_cap(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.set("/big", Route(body=bytes(1 << 20), repeat=50, chunked=True))  # no length
    fetcher = make_fetcher(max_bytes=1_000_000)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(TooLargeError, match="1000000 byte limit"):
            fetcher.fetch(server.url_for("/big"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000
    assert time.monotonic() - started < 2.0


def test_a_gzip_bomb_is_too_large(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join([*(packer.compress(zeros) for _ in range(100)), packer.flush()])
    assert len(bomb) < 200_000  # 100 MB once inflated
    server.set("/bomb", Route(body=bomb, headers={"Content-Encoding": "gzip"}))
    fetcher = make_fetcher(max_bytes=1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError):
            fetcher.fetch(server.url_for("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [("gzip", gzip.compress(RSS)), ("deflate", zlib.compress(RSS))],
)
def test_compressed_bodies_are_decoded(
    server: LocalServer, make_fetcher: MakeFetcher, encoding: str, packed: bytes
) -> None:
    server.set("/feed.xml", Route(body=packed, headers={"Content-Encoding": encoding}))
    assert fetch_page(make_fetcher(), server.url_for("/feed.xml")).body == RSS


def test_corrupt_gzip_is_a_transport_error(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.set("/feed.xml", Route(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(TransportError, match="corrupt compressed body"):
        make_fetcher().fetch(server.url_for("/feed.xml"))


# -- redirects


def test_redirects_are_followed_to_the_final_url(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.set("/old", Route(301, headers={"Location": "/moved"}))
    server.set("/moved", Route(302, headers={"Location": server.url_for("/feed.xml?v=2")}))
    server.set("/feed.xml", Route(body=RSS))
    page = fetch_page(make_fetcher(), server.url_for("/old"))
    assert page.url == server.url_for("/old")
    assert page.final_url == server.url_for("/feed.xml?v=2")
    assert page.body == RSS


def test_cookies_last_for_one_redirect_chain_only(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    consent = Route(302, headers={"Location": "/feed.xml", "Set-Cookie": "consent=yes; Path=/"})
    server.set("/start", consent)
    server.set("/feed.xml", Route(body=RSS))
    fetcher = make_fetcher()
    fetcher.fetch(server.url_for("/start"))
    fetcher.fetch(server.url_for("/feed.xml"))
    within_chain, next_fetch = server.requests_for("/feed.xml")
    assert within_chain.header("Cookie") == "consent=yes"
    assert next_fetch.header("Cookie") is None


def test_a_redirect_loop_is_refused(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.set("/a", Route(302, headers={"Location": "/b"}))
    server.set("/b", Route(302, headers={"Location": "/a"}))
    with pytest.raises(TooManyRedirectsError, match="redirect loop"):
        make_fetcher().fetch(server.url_for("/a"))
    assert len(server.requests) == 6  # the first request and max_redirects=5 hops


def test_too_many_redirects(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    for hop in range(4):
        server.set(f"/{hop}", Route(302, headers={"Location": f"/{hop + 1}"}))
    server.set("/4", Route(body=RSS))
    with pytest.raises(TooManyRedirectsError, match="too many redirects"):
        make_fetcher(max_redirects=3).fetch(server.url_for("/0"))
    assert fetch_page(make_fetcher(max_redirects=4), server.url_for("/0")).body == RSS


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.com/x"])
def test_a_redirect_to_another_scheme_is_blocked(
    server: LocalServer, make_fetcher: MakeFetcher, target: str
) -> None:
    server.set("/feed.xml", Route(302, headers={"Location": target}))
    with pytest.raises(BlockedAddressError, match=f"redirected to .*{target.split(':')[0]}:"):
        make_fetcher().fetch(server.url_for("/feed.xml"))


# -- transport failures


def test_a_dropped_connection_is_a_transport_error(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.set("/feed.xml", Route(drop=True))
    with pytest.raises(TransportError, match="disconnected"):
        make_fetcher().fetch(server.url_for("/feed.xml"))


def test_a_refused_connection_is_a_transport_error(make_fetcher: MakeFetcher) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError, match="cannot connect"):
        make_fetcher().fetch(f"http://127.0.0.1:{port}/feed.xml")


def test_an_unresolvable_host_is_a_transport_error(make_fetcher: MakeFetcher) -> None:
    with pytest.raises(TransportError, match=r"cannot resolve nothing\.invalid"):
        make_fetcher().fetch("http://nothing.invalid/feed.xml")


# -- the address policy on real connections


@pytest.mark.parametrize(
    ("host", "named"),
    [("127.0.0.1", "refused: 127.0.0.1 (loopback)"), ("localhost", "localhost resolves to ")],
)
def test_private_addresses_are_refused_by_default(
    server: LocalServer, make_fetcher: MakeFetcher, host: str, named: str
) -> None:
    server.set("/feed.xml", Route(body=RSS))
    url = f"http://{host}:{server.port}/feed.xml"
    with pytest.raises(BlockedAddressError) as info:
        make_fetcher(allow_private_addresses=False).fetch(url)
    message = str(info.value)
    assert named in message and "(loopback)" in message
    assert "polling.allow_private_addresses = true" in message
    assert info.value.url == url
    assert server.requests == []
    assert fetch_page(make_fetcher(allow_private_addresses=True), url).body == RSS


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "javascript:alert(document.cookie)", "feed:https://example.com/rss"],
)
def test_non_http_urls_are_refused(make_fetcher: MakeFetcher, url: str) -> None:
    with pytest.raises(BlockedAddressError, match="URLs are not fetched"):
        make_fetcher().fetch(url)


DNS = {
    "news.example": [PUBLIC_IP],
    "intranet.example": ["10.0.0.7"],
    "rebind.example": [PUBLIC_IP, "127.0.0.1"],
}


@pytest.fixture
def internet() -> FakeInternet:
    return FakeInternet()


@pytest.fixture
def guarded(make_fetcher: MakeFetcher, internet: FakeInternet) -> FetcherPort:
    return make_fetcher(
        allow_private_addresses=False, resolver=lambda host, port: DNS[host], network=internet
    )


def test_a_public_host_is_fetched_through_its_checked_address(
    server: LocalServer, guarded: FetcherPort, internet: FakeInternet
) -> None:
    server.set("/feed.xml", Route(body=RSS))
    page = fetch_page(guarded, f"http://news.example:{server.port}/feed.xml")
    assert page.body == RSS
    assert internet.asked == [PUBLIC_IP]
    assert server.requests[0].header("Host") == f"news.example:{server.port}"


@pytest.mark.parametrize(
    ("location", "named"),
    [
        ("http://127.0.0.1:{port}/secret", "refused: 127.0.0.1 (loopback)"),
        ("http://intranet.example:{port}/secret", "intranet.example resolves to 10.0.0.7"),
        ("http://rebind.example:{port}/secret", "rebind.example resolves to 127.0.0.1"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    server: LocalServer, guarded: FetcherPort, internet: FakeInternet, location: str, named: str
) -> None:
    server.set("/feed.xml", Route(302, headers={"Location": location.format(port=server.port)}))
    server.set("/secret", Route(body=b"internal"))
    with pytest.raises(BlockedAddressError, match=re.escape(named)):
        guarded.fetch(f"http://news.example:{server.port}/feed.xml")
    assert server.requests_for("/secret") == []
    assert internet.asked == [PUBLIC_IP]  # never asked to open the private address


# -- concurrency


def _fetch_all(fetcher: FetcherPort, urls: list[str]) -> list[FetchedPage | NotModified]:
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(fetcher.fetch, urls))


def test_at_most_per_host_fetches_reach_one_host(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.set("/slow", Route(body=RSS, delay=0.2))
    started = time.monotonic()
    pages = _fetch_all(make_fetcher(per_host=2, concurrency=8), [server.url_for("/slow")] * 6)
    assert [p.body for p in pages if isinstance(p, FetchedPage)] == [RSS] * 6
    assert server.in_flight_peak == 2
    assert time.monotonic() - started >= 0.55  # three waves of two


def test_the_global_limit_holds_across_hosts(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.set("/slow", Route(body=RSS, delay=0.2))
    urls = [f"http://{host}:{server.port}/slow" for host in ("127.0.0.1", "localhost")] * 3
    pages = _fetch_all(make_fetcher(per_host=3, concurrency=2), urls)
    assert len(pages) == 6
    assert server.in_flight_peak == 2


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1"])
def test_odd_spellings_of_loopback_are_refused_on_the_resolved_address(
    server: LocalServer, make_fetcher: MakeFetcher, host: str
) -> None:
    server.set("/feed.xml", Route(body=RSS))
    with pytest.raises(BlockedAddressError, match=re.escape(f"{host} resolves to 127.0.0.1")):
        make_fetcher(allow_private_addresses=False).fetch(f"http://{host}:{server.port}/feed.xml")
    assert server.requests == []


def test_error_messages_leave_out_user_info_and_query(make_fetcher: MakeFetcher) -> None:
    url = "http://reader:hunter2@nothing.invalid/feed?token=s3cret"
    with pytest.raises(TransportError) as info:
        make_fetcher().fetch(url)
    assert "hunter2" not in str(info.value) and "s3cret" not in str(info.value)
    assert info.value.url == url  # the caller's key for the feed stays as given


def test_a_malformed_url_is_a_transport_error(make_fetcher: MakeFetcher) -> None:
    with pytest.raises(TransportError, match="invalid URL"):
        make_fetcher().fetch("http://[::1/feed")
