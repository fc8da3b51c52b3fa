"""Pure decisions of monitor.ingest.fetch: Retry-After, the address policy, Content-Type, the
capped decoder, and the connection-time address check (fake DNS, recording network)."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpcore
import pytest

from monitor.core.errors import TooLargeError, TransportError
from monitor.ingest.fetch import (
    AddressRefused,
    GuardedBackend,
    check_url,
    classify_address,
    parse_content_type,
    parse_retry_after,
    read_capped,
    refusal_reason,
)
from monitor.ingest.poller import GuardedResolver
from tests.support.netfakes import FakeInternet, RecordingNetwork, fake_dns

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


# -- Retry-After


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("86400", 86400.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Wed, 01 May 2024 10:05:00 GMT", 300.0),
        ("Wed, 01 May 2024 09:00:00 GMT", 0.0),  # a date in the past: retry now
        ("-5", None),  # delay-seconds is 1*DIGIT: a sign makes it garbage
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("Wed, 99 Foo 2024", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_treats_naive_times_as_utc() -> None:
    naive_now = NOW.replace(tzinfo=None)
    assert parse_retry_after("Wed, 01 May 2024 10:01:00 GMT", naive_now) == 60.0
    assert parse_retry_after("Wed, 01 May 2024 10:01:00 -0000", NOW) == 60.0


# -- the address classifier


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 form of 127.0.0.1 (is_global is True)
        ("2002:7f00:1::", "loopback"),  # 6to4 form of 127.0.0.1 (is_global is True)
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("100.64.0.1", "shared address space"),  # CGNAT: neither private nor global
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),  # is_global is True for this one
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),
        ("192.0.2.10", "private"),  # documentation range
        ("93.184.216.34", None),
        ("8.8.8.8", None),
        ("::ffff:8.8.8.8", None),  # mapped public address is public (is_reserved is True)
        ("2606:4700:4700::1111", None),
    ],
)
def test_classify_address(address: str, category: str | None) -> None:
    assert classify_address(address) == category
    assert classify_address(ipaddress.ip_address(address)) == category


def test_refusal_reason_names_host_address_category_and_the_switch() -> None:
    reason = refusal_reason("localhost", "127.0.0.1")
    assert reason == (
        "refused: localhost resolves to 127.0.0.1 (loopback); "
        "set polling.allow_private_addresses = true to allow"
    )
    literal = refusal_reason("::ffff:127.0.0.1", ipaddress.ip_address("::ffff:127.0.0.1"))
    assert literal is not None and literal.startswith("refused: ::ffff:127.0.0.1 (loopback)")
    assert refusal_reason("example.com", "93.184.216.34") is None


# -- URL checks before connecting


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("file:///etc/passwd", "file: URLs are not fetched"),
        ("javascript:alert(1)", "javascript: URLs are not fetched"),
        ("feed:https://example.com/rss", "feed: URLs are not fetched"),
        ("ftp://example.com/feed.xml", "ftp: URLs are not fetched"),
        ("gopher://example.com/", "gopher: URLs are not fetched"),
        ("//example.com/feed", "scheme-less URLs are not fetched"),
        ("http:///feed", "no host"),
        ("http://127.0.0.1:8080/feed", "127.0.0.1 (loopback)"),
        ("http://[::1]/feed", "::1 (loopback)"),
        ("http://[::ffff:169.254.169.254]/latest", "(link-local)"),
        ("https://10.0.0.8/", "10.0.0.8 (private)"),
        ("http://0.0.0.0/", "(unspecified)"),
    ],
)
def test_check_url_refuses(url: str, fragment: str) -> None:
    reason = check_url(url, allow_private=False)
    assert reason is not None and fragment in reason


@pytest.mark.parametrize(
    "url", ["https://example.com/feed", "HTTP://Example.COM/x", "http://93.184.216.34/"]
)
def test_check_url_lets_public_urls_through(url: str) -> None:
    assert check_url(url, allow_private=False) is None


def test_allow_private_lifts_the_address_check_but_not_the_scheme_check() -> None:
    assert check_url("http://127.0.0.1:8080/feed", allow_private=True) is None
    assert check_url("file:///etc/passwd", allow_private=True) is not None


# -- Content-Type


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/rss+xml; charset=ISO-8859-1", ("application/rss+xml", "iso-8859-1")),
        ('text/html;charset="UTF-8"', ("text/html", "utf-8")),
        ("Text/HTML; Charset=windows-1252; foo=bar", ("text/html", "windows-1252")),
        ("text/xml; boundary=x", ("text/xml", None)),
        ("text/xml; charset=", ("text/xml", None)),
        ("", ("", None)),
        (None, ("", None)),
    ],
)
def test_parse_content_type(value: str | None, expected: tuple[str, str | None]) -> None:
    assert parse_content_type(value) == expected


# -- the capped decoder


def _gzip_bomb(decompressed: int) -> bytes:
    """About 1000:1 - megabytes of zeros in a few kilobytes, built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(decompressed >> 20)]
    return b"".join([*parts, packer.flush()])


