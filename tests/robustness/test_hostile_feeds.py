"""Hostile feeds through the REAL cycle: local HTTP -> guarded fetcher -> parse_feed ->
articles -> SQLite, every case a feed of its own in ONE ``run_cycle`` beside healthy
control feeds. For each case: the cycle completes, the feed's run and health say what went
wrong (error) or what was odd (warning), nothing crashes, and the control feeds are stored
in full. ``tests/integration/test_fetch.py`` and ``test_feed_fixtures.py`` hold the unit
checks of the same traps; these prove the service as a whole survives them.
"""

from __future__ import annotations

import gzip
import logging
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.core.records import FeedRun
from monitor.pipeline import run_feed
from tests.robustness.conftest import HTML, RSS, Rig, make_rig
from tests.support.httpserver import LocalServer, Route
from tests.support.netfakes import PUBLIC_IP, FakeInternet
from tests.support.pages import FILLER, article, rss

GZIP = {"Content-Encoding": "gzip"}
CANARY = "CANARY-robustness-9c1e-do-not-leak"
MB = 1024 * 1024


def lol_entities() -> str:
    lines = ['<!ENTITY lol "lol">']
    for n in range(1, 10):
        prev = "lol" if n == 1 else f"lol{n - 1}"
        lines.append(f'<!ENTITY lol{n} "{("&" + prev + ";") * 10}">')
    return "\n".join(lines)


def entity_feed(doctype: str, ref: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{doctype}\n]>\n<rss version="2.0"><channel>'
        f"<title>T {ref}</title><item><title>Item {ref}</title><guid>e1</guid>"
        f"<description>D {ref}</description></item></channel></rss>"
    ).encode()


def big_feed(count: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><guid>big-{n}</guid>"
        f"<pubDate>Mon, 03 Mar 2025 {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d} GMT"
        f"</pubDate><description>Summary of story {n}</description></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}'.encode()
        + (b"</channel></rss>")
    )


MIXED_GUIDS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Mixed</title>
  <item><title>No guid, relative link</title><link>/rel/one.html?utm_source=x</link>
    <description>Relative link summary.</description></item>
  <item><title>Dup A</title><guid>dup</guid><link>/rel/two.html</link></item>
  <item><title>Dup B</title><guid>dup</guid><link>/rel/three.html</link></item>
  <item><title>Script link</title><guid>js</guid><link>javascript:fetch('/rel/js')</link>
    <description>A javascript: link must never be fetched.</description></item>
  <item><title>Data link</title><guid>data</guid><link>data:text/html,hi</link></item>
  <item><title>Nothing at all</title></item>
