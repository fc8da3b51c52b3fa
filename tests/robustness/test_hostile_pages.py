"""Hostile article pages behind one feed, through the real cycle (fetch -> decode ->
extraction worker -> fallback -> SQLite). Every item must be stored once: with extracted
text, or with the feed summary and the recorded reason why. The feed run stays "ok".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pytest

from monitor.core.records import FeedRun
from tests.robustness.conftest import HTML, RSS, Rig, make_rig
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, aside_story, rss

MB = 1024 * 1024
RUSSIAN = [
    "Роскомнадзор в понедельник заблокировал доступ к мессенджеру на территории всей страны, "
    "сообщили в ведомстве.",
    "По словам представителей регулятора, блокировка будет действовать до тех пор, пока "
    "компания не выполнит требования российского законодательства о хранении данных.",
    "Пользователи сообщили о перебоях в работе приложения уже в понедельник вечером, когда "
    "операторы связи начали ограничивать доступ к сервису.",
]
CHINESE = [
    "国家网信办周一宣布，即日起在全国范围内下架该应用程序，并要求各应用商店停止提供下载服务。"
    "监管部门表示，该应用存在违法收集个人信息的问题，将依法处理。",
    "据了解，该应用在国内拥有数千万用户，许多用户在周一晚间发现无法正常登录和使用相关功能。"
    "有关部门表示，将继续加强对移动互联网应用程序的监督管理。",
]
ARABIC = [
    "أعلنت هيئة تنظيم الاتصالات يوم الاثنين حظر تطبيق المراسلة في جميع أنحاء البلاد، "
    "وطلبت من مزودي خدمة الإنترنت حجب الوصول إليه على الفور.",
    "وقالت الهيئة في بيان إن الحظر سيظل ساريا حتى تلتزم الشركة بقوانين حماية البيانات "
    "المحلية وتعين ممثلا قانونيا لها داخل البلاد.",
]


def non_english(lang: str, title: str, paragraphs: list[str], charset: str) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs * 2)
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='{charset}'>"
        f"<title>{escape(title)}</title></head><body><article><h1>{escape(title)}</h1>"
        f"{body}</article></body></html>"
    ).encode(charset)


SCRIPT_ONLY = (
    b"<!DOCTYPE html><html><head><title>App</title></head><body><div id='root'></div>"
    + b"<script>window.__DATA__=" + b'{"a":1},' * 2000 + b"</script>"
    + b"<noscript>Enable JavaScript.</noscript></body></html>"
)  # fmt: skip
NAV_ONLY = (
    b"<!DOCTYPE html><html><body><nav>"
    + b"".join(b"<a href='/s%d'>Section %d</a>" % (n, n) for n in range(300))
    + b"</nav></body></html>"
)
HUGE_TEXT = article("Huge but legal page", FILLER * 2000)  # ~1.7 MB of text, under the cap
# trafilatura drops the <aside> story card; the readability-lxml second opinion finds it.
ASIDE_STORY = aside_story("Budget agreed", FILLER * 2)
DEEP = b"<html><body>" + b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000 + b"</body></html>"


@dataclass(frozen=True)
class Page:
    name: str
    route: Route
    method: str  # "trafilatura" or "summary"
    reason: str = ""  # substring of fallback_reason
    contains: str = ""  # substring of the stored text


PAGES = [
    Page("ok", Route(body=article("Plain story", FILLER), headers=HTML), "trafilatura",
         contains="city council"),
    Page("pdf", Route(body=b"%PDF-1.7\n" + os.urandom(4000),
                      headers={"Content-Type": "application/pdf"}), "summary", "not html"),
    Page("png", Route(body=b"\x89PNG\r\n\x1a\n" + os.urandom(4000),
                      headers={"Content-Type": "image/png"}), "summary", "not html: image/png"),
    Page("octet", Route(body=os.urandom(4000),
                        headers={"Content-Type": "application/octet-stream"}), "summary",
         "not html"),
    Page("binary-as-html", Route(body=os.urandom(20_000), headers=HTML), "summary"),
    Page("no-content-type", Route(body=os.urandom(2000)), "summary"),
    Page("too-big", Route(body=b"<p>" + b"x" * MB, headers=HTML, repeat=3), "summary",
         "above the 2097152 byte limit"),
    Page("huge-text", Route(body=HUGE_TEXT, headers=HTML), "trafilatura"),
    Page("timeout", Route(body=article("Slow", FILLER), headers=HTML, delay=30), "summary",
         "timed out"),
    Page("drip", Route(body=article("Drip", FILLER), headers=HTML, drip=0.01), "summary",
         "timed out"),
    Page("404", Route(404, body=b"gone"), "summary", "HTTP 404"),
    Page("empty", Route(body=b"", headers=HTML), "summary"),
    Page("script-only", Route(body=SCRIPT_ONLY, headers=HTML), "summary"),
    Page("aside-story", Route(body=ASIDE_STORY, headers=HTML), "trafilatura",
         contains="Local traders welcomed"),
    Page("deeply-nested", Route(body=DEEP, headers=HTML), "summary"),
    Page("russian-1251", Route(body=non_english("ru", "Блокировка мессенджера", RUSSIAN,
                                                "windows-1251"),
                               headers={"Content-Type": "text/html; charset=windows-1251"}),
         "trafilatura", contains="Роскомнадзор"),
    Page("chinese-meta-only", Route(body=non_english("zh", "下架应用", CHINESE, "utf-8"),
                                    headers={"Content-Type": "text/html"}),
         "trafilatura", contains="国家网信办"),
    Page("arabic", Route(body=non_english("ar", "حظر التطبيق", ARABIC, "utf-8"), headers=HTML),
         "trafilatura", contains="هيئة تنظيم الاتصالات"),
]  # fmt: skip


@dataclass
class PageCycle:
    rig: Rig
    run: FeedRun
    rows: dict[str, dict[str, object]]  # page name -> stored item


@pytest.fixture(scope="module")
def page_cycle(tmp_path_factory: pytest.TempPathFactory, extractor: object) -> Iterator[PageCycle]:
    with LocalServer() as server:
        rig = make_rig(
            tmp_path_factory.mktemp("pages"), extractor, timeout=2.0, max_bytes=2 * MB,  # type: ignore[arg-type]
            max_items=50, concurrency=8,
        )  # fmt: skip
        items = []
        for page in PAGES:
            server.set(f"/p/{page.name}", page.route)
            items.append((f"Item {page.name}", server.url_for(f"/p/{page.name}"),
                          f"Feed summary of {page.name}."))  # fmt: skip
        server.set("/feed.xml", Route(body=rss(items), headers=RSS))
        url = rig.feed(server.url_for("/feed.xml"))
        run = rig.cycle()[url]
        rows = {str(r["url"]).rsplit("/", 1)[-1]: r for r in rig.items(url)}
        yield PageCycle(rig, run, rows)
        rig.fetcher.close()
        rig.store.close()


def test_the_feed_run_is_ok_and_counts_its_fallbacks(page_cycle: PageCycle) -> None:
    run = page_cycle.run
    assert (run.status, run.new, run.error) == ("ok", len(PAGES), None)
    assert run.fallbacks == sum(1 for p in PAGES if p.method == "summary")
    assert run.elapsed < 30.0


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_each_page_is_extracted_or_falls_back_with_a_reason(
    page_cycle: PageCycle, page: Page
) -> None:
    row = page_cycle.rows[page.name]
    assert row["method"] == page.method, row["fallback_reason"]
    if page.method == "summary":
        assert row["text"] == f"Feed summary of {page.name}."
        assert row["fallback_reason"] and page.reason in str(row["fallback_reason"])
    else:
        assert row["fallback_reason"] is None
        assert page.contains in str(row["text"])


def test_a_navigation_only_page_falls_back_to_the_summary(
    tmp_path: Path, server: LocalServer, extractor: object
) -> None:
    """A page of 300 section links has no article; trafilatura's baseline fallback still
    returns the links' text ("Section 0Section 1..."): the pipeline sees that the text is
    the page's own link text and stores the summary instead."""
    server.set("/nav.html", Route(body=NAV_ONLY, headers=HTML))
    server.set("/feed.xml", Route(body=rss([("Nav", server.url_for("/nav.html"), "S.")]),
                                  headers=RSS))  # fmt: skip
    rig = make_rig(tmp_path, extractor)  # type: ignore[arg-type]
    try:
        url = rig.feed(server.url_for("/feed.xml"))
        rig.cycle()
        (row,) = rig.items(url)
    finally:
        rig.fetcher.close()
        rig.store.close()
    assert row["method"] == "summary" and row["text"] == "S."
    assert str(row["fallback_reason"]).startswith("navigation only")