def _chunks(data: bytes, size: int = 65536) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def test_read_capped_stops_a_gzip_bomb_without_inflating_it() -> None:
    bomb = _gzip_bomb(200 << 20)  # 200 MB of zeros
    assert len(bomb) < 300_000
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError, match="1000000 byte limit") as info:
            read_capped(_chunks(bomb), "gzip", 1_000_000, "https://example.com/bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.url == "https://example.com/bomb"
    assert peak < 8_000_000  # the cap plus a chunk, not 200 MB (nor a 64 MB inflated chunk)


def test_read_capped_accepts_a_body_exactly_at_the_cap() -> None:
    body = b"a" * 1000
    assert read_capped(_chunks(gzip.compress(body), 7), "gzip", 1000) == body
    assert read_capped([body], "identity", 1000) == body
    with pytest.raises(TooLargeError):
        read_capped([body, b"b"], "", 1000)


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(b"<rss>hello</rss>")),
        ("x-gzip", gzip.compress(b"<rss>hello</rss>")),
        ("deflate", zlib.compress(b"<rss>hello</rss>")),  # zlib-wrapped, as the RFC says
        ("deflate", zlib.compress(b"<rss>hello</rss>")[2:-4]),  # raw deflate, as IIS sends
        ("", b"<rss>hello</rss>"),
        ("Identity", b"<rss>hello</rss>"),
    ],
)
def test_read_capped_decodes(encoding: str, packed: bytes) -> None:
    assert read_capped(_chunks(packed, 3), encoding, 10_000) == b"<rss>hello</rss>"


def test_read_capped_refuses_encodings_it_did_not_ask_for() -> None:
    with pytest.raises(TransportError, match="unsupported Content-Encoding 'br'"):
        read_capped([b"\x1b"], "br", 1000, "https://example.com/")


# -- the connection-time check (fake DNS, a network that records what it was asked)


DNS = fake_dns(
    {
        "news.example": ["93.184.216.34"],
        "dual.example": ["2606:4700::1", "93.184.216.34"],
        "rebind.example": ["93.184.216.34", "127.0.0.1"],  # one private answer is enough
        "metadata.example": ["169.254.169.254"],
        "mapped.example": ["::ffff:10.0.0.1"],
        "empty.example": [],
    }
)


def test_guard_connects_to_the_checked_ip_not_the_name() -> None:
    network = RecordingNetwork()
    guard = GuardedBackend(allow_private=False, resolver=DNS, inner=network)
    guard.connect_tcp("news.example", 443, timeout=5.0)
    assert network.asked == ["93.184.216.34"]


# Names that resolve to a non-public address: both guards (httpx backend, aiohttp
# resolver) must refuse them before any connection.
REFUSED_HOSTS = [
    ("rebind.example", "127.0.0.1", "loopback"),
    ("metadata.example", "169.254.169.254", "link-local"),
    ("mapped.example", "::ffff:10.0.0.1", "private"),
]