</channel></rss>"""

CYRILLIC_TITLE = "Роскомнадзор заблокировал мессенджер"


def cyrillic_feed(declared: str) -> bytes:
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    body = (
        f'{head}<rss version="2.0"><channel><title>Новости</title><item>'
        f"<title>{CYRILLIC_TITLE}</title><guid>ru-1</guid>"
        "<description>Текст новости.</description></item></channel></rss>"
    )
    return body.encode("windows-1251" if "1251" in declared else "utf-8")


@dataclass(frozen=True)
class Case:
    """One hostile feed: the routes it needs, and what its run must look like."""

    name: str
    routes: dict[str, Route]
    status: str  # "ok" or "error"
    error: str = ""  # substring of the run's error (and the health's last_error)
    max_new: int | None = None


def cases(secret: Path) -> list[Case]:
    drip_body = rss([("Slow", "http://127.0.0.1:9/x", "never finishes")]) * 4
    bomb = gzip.compress(b"\0" * (64 * MB), compresslevel=9)
    return [
        Case("empty-body", {"/f": Route(body=b"", headers=RSS)}, "error", "empty body"),
        Case(
            "whitespace-body", {"/f": Route(body=b" \r\n\t " * 100, headers=RSS)}, "error",
            "empty body",
        ),
        Case(
            "50mb-declared",
            {"/f": Route(body=b"<rss>" + b"x" * (MB - 5), headers=RSS, repeat=50)},
            "error", "too_large",
        ),
        Case(
            "50mb-chunked",
            {"/f": Route(body=b"x" * MB, headers=RSS, repeat=50, chunked=True)},
            "error", "too_large",
        ),
        Case(
            "gzip-bomb",
            {"/f": Route(body=bomb, headers={**RSS, "Content-Encoding": "gzip"})},
            "error", "too_large",
        ),
        Case(
            "gzip-garbage",
            {"/f": Route(body=b"\x1f\x8b\x08\x00garbage", headers={**RSS, **GZIP})},
            "error", "truncated compressed body",
        ),
        Case(
            "billion-laughs",
            {"/f": Route(body=entity_feed(lol_entities(), "&lol9;"), headers=RSS)},
            "ok", max_new=1,
        ),
        Case(
            "external-entity",
            {"/f": Route(body=entity_feed(f'<!ENTITY xxe SYSTEM "file://{secret}">', "&xxe;"),
                         headers=RSS)},
            "ok", max_new=1,
        ),
        Case(
            "external-dtd",
            {"/f": Route(body=entity_feed(f'<!ENTITY % p SYSTEM "file://{secret}"> %p;', ""),
                         headers=RSS)},
            "ok", max_new=1,
        ),
        Case(
            "charset-header-lies",  # body windows-1251, header says utf-8
            {"/f": Route(body=cyrillic_feed("windows-1251"),
                         headers={"Content-Type": "application/rss+xml; charset=utf-8"})},
            "ok", max_new=1,
        ),
        Case(
            "charset-missing",  # no header charset, no XML declaration: UTF-8 by default
            {"/f": Route(body=cyrillic_feed(""), headers={"Content-Type": "application/xml"})},
            "ok", max_new=1,
        ),
        Case(
            "charset-unknown",
            {"/f": Route(body=cyrillic_feed("x-no-such-charset"),
                         headers={"Content-Type": "text/xml; charset=x-bogus"})},
            "ok", max_new=1,
        ),
        Case(
            "slow-drip",
            {"/f": Route(body=drip_body, headers=RSS, drip=0.05)}, "error", "timeout",
        ),
        Case(
            "never-answers", {"/f": Route(body=b"", headers=RSS, delay=30)}, "error", "timeout"
        ),
        Case(
            "redirect-loop",
            {"/f": Route(302, headers={"Location": "f2"}),
             "/f2": Route(302, headers={"Location": "f"})},
            "error", "redirect",
        ),
        Case(
            "redirect-to-file",
            {"/f": Route(302, headers={"Location": f"file://{secret}"})}, "error", "blocked",
        ),
        Case(
            "html-as-feed",
            {"/f": Route(body=article("Not a feed", FILLER), headers=RSS)},
            "error", "an HTML page",
        ),
        Case(
            "json-as-feed",
            {"/f": Route(body=b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
                         headers={"Content-Type": "application/json"})},
            "error", "JSON",
        ),
        Case("binary-as-feed", {"/f": Route(body=bytes(range(256)) * 40, headers=RSS)},
             "error", "not a feed"),
        Case("10000-items", {"/f": Route(body=big_feed(10_000), headers=RSS)}, "ok", max_new=20),
        Case("http-500", {"/f": Route(500, body=b"oops")}, "error", "HTTP 500"),
        Case(
            "http-503-retry-after",
            {"/f": Route(503, headers={"Retry-After": "120"})}, "error", "HTTP 503",
        ),
        Case("dropped", {"/f": Route(drop=True)}, "error", "transport"),
        Case(
            "lying-content-length",
            {"/f": Route(body=rss([]), headers={**RSS, "Content-Length": "999999"})},
            "error", "",
        ),
    ]  # fmt: skip


CONTROL_ITEMS = 3


def serve_control(server: LocalServer, prefix: str) -> str:
    items = []
    for n in range(CONTROL_ITEMS):
        page = f"{prefix}/a{n}.html"
        server.set(page, Route(body=article(f"Control story {prefix} {n}", FILLER), headers=HTML))
        items.append((f"Control story {prefix} {n}", server.url_for(page), FILLER[0]))
    server.set(f"{prefix}/feed.xml", Route(body=rss(items), headers=RSS))
    return server.url_for(f"{prefix}/feed.xml")


@dataclass
class HostileCycle:
    rig: Rig
    server: LocalServer
    runs: dict[str, FeedRun]
    urls: dict[str, str]  # case name -> feed URL
    controls: list[str]
    elapsed: float
    log: str


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, extractor: object) -> Iterator[HostileCycle]:
    tmp = tmp_path_factory.mktemp("hostile")
    secret = tmp / "secret.txt"
    secret.write_text(CANARY, "utf-8")
    handler, logger = _Capture(), logging.getLogger("monitor")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    with LocalServer() as server:
        rig = make_rig(tmp, extractor, timeout=2.0, max_bytes=2 * MB, concurrency=8)  # type: ignore[arg-type]
        urls: dict[str, str] = {}
        for case in cases(secret):
            for path, route in case.routes.items():
                server.set(f"/{case.name}{path}", route)
            urls[case.name] = rig.feed(server.url_for(f"/{case.name}/f"))
        controls = [rig.feed(serve_control(server, f"/control{n}")) for n in range(2)]
        started = time.monotonic()
        runs = rig.cycle()
        elapsed = time.monotonic() - started
        yield HostileCycle(rig, server, runs, urls, controls, elapsed, "\n".join(handler.lines))
        logger.removeHandler(handler)
        logger.setLevel(level)
        rig.fetcher.close()
        rig.store.close()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


CASES = cases(Path("/unused"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_hostile_feed_ends_with_a_clear_status(hostile: HostileCycle, case: Case) -> None:
    url = hostile.urls[case.name]
    run = hostile.runs[url]
    health = hostile.rig.health(url)
    assert run.status == case.status, (run.error, run.warning)
    if case.status == "error":
        assert run.error and case.error in run.error
        assert health.last_error == run.error and health.consecutive_failures == 1
        assert health.next_check is not None and health.last_success is None
    else:
        assert run.error is None and health.last_error is None and health.last_success
        assert run.new == len(hostile.rig.items(url)) <= (case.max_new or 10**9)


def test_the_cycle_completes_in_bounded_time_and_controls_are_complete(
    hostile: HostileCycle,
) -> None:
    assert set(hostile.runs) == {*hostile.urls.values(), *hostile.controls}
    assert hostile.elapsed < 30.0  # slowest cases are the 2 s deadlines, run in parallel
    for url in hostile.controls:
        assert hostile.runs[url].status == "ok" and hostile.runs[url].new == CONTROL_ITEMS
        rows = hostile.rig.items(url)
        assert [r["method"] for r in rows] == ["trafilatura"] * CONTROL_ITEMS


def test_every_feed_has_one_structured_log_line_with_its_error(hostile: HostileCycle) -> None:
    for url, run in hostile.runs.items():
        lines = [line for line in hostile.log.splitlines() if f"feed_url={url} " in line]
        assert len(lines) == 1, url
        if run.error:
            assert "status=error" in lines[0]


def test_entities_are_neither_expanded_nor_read_from_disk(hostile: HostileCycle) -> None:
    rows = [r for name in ("billion-laughs", "external-entity", "external-dtd")
            for r in hostile.rig.items(hostile.urls[name])]  # fmt: skip
    assert len(rows) == 3
    for row in rows:
        text = f"{row['title']} {row['summary']} {row['text']}"
        assert CANARY not in text and "lollol" not in text and len(text) < 1000


def test_wrong_and_missing_charsets_still_give_readable_titles(hostile: HostileCycle) -> None:
    for name in ("charset-header-lies", "charset-missing", "charset-unknown"):
        (row,) = hostile.rig.items(hostile.urls[name])
        assert row["title"] == CYRILLIC_TITLE, name


def test_odd_feeds_carry_a_warning_in_their_run_and_log(hostile: HostileCycle) -> None:
    url = hostile.urls["charset-header-lies"]  # feedparser had to override the charset
    warning = hostile.runs[url].warning
    assert warning
    line = next(x for x in hostile.log.splitlines() if f"feed_url={url} " in x)
    assert "warning=" in line and "warning=-" not in line


def test_a_10000_item_feed_keeps_only_the_newest_items(hostile: HostileCycle) -> None:
    rows = hostile.rig.items(hostile.urls["10000-items"])
    assert sorted(r["guid"] for r in rows) == sorted(f"big-{n}" for n in range(9_980, 10_000))


def test_the_redirect_loop_stopped_after_a_few_hops(hostile: HostileCycle) -> None:
    hops = hostile.server.requests_for("/redirect-loop/f") + hostile.server.requests_for(
        "/redirect-loop/f2"
    )
    assert 1 <= len(hops) <= 6


def test_retry_after_is_honoured_by_the_feed_schedule(hostile: HostileCycle) -> None:
    health = hostile.rig.health(hostile.urls["http-503-retry-after"])
    assert health.last_checked and health.next_check
    assert (health.next_check - health.last_checked).total_seconds() >= 120


# ---------------------------------------------------------------- a cycle of its own


def test_a_50mb_feed_is_cut_at_the_cap_without_buffering_it(
    tmp_path: Path, server: LocalServer, extractor: object
) -> None:
    """Nothing beyond the cap is held in memory: the peak of Python allocations while the
    feed is polled stays near the 1 MB cap, not 50 MB."""
    server.set("/big.xml", Route(body=b"x" * MB, headers=RSS, repeat=50, chunked=True))
    rig = make_rig(tmp_path, extractor, max_bytes=MB)  # type: ignore[arg-type]
    url = rig.feed(server.url_for("/big.xml"))
    tracemalloc.start()
    try:
        run = run_feed(rig.health(url), rig.deps)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        rig.fetcher.close()
        rig.store.close()
    assert run.status == "error" and run.error and run.error.startswith("too_large")
    assert peak < 4 * MB, f"peak {peak / MB:.1f} MB while reading a 50 MB body"


def test_mixed_guids_relative_and_script_links_are_stored_once(
    tmp_path: Path, server: LocalServer, extractor: object
) -> None:
    for n in ("one", "two"):
        server.set(f"/rel/{n}.html", Route(body=article(f"Story {n}", FILLER), headers=HTML))
    server.set("/mixed.xml", Route(body=MIXED_GUIDS, headers=RSS))
    rig = make_rig(tmp_path, extractor)  # type: ignore[arg-type]
    try:
        url = rig.feed(server.url_for("/mixed.xml"))
        first = rig.cycle()[url]
        rig.store.execute_write("UPDATE feeds SET next_check = NULL")
        second = rig.cycle()[url]
        rows = {r["title"]: r for r in rig.items(url)}
    finally:
        rig.fetcher.close()
        rig.store.close()
    assert (first.status, first.new, second.status, second.new) == ("ok", 5, "ok", 0)
    assert set(rows) == {"Story one", "Story two", "Script link", "Data link", "Nothing at all"}
    assert rows["Story one"]["url"] == server.url_for("/rel/one.html?utm_source=x")
    assert rows["Story one"]["method"] == "trafilatura"
    for title in ("Script link", "Data link", "Nothing at all"):
        assert rows[title]["url"] == "" and rows[title]["fallback_reason"] == "no link in feed item"
    assert server.requests_for("/rel/js") == []
    assert server.requests_for("/rel/three.html") == []  # the second "dup" guid is dropped


def test_redirects_to_private_addresses_fail_only_their_feed(
    tmp_path: Path, server: LocalServer, extractor: object
) -> None:
    """With the SSRF guard on (the default), a public feed redirecting to loopback, a
    private network, cloud metadata or a DNS name resolving to 127.0.0.1 is refused; the
    feed next to it, and its article on the same public host, are fetched."""
    dns = {"news.example": [PUBLIC_IP], "intranet.example": ["10.1.2.3"],
           "rebind.example": ["127.0.0.1"]}  # fmt: skip
    internet = FakeInternet()
    rig = make_rig(
        tmp_path, extractor, allow_private=False,  # type: ignore[arg-type]
        resolver=lambda host, port: dns[host], network=internet,
    )  # fmt: skip
    public = f"http://news.example:{server.port}"
    targets = {
        "loopback": f"http://127.0.0.1:{server.port}/secret",
        "intranet": f"http://intranet.example:{server.port}/secret",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "rebind": f"http://rebind.example:{server.port}/secret",
        "ipv6-loopback": f"http://[::1]:{server.port}/secret",
    }
    server.set("/secret", Route(body=b"internal only"))
    for name, target in targets.items():
        server.set(f"/{name}.xml", Route(302, headers={"Location": target}))
    server.set("/a.html", Route(body=article("Public story", FILLER), headers=HTML))
    server.set("/ok.xml", Route(body=rss([("Public story", f"{public}/a.html", "s")]), headers=RSS))
    try:
        urls = {name: rig.feed(f"{public}/{name}.xml") for name in [*targets, "ok"]}
        runs = rig.cycle()
    finally:
        rig.fetcher.close()
        rig.store.close()
    for name in targets:
        run = runs[urls[name]]
        assert run.status == "error" and run.error and run.error.startswith("blocked:"), name
    assert (runs[urls["ok"]].status, runs[urls["ok"]].new) == ("ok", 1)
    assert server.requests_for("/secret") == []
    assert set(internet.asked) == {PUBLIC_IP}  # no private address was ever connected to
