"""parse_feed on small hand-written feeds: items, links, guids, text, dates, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.errors import ParseError
from monitor.core.records import FetchedPage
from monitor.ingest.feeds import parse_feed

FEED_URL = "https://news.example/feeds/world.xml"


def page(body: bytes | str, content_type: str = "application/rss+xml", **kw: object) -> FetchedPage:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    fields: dict[str, object] = {
        "url": FEED_URL,
        "final_url": FEED_URL,
        "status": 200,
        "content_type": content_type,
        "charset": None,
        "body": raw,
    }
    fields.update(kw)
    return FetchedPage(**fields)  # type: ignore[arg-type]


def rss(items: str, title: str = "World news") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://news.example/</link>{items}</channel></rss>"
    )


def item(guid: str = "", link: str = "", title: str = "T", extra: str = "") -> str:
    guid_el = f"<guid>{guid}</guid>" if guid else ""
    link_el = f"<link>{link}</link>" if link else ""
    return f"<item><title>{title}</title>{link_el}{guid_el}{extra}</item>"


def test_rss_items_have_plain_text_absolute_links_and_utc_dates() -> None:
    body = rss(
        item(
            guid="urn:story:1",
            link="https://news.example/world/ban?utm_source=rss",
            title="Regulator &amp; court <b>ban</b> app",
            extra=(
                "<pubDate>Tue, 04 Mar 2025 10:30:00 +0200</pubDate>"
                "<description>&lt;p&gt;The &lt;b&gt;ban&lt;/b&gt; starts&lt;/p&gt;"
                "&lt;p&gt;today &amp;amp; tomorrow.&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;"
                "</description><author>desk@news.example (Desk)</author>"
            ),
        )
    )
    parsed = parse_feed(page(body))
    assert parsed.title == "World news"
    assert parsed.warning is None
    (only,) = parsed.items
    assert only.feed_url == FEED_URL
    assert only.guid == "urn:story:1"
    assert only.url == "https://news.example/world/ban?utm_source=rss"
    assert only.canonical_url == "https://news.example/world/ban"
    assert only.title == "Regulator & court ban app"
    assert only.summary == "The ban starts today & tomorrow."
    assert only.published == datetime(2025, 3, 4, 8, 30, tzinfo=UTC)
    assert only.published.tzinfo is UTC


def test_atom_entries_use_updated_when_published_is_missing() -> None:
    body = """<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <title type="text">Atom &lt;news&gt;</title>
      <entry><id>tag:news.example,2025:1</id><title type="text">A &lt;b&gt; B</title>
        <link rel="alternate" href="/a/1"/><updated>2025-03-01T12:00:00Z</updated>
        <content type="html">&lt;p&gt;Only content, no summary.&lt;/p&gt;</content></entry>
    </feed>"""
    parsed = parse_feed(page(body, "application/atom+xml"))
    assert parsed.title == "Atom <news>"  # plain-text titles keep their angle brackets
    (entry,) = parsed.items
    assert entry.title == "A <b> B"
    assert entry.url == "https://news.example/a/1"
    assert entry.summary == "Only content, no summary."
    assert entry.published == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_relative_links_resolve_against_the_final_url_after_redirects() -> None:
    body = rss(item(guid="g1", link="../stories/1.html") + item(guid="g2", link="/top"))
    parsed = parse_feed(page(body, final_url="https://cdn.news.example/a/b/feed.xml"))
    assert [i.url for i in parsed.items] == [
        "https://cdn.news.example/a/stories/1.html",
        "https://cdn.news.example/top",
    ]
    assert all(i.feed_url == FEED_URL for i in parsed.items)  # the feed we poll, not the CDN


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "mailto:desk@news.example",
        "file:///etc/passwd",
        "ftp://news.example/a",
        "http://[broken",
    ],
)
def test_links_that_are_not_http_are_dropped(link: str) -> None:
    (only,) = parse_feed(page(rss(item(guid="g", link=link)))).items
    assert only.url == ""
    assert only.canonical_url == ""
    assert only.guid == "g"


def test_guid_falls_back_to_canonical_url_then_to_a_stable_hash() -> None:
    body = rss(
        item(link="https://news.example/x?utm_medium=email&id=7", title="Linked")
        + item(title="No link", extra="<description>Body text</description>")
    )
    first, second = parse_feed(page(body)).items
    assert first.guid == "https://news.example/x?id=7"
    assert second.guid.startswith("sha256:")
    again = parse_feed(page(body)).items[1]
    assert again.guid == second.guid  # stable across polls
    other = parse_feed(page(rss(item(title="No link", extra="<description>Other</description>"))))
    assert other.items[0].guid != second.guid


def test_duplicate_guids_keep_the_first_item() -> None:
    body = rss(
        item(guid="same", link="https://news.example/1", title="First")
        + item(guid="other", link="https://news.example/2", title="Second")
        + item(guid="same", link="https://news.example/3", title="Repeat")
    )
    parsed = parse_feed(page(body))
    assert [(i.guid, i.title) for i in parsed.items] == [("same", "First"), ("other", "Second")]


def test_missing_titles_are_empty_strings() -> None:
    body = rss("<item><guid>g</guid><link>https://news.example/1</link></item>")
    (only,) = parse_feed(page(body)).items
    assert only.title == ""
    assert only.summary == ""
    assert only.published is None


def test_max_items_keeps_the_newest_in_document_order() -> None:
    dates = ["01", "05", "03", "04", "02"]
    body = rss(
        "".join(
            item(guid=f"g{d}", extra=f"<pubDate>Sat, {d} Mar 2025 00:00:00 GMT</pubDate>")
            for d in dates
        )
        + item(guid="undated")
    )
    kept = parse_feed(page(body), max_items=3).items
    assert [i.guid for i in kept] == ["g05", "g03", "g04"]
    assert len(parse_feed(page(body), max_items=100).items) == 6


def test_undated_items_count_as_oldest_and_keep_document_order() -> None:
    body = rss("".join(item(guid=f"g{n}") for n in range(5)))
    assert [i.guid for i in parse_feed(page(body), max_items=2).items] == ["g0", "g1"]


def test_bozo_feed_returns_items_and_a_short_warning() -> None:
    body = rss(
        item(guid="a", link="https://news.example/a")
        + "<item><title>Fish & chips</title><guid>b</guid></item>"  # bare "&"
    )
    parsed = parse_feed(page(body))
    assert parsed.warning is not None
    assert "SAXParseException" in parsed.warning
    assert len(parsed.warning) <= 200
    assert [i.guid for i in parsed.items][:1] == ["a"]


def test_charset_from_http_header_is_used() -> None:
    body = rss(item(guid="g", title="Zażółć gęślą jaźń")).replace("utf-8", "iso-8859-2")
    raw = body.encode("iso-8859-2")
    parsed = parse_feed(page(raw, "application/xml", charset="iso-8859-2"))
    assert parsed.items[0].title == "Zażółć gęślą jaźń"


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (b"", "application/rss+xml", "empty body"),
        (b"   \n\t ", "application/rss+xml", "empty body"),
        (
            b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>",
            "text/html",
            "HTML page",
        ),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
            "application/json",
            "JSON",
        ),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", "application/xml", "gzip"),
        (bytes(range(256)) * 8, "application/octet-stream", "not a feed"),
        (b"just some words", "text/plain", "not a feed"),
        (b"<?xml version='1.0'?><html><body>x</body></html>", "application/xml", "not a feed"),
    ],
)
def test_input_without_a_feed_raises_parse_error(body: bytes, content_type: str, why: str) -> None:
    with pytest.raises(ParseError, match=r"^not a feed") as caught:
        parse_feed(page(body, content_type))
    assert why in str(caught.value)


def test_a_feed_with_no_items_is_still_a_feed() -> None:
    parsed = parse_feed(page(rss("", title="Quiet")))
    assert parsed.title == "Quiet"
    assert parsed.items == ()


def test_a_body_that_is_a_path_is_parsed_as_bytes_never_opened(tmp_path: Path) -> None:
    # feedparser.parse(b"/some/path") opens that file (PITFALLS); the path must stay text.
    local = tmp_path / "local-feed.xml"
    local.write_text(rss(item(guid="from-disk", title="LOCAL FILE CONTENT")), "utf-8")
    with pytest.raises(ParseError):
        parse_feed(page(str(local).encode(), "application/rss+xml"))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: rss(item(guid=t[:20], title=t))),
        st.text(alphabet="<>&;/=\"' abcrsitemtl?!-[]", max_size=400).map(str.encode),
    ),
    st.sampled_from(["application/rss+xml", "text/html", "", "text/plain"]),
)
def test_any_bytes_give_a_feed_or_parse_error(body: bytes | str, content_type: str) -> None:
    try:
        parsed = parse_feed(page(body, content_type), max_items=5)
    except ParseError:
        return
    assert len(parsed.items) <= 5
    for it in parsed.items:
        assert it.guid
        assert it.url == "" or it.url.startswith(("http://", "https://"))
        assert it.published is None or it.published.tzinfo is UTC