@pytest.mark.parametrize(("host", "address", "category"), REFUSED_HOSTS)
def test_guard_refuses_before_connecting(host: str, address: str, category: str) -> None:
    network = RecordingNetwork()
    guard = GuardedBackend(allow_private=False, resolver=DNS, inner=network)
    with pytest.raises(AddressRefused) as info:
        guard.connect_tcp(host, 80, timeout=5.0)
    assert f"{host} resolves to {address} ({category})" in str(info.value)
    assert network.asked == []  # not even the public address of a mixed answer


def test_guard_with_private_allowed_still_connects_to_the_resolved_ip() -> None:
    network = RecordingNetwork()
    guard = GuardedBackend(allow_private=True, resolver=DNS, inner=network)
    guard.connect_tcp("rebind.example", 80, timeout=5.0)
    assert network.asked == ["93.184.216.34"]


def test_guard_tries_the_next_address_when_one_refuses() -> None:
    network = RecordingNetwork(unreachable={"2606:4700::1"})
    guard = GuardedBackend(allow_private=False, resolver=DNS, inner=network)
    guard.connect_tcp("dual.example", 80, timeout=5.0)
    assert network.asked == ["2606:4700::1", "93.184.216.34"]


def test_guard_reports_the_last_failure_when_no_address_answers() -> None:
    network = RecordingNetwork(unreachable={"2606:4700::1", "93.184.216.34"})
    guard = GuardedBackend(allow_private=False, resolver=DNS, inner=network)
    with pytest.raises(httpcore.ConnectError, match="Connection refused"):
        guard.connect_tcp("dual.example", 80, timeout=5.0)


@pytest.mark.parametrize("host", ["unknown.example", "empty.example"])
def test_guard_turns_resolution_failures_into_connect_errors(host: str) -> None:
    guard = GuardedBackend(allow_private=False, resolver=DNS, inner=RecordingNetwork())
    with pytest.raises(httpcore.ConnectError, match=f"cannot resolve {host}"):
        guard.connect_tcp(host, 80, timeout=5.0)


def test_guard_does_not_open_unix_sockets() -> None:
    guard = GuardedBackend(allow_private=True, resolver=DNS, inner=RecordingNetwork())
    with pytest.raises(httpcore.ConnectError):
        guard.connect_unix_socket("/var/run/docker.sock")


# -- the same check in the feed poller's resolver (aiohttp connects to what it returns)


def _resolved(guard: GuardedResolver, host: str) -> list[str]:
    return [answer["host"] for answer in asyncio.run(guard.resolve(host, 443))]


def test_poller_guard_hands_aiohttp_only_the_checked_ip() -> None:
    network = FakeInternet()
    guard = GuardedResolver(False, DNS, route=network.route)
    assert _resolved(guard, "news.example") == ["127.0.0.1"]  # routed to the test server
    assert network.asked == ["93.184.216.34"]


@pytest.mark.parametrize(("host", "address", "category"), REFUSED_HOSTS)
def test_poller_guard_refuses_before_connecting(host: str, address: str, category: str) -> None:
    network = FakeInternet()
    guard = GuardedResolver(False, DNS, route=network.route)
    with pytest.raises(AddressRefused) as info:
        _resolved(guard, host)
    assert f"{host} resolves to {address} ({category})" in str(info.value)
    assert network.asked == []  # not even the public address of a mixed answer


def test_poller_guard_with_private_allowed_still_returns_resolved_ips() -> None:
    assert _resolved(GuardedResolver(True, DNS), "rebind.example") == [
        "93.184.216.34",
        "127.0.0.1",
    ]


@pytest.mark.parametrize("host", ["unknown.example", "empty.example"])
def test_poller_guard_turns_resolution_failures_into_os_errors(host: str) -> None:
    with pytest.raises(OSError, match=f"cannot resolve {host}"):
        _resolved(GuardedResolver(False, DNS), host)
