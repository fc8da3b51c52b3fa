"""decode_html, the Extractor's worker processes (real trafilatura, real deadlines) and
build_article's choice between extracted text and the feed summary.

The worker tasks below are the documented test hook: ``Extractor(task=...)`` runs a
module-level function in the worker instead of trafilatura. ``hanging_task`` sleeps on
a marker so the deadline can be tested; the others report what the worker saw.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.errors import ExtractError
from monitor.core.records import FeedItem, FetchedPage
from monitor.ingest.extract import (
    Extracted,
    Extractor,
    RawResult,
    build_article,
    decode_html,
    link_share,
    run_trafilatura,
)
from monitor.ingest.workers import TRIM_AFTER_CHARS
from tests.support.pages import REGULATOR_STORY as ARTICLE_PARAGRAPHS
from tests.support.pages import article, aside_story

HANG_MARKER = "<!--test-hang-->"


def hanging_task(html: str, url: str, with_date: bool = True) -> RawResult:
    """Sleeps far past any deadline on the marker; real trafilatura otherwise."""
    if html.startswith(HANG_MARKER):
        time.sleep(600)
    return run_trafilatura(html, url, with_date)


def crashing_task(html: str, url: str, with_date: bool = True) -> RawResult:
    """Dies like a segfaulting lxml would, on the marker."""
    if html.startswith("<!--test-crash-->"):
        os._exit(70)
    return run_trafilatura(html, url, with_date)


def pid_task(html: str, url: str, with_date: bool = True) -> RawResult:
    """Reports the worker's pid (as sitename) and how much HTML it received (as text)."""
    return ("pid", str(len(html)), None, str(os.getpid()), None)


# -- a realistic page ------------------------------------------------------------------

NEWS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Regulator orders Telegram block | Daily Planet</title>
<meta property="og:title" content="Regulator orders nationwide block of Telegram">
<meta property="og:site_name" content="Daily Planet">
<meta property="article:published_time" content="2025-03-04T09:15:00Z">
<script>window.dataLayer = [{{"page": "article"}}];</script>
<style>.ad {{ display: block }}</style></head>
<body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/tech">Technology</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<div class="ad ad-banner">ADVERTISEMENT: Subscribe now and save 50% on premium access</div>
<main><article>
<h1>Regulator orders nationwide block of Telegram</h1>
<p class="byline">By Lois Lane, Technology correspondent</p>
<time datetime="2025-03-04">4 March 2025</time>
{"".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS)}
<aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Markets rally</a></li>
<li><a href="/b">Weather warning issued</a></li></ul></aside>
</article></main>
<div class="ad">Sponsored: Best mortgage deals this week</div>
<footer><p>© 2025 Daily Planet Media. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms</a></li></ul>
</footer></body></html>"""


@pytest.fixture(scope="module")
def extractor() -> Iterator[Extractor]:
    with Extractor(timeout=20.0, workers=2) as shared:
        yield shared


def test_news_page_yields_title_and_body_without_boilerplate(extractor: Extractor) -> None:
    result = extractor.extract(NEWS_PAGE, "https://planet.example/tech/telegram-block")
    assert result.title == "Regulator orders nationwide block of Telegram"
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in result.text
    for boilerplate in ("Subscribe now", "All rights reserved", "cookies", "Sponsored"):
        assert boilerplate not in result.text
    assert result.date == datetime(2025, 3, 4, tzinfo=UTC)
    assert result.sitename == "Daily Planet"


CYRILLIC = (
    "Роскомнадзор ограничил доступ к мессенджеру на всей территории страны. "
    "Решение вступает в силу немедленно, сообщили в ведомстве во вторник. "
)


def cyrillic_page(meta: str = "") -> str:
    body = "".join(f"<p>{CYRILLIC * 2}</p>" for _ in range(4))
    return (
        f"<html><head>{meta}<title>Блокировка мессенджера</title></head><body>"
        f"<article><h1>Блокировка мессенджера</h1>{body}</article></body></html>"
    )


def test_windows_1251_page_declared_by_http_charset_extracts_cyrillic(
    extractor: Extractor,
) -> None:
    raw = cyrillic_page().encode("windows-1251")
    result = extractor.extract(decode_html(raw, "windows-1251"), "https://ru.example/a")
    assert "Роскомнадзор ограничил доступ" in result.text
    assert result.title == "Блокировка мессенджера"


def test_script_only_page_falls_back_to_the_summary(extractor: Extractor) -> None:
    page = "<html><head><script>var a = 1;</script></head><body><script>render()</script>"
    page += "<noscript>Enable JavaScript</noscript></body></html>"
    try:
        extracted: Extracted | None = extractor.extract(page, "https://spa.example/a")
        reason = None
    except ExtractError as exc:
        extracted, reason = None, f"extraction failed: {exc}"
    article = build_article(ITEM, PAGE, extracted, reason, NOW)
    assert article.method == "summary"
    assert article.text == ITEM.summary
    assert article.fallback_reason is not None
    assert article.fallback_reason.startswith(("extraction failed: ", "too short: "))


# -- decoding ------------------------------------------------------------------------


def test_http_charset_wins() -> None:
    raw = "<html><body>Привет, мир</body></html>".encode("windows-1251")
    assert "Привет, мир" in decode_html(raw, "windows-1251")
    assert "Привет, мир" in decode_html(raw, "CP1251")


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1251">',
        "<meta charset=windows-1251>",
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
    ],
)
def test_meta_charset_is_used_without_http_charset(meta: str) -> None:
    raw = cyrillic_page(meta).encode("windows-1251")
    assert CYRILLIC in decode_html(raw, None)


def test_latin_1_label_means_windows_1252_like_browsers() -> None:
    raw = "<p>Café – “quoted”</p>".encode("cp1252")  # – and quotes exist only in cp1252
    assert decode_html(raw, "iso-8859-1") == "<p>Café – “quoted”</p>"
    meta_page = b'<meta charset="latin1"><p>Caf\xe9</p>'
    assert "Café" in decode_html(meta_page, None)


def test_utf8_page_mislabelled_as_latin_1_by_the_server_is_utf8() -> None:
    raw = "<p>Zürich — 東京</p>".encode()
    assert decode_html(raw, "iso-8859-1") == "<p>Zürich — 東京</p>"


def test_bom_beats_declarations() -> None:
    raw = "\ufeff<p>Ελληνικά</p>".encode("utf-16-le")
    assert decode_html(raw, "iso-8859-1") == "<p>Ελληνικά</p>"


def test_undeclared_encoding_is_guessed() -> None:
    raw = cyrillic_page().encode("windows-1251")
    assert CYRILLIC in decode_html(raw, None)


@pytest.mark.parametrize("label", ["no-such-charset", "base64", "utf-7", "", "  "])
def test_unusable_labels_are_ignored(label: str) -> None:
    # "+AGEA-" is "a" in UTF-7: browsers refuse that label, and so do we
    assert decode_html(b"<p>x+AGEA-y</p>", label) == "<p>x+AGEA-y</p>"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.one_of(st.none(), st.text(max_size=12)))
def test_decode_html_never_raises(body: bytes, charset: str | None) -> None:
    assert isinstance(decode_html(body, charset), str)


# -- the worker processes ------------------------------------------------------------


def test_hanging_page_times_out_and_the_next_page_still_works() -> None:
    with Extractor(timeout=1.0, workers=1, task=hanging_task) as ex:
        ex.extract(NEWS_PAGE, "https://planet.example/warm-up")  # start-up is not billed
        started = time.monotonic()
        with pytest.raises(ExtractError, match=r"^timeout after 1s$"):
            ex.extract(HANG_MARKER + NEWS_PAGE, "https://planet.example/hang")
        assert time.monotonic() - started < 1.0 + 2.0
        result = ex.extract(NEWS_PAGE, "https://planet.example/after")
    assert "Telegram" in result.text


def test_a_crashed_worker_is_replaced() -> None:
    with Extractor(timeout=10.0, workers=1, task=crashing_task) as ex:
        with pytest.raises(ExtractError, match="crashed"):
            ex.extract("<!--test-crash-->" + NEWS_PAGE, "https://planet.example/crash")
        assert "Telegram" in ex.extract(NEWS_PAGE, "https://planet.example/after").text


def test_workers_are_recycled_after_n_pages_and_html_is_capped() -> None:
    with Extractor(workers=1, recycle_after=2, max_chars=1000, task=pid_task) as ex:
        seen = [ex.extract("x" * 5000, "https://a.example/") for _ in range(5)]
    pids = [r.sitename for r in seen]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert {r.text for r in seen} == {"1000"}


def test_a_worker_holding_more_than_max_rss_after_a_page_is_replaced() -> None:
    with Extractor(workers=1, max_rss=1, task=pid_task) as small:
        retired = [small.extract("<p>x</p>", "https://a.example/").sitename for _ in range(3)]
    with Extractor(workers=1, task=pid_task) as default:
        kept = [default.extract("<p>x</p>", "https://a.example/").sitename for _ in range(3)]
        worker = default._slots[0].rss()
    assert len(set(retired)) == 3  # every page left it above one byte
    assert len(set(kept)) == 1
    assert worker is not None and 5_000_000 < worker < default.max_rss


def test_a_worker_trims_its_heap_after_a_large_page_and_serves_on() -> None:
    with Extractor(workers=1, task=pid_task) as ex:
        large = ex.extract("z" * TRIM_AFTER_CHARS, "https://a.example/large")
        after = ex.extract("<p>x</p>", "https://a.example/after")
    assert large.text == str(TRIM_AFTER_CHARS)
    assert large.sitename == after.sitename  # the same worker: trimming did not end it


def test_threads_share_the_workers() -> None:
    results: list[str] = []
    errors: list[Exception] = []
    with Extractor(workers=2, task=pid_task) as ex:

        def work(n: int) -> None:
            try:
                results.append(ex.extract("y" * n, "https://a.example/").text)
            except Exception as exc:  # recorded, asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 13)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert sorted(results, key=int) == [str(n) for n in range(1, 13)]


def test_closed_extractor_refuses_work_and_its_workers_are_gone() -> None:
    ex = Extractor(workers=1, task=pid_task)
    pid = int(ex.extract("<p>x</p>", "https://a.example/").sitename)
    ex.close()
    ex.close()  # twice is fine
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ExtractError, match="closed"):
        ex.extract("<p>x</p>", "https://a.example/")


def test_the_default_task_rescues_a_story_trafilatura_drops(extractor: Extractor) -> None:
    """trafilatura finds nothing in a story card marked up as <aside>; the worker asks
    readability-lxml, whose text is plausible (test_readable.py covers the refusals)."""
    page = aside_story("Regulator orders Telegram block", ARTICLE_PARAGRAPHS).decode()
    assert run_trafilatura(page, "https://ledger.example/a") is None
    result = extractor.extract(page, "https://ledger.example/a")
    assert all(p in result.text for p in ARTICLE_PARAGRAPHS)
    assert "Most read" not in result.text and "cookies" not in result.text


# The metadata the worker reads (title, site name, date) must be what trafilatura's own
# metadata step gives: pages with og/JSON-LD/<title>-only metadata, a lower-case site
# name, none at all (the URL's host), a date in a meta tag, in <time>, in the URL.
def _body(title: str) -> str:
    return f"<article><h1>{title}</h1>" + "".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS)


METADATA_PAGES = [
    (NEWS_PAGE, "https://planet.example/tech/telegram-block"),
    (
        article("Regulator blocks app", ARTICLE_PARAGRAPHS, "the ledger").decode(),
        "https://l.example/x",
    ),
    (
        f"<html><head><title>Only a title | Site</title></head><body>{_body('Plain')}"
        "</article></body></html>",
        "https://www.plain.example/2024/05/06/story",
    ),
    (
        '<html><head><script type=\'application/ld+json\'>{"@context": "https://schema.org", '
        '"@type": "NewsArticle", "headline": "From JSON-LD", "datePublished": '
        '"2024-01-02", "publisher": {"@type": "Organization", "name": "@ledger"}}'
        "</script></head><body>"
        f"{_body('JSON')}</article></body></html>",
        "https://json.example/a",
    ),
    (
        f"<html><body>{_body('Timed')}<time datetime='2023-07-08'>8 July</time></article>"
        "</body></html>",
        "https://timed.example/a",
    ),
]


@pytest.mark.parametrize(("page", "url"), METADATA_PAGES)
def test_the_worker_reads_the_metadata_trafilatura_would(page: str, url: str) -> None:
    import trafilatura

    whole = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        date_extraction_params={
            "original_date": True,
            "extensive_search": False,
            "max_date": date.today().isoformat(),
        },
    )
    assert whole is not None and not isinstance(whole, dict)
    expected = (whole.title or "", whole.text, whole.date, whole.sitename or "", None)
    assert run_trafilatura(page, url, True) == expected
    undated = run_trafilatura(page, url, False)
    assert undated == (expected[0], expected[1], None, *expected[3:])


def _table_page() -> str:
    rows = "".join(f"<tr><td>{p}</td></tr>" for p in ARTICLE_PARAGRAPHS * 2)
    return f"<html><body><h1>Tabled</h1><table>{rows}</table></body></html>"


@pytest.mark.parametrize(
    ("page", "compared"),
    [
        (NEWS_PAGE, False),  # long, paragraphs, nothing to sanitise: the fast result stands
        (
            f"<html><body>{_body('Short')}</article></body></html>".replace(
                "".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS[1:]), ""
            ),
            True,
        ),
        (_table_page(), True),
        ("<html><body><script>x()</script></body></html>", True),  # nothing found
    ],
)
def test_results_the_comparison_could_change_are_extracted_with_it(
    page: str, compared: bool
) -> None:
    from trafilatura.utils import load_html

    from monitor.ingest.workers import _extract, _may_compare_otherwise

    url = "https://planet.example/a"
    assert _may_compare_otherwise(_extract(load_html(page), url, fast=True)) is compared
    full = _extract(load_html(page), url, fast=False)
    result = run_trafilatura(page, url)
    assert (result[1] if result else None) == (full.text if full else None)


def test_the_page_date_is_looked_for_only_when_asked(extractor: Extractor) -> None:
    url = "https://planet.example/tech/telegram-block"
    assert extractor.extract(NEWS_PAGE, url).date == datetime(2025, 3, 4, tzinfo=UTC)
    undated = extractor.extract(NEWS_PAGE, url, with_date=False)
    assert undated.date is None and undated.title and undated.sitename == "Daily Planet"


def test_worker_start_up_is_cheap() -> None:
    started = time.monotonic()
    with Extractor(workers=1) as ex:
        ex.extract(NEWS_PAGE, "https://planet.example/first")
    # measured 0.15-0.3 s (fresh interpreter + trafilatura import + first page)
    assert time.monotonic() - started < 10.0


# -- build_article ---------------------------------------------------------------------

NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
PUBLISHED = datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
SUMMARY = "Regulator orders internet providers to block Telegram within 24 hours."
ITEM = FeedItem(
    feed_url="https://planet.example/rss",
    guid="g1",
    url="https://planet.example/tech/telegram-block",
    canonical_url="https://planet.example/tech/telegram-block",
    title="Telegram blocked",
    summary=SUMMARY,
    published=PUBLISHED,
)
PAGE = FetchedPage(ITEM.url, ITEM.url, 200, "text/html", "utf-8", b"<html></html>")
LONG_TEXT = " ".join(ARTICLE_PARAGRAPHS)
EXTRACTED = Extracted(
    "Regulator orders nationwide block of Telegram",
    LONG_TEXT,
    datetime(2025, 3, 4, tzinfo=UTC),
    "Daily Planet",
    "en",
)


def test_extracted_text_is_used_when_long_enough() -> None:
    article = build_article(ITEM, PAGE, EXTRACTED, None, NOW)
    assert article.method == "trafilatura"
    assert article.fallback_reason is None
    assert article.text == LONG_TEXT
    assert article.title == EXTRACTED.title
    assert article.published == PUBLISHED  # the feed's timestamp beats the page's day
    assert (article.sitename, article.language) == ("Daily Planet", "en")
    assert article.fetched_at == NOW
    assert article.item is ITEM


@pytest.mark.parametrize(
    ("page", "extracted", "reason"),
    [
        (None, None, "fetch failed: HTTP 404"),
        (PAGE, None, "not html: application/pdf"),
        (PAGE, None, "extraction failed: timeout after 15s"),
    ],
)
def test_reasons_fall_back_to_the_summary(
    page: FetchedPage | None, extracted: Extracted | None, reason: str
) -> None:
    article = build_article(ITEM, page, extracted, reason, NOW)
    assert article.method == "summary"
    assert article.text == SUMMARY
    assert article.title == ITEM.title
    assert article.fallback_reason == reason
    assert article.fetched_at == (NOW if page is not None else None)


def test_short_extraction_falls_back_with_its_length() -> None:
    short = Extracted("Page title", "x" * 57, None, "Planet", "en")
    item = FeedItem(**{**_fields(ITEM), "summary": "y" * 80, "published": None})
    article = build_article(item, PAGE, short, None, NOW)
    assert article.method == "summary"
    assert article.fallback_reason == "too short: 57 chars"
    assert article.text == "y" * 80
    assert article.sitename == "Planet"  # what the page told us is still kept


def test_short_extraction_is_kept_when_the_summary_is_even_shorter() -> None:
    short = Extracted("Page title", "x" * 150, None, "Planet", None)
    item = FeedItem(**{**_fields(ITEM), "summary": "", "title": ""})
    article = build_article(item, PAGE, short, None, NOW)
    assert article.method == "trafilatura"
    assert article.text == "x" * 150
    assert article.title == "Page title"


def test_min_chars_is_configurable() -> None:
    item = FeedItem(**{**_fields(ITEM), "summary": "z" * 2000})
    article = build_article(item, PAGE, EXTRACTED, None, NOW, min_chars=len(LONG_TEXT) + 1)
    assert article.fallback_reason == f"too short: {len(LONG_TEXT)} chars"


def _fields(item: FeedItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in FeedItem.__dataclass_fields__}


def test_undeclared_valid_utf8_is_utf8_even_after_an_ascii_only_sample() -> None:
    from monitor.ingest.extract import decode_html

    body = b"<html><body>" + b"<p>plain ascii text</p>" * 4000 + "<p>café – naïve</p>".encode()
    assert len(body) > 65536  # the guesser's sample holds no non-ASCII byte
    assert decode_html(body, None).endswith("<p>café – naïve</p>")
    assert decode_html("caf\xe9".encode("cp1252"), None) != "caf\ufffd"  # not UTF-8: guessed


def test_link_share_tells_a_menu_from_an_article_with_links() -> None:
    menu = "".join(f"<a href='/s{n}'>Section {n}</a>" for n in range(50))
    assert link_share(menu, "".join(f"Section {n}" for n in range(50))) == 1.0
    article = (
        "<p>The <a href='/m'>ministry</a> ordered the app removed from stores on Monday, "
        "citing security concerns raised by regulators.</p>" + menu
    )
    text = (
        "The ministry ordered the app removed from stores on Monday, citing security "
        "concerns raised by regulators."
    )
    assert link_share(article, text) < 0.2
    assert link_share(menu, "") == 0.0


@pytest.mark.parametrize(
    ("html", "share"),
    [
        ("<A HREF='/x'>Home page</A><p>Home page</p>", 1.0),  # upper-case tags
        ("<a href='/x'>Home <b>page</b></a>", 1.0),  # markup inside the link
        ("<a href='/x'>Home <a href='/y'>page</a> tail</a>", 1.0),  # an <a> inside a link
        ("<p>Home page</p><a href='/x'>Home page", 0.0),  # never closed: not link text
        ("<a href='/x'>Home</a> page", 0.5),
        ("<a href='/x'>Home\u00a0&amp;\u2009page</a>", 1.0),  # Unicode spaces, entities
        ("<a href='/x'>Home\x1c&\u3000page</a>", 1.0),  # str.isspace() spaces, bare &
    ],
)
def test_link_share_pairs_each_link_with_the_next_closing_tag(html: str, share: float) -> None:
    text = "Home & page" if "&" in html else "Home page"
    assert link_share(html, text) == pytest.approx(share)
