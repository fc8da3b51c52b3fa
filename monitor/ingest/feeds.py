"""Feed parsing: the bytes of a fetched feed -> ``ParsedFeed`` (sole importer of feedparser).

Contract of ``parse_feed(page, max_items=100)``:

* parses ``page.body`` from memory only. feedparser is never given a URL or a bytes
  path (``feedparser.parse(b"/etc/passwd")`` opens that file) and never fetches;
* returns the feed title and at most ``max_items`` items, the newest by date (items
  without a date count as oldest; ties keep document order), listed in document order;
* a "bozo" feed (not well-formed, wrong encoding, ...) yields what could be parsed plus
  ``warning``, a short text of the problem;
* input that holds no feed at all (empty, HTML, JSON, garbage) raises
  ``ParseError("not a feed: ...")``, and nothing else is ever raised, for any bytes.

Items: ``url`` is the entry link resolved against the feed's final URL, or "" when the
link is missing or not http(s) (``javascript:``, ``data:``, ``tag:`` ids). ``guid`` is the
entry id, else the canonical URL, else a stable hash of title and summary; a guid seen
twice in one feed keeps its first item. Titles and summaries are plain text.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from monitor.core.errors import ParseError
from monitor.core.records import FeedItem, FetchedPage, ParsedFeed
from monitor.ingest.urls import canonical_url

MAX_SUMMARY_CHARS = 20_000  # the summary is a fallback text, not a page: keep rows small
MAX_TITLE_CHARS = 1_000
_WARNING_CHARS = 200
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_WHITESPACE = re.compile(r"\s+")
_COMMENT = re.compile(r"<!--(?:.*?-->|.*\Z)", re.DOTALL)


def parse_feed(page: FetchedPage, *, max_items: int = 100) -> ParsedFeed:
    """Parse ``page.body`` as RSS/Atom. Raises ``ParseError`` when it is not a feed."""
    if not page.body.strip():
        raise ParseError("not a feed: empty body")
    try:
        parsed = feedparser.parse(
            io.BytesIO(page.body),
            response_headers=_headers(page),
            # We only ever keep plain text, so feedparser's HTML sanitiser (a third of
            # the parse time) buys nothing; links are resolved here, against final_url.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        if not _is_feed(parsed):
            raise ParseError(f"not a feed: {_why_not(page, parsed)}")
        return _to_parsed_feed(parsed, page, max_items)
    except ParseError:
        raise
    except Exception as exc:  # feedparser surprises (recursion, odd encodings): not a feed
        raise ParseError(f"not a feed: {type(exc).__name__}: {_short(str(exc))}") from None


def _headers(page: FetchedPage) -> dict[str, str]:
    # No content-location: feedparser would resolve <guid>s against it, so an id would
    # change when the feed moves. Links are resolved in _http_link instead.
    if not page.content_type:
        return {}
    charset = f"; charset={page.charset}" if page.charset else ""
    return {"content-type": page.content_type + charset}


def _is_feed(parsed: Mapping[str, Any]) -> bool:
    # For HTML, JSON and garbage feedparser still "succeeds": bozo, version "" and no
    # entries. A recognised root element (rss/feed/rdf) sets the version, even when the
    # rest is broken; entries without a version would be an oddity we still accept.
    return bool(parsed.get("version")) or bool(parsed.get("entries"))


def _why_not(page: FetchedPage, parsed: Mapping[str, Any]) -> str:
    if page.body[:2] == b"\x1f\x8b":
        return "gzip-compressed body"
    head = page.body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or page.content_type in _HTML_TYPES:
        return f"an HTML page ({page.content_type or 'no content type'})"
    if head.startswith((b"{", b"[")):
        return f"JSON ({page.content_type or 'no content type'})"
    problem = parsed.get("bozo_exception")
    detail = f": {_short(str(problem))}" if problem else ""
    return f"no RSS/Atom root element ({page.content_type or 'no content type'}){detail}"


def _to_parsed_feed(parsed: Mapping[str, Any], page: FetchedPage, max_items: int) -> ParsedFeed:
    feed_info = parsed.get("feed") or {}
    base_url = page.final_url or page.url  # relative links are relative to what we read
    entries = [e for e in parsed.get("entries") or () if isinstance(e, Mapping)]
    # Choose first, convert after: a 10,000-entry feed only pays for the items it keeps.
    chosen = _newest(_unique(entries, base_url), max_items)
    return ParsedFeed(
        title=_text_of(feed_info, "title", MAX_TITLE_CHARS),
        items=tuple(_item(e.raw, e.guid, page.url, base_url) for e in chosen),
        warning=_warning(parsed),
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    raw: Mapping[str, Any]
    guid: str
    published: datetime | None
    position: int


def _unique(entries: list[Mapping[str, Any]], base_url: str) -> list[_Entry]:
    seen: set[str] = set()
    unique = []
    for position, raw in enumerate(entries):
        guid = _guid(raw, base_url)
        if guid not in seen:  # a guid repeated within one feed: the first one wins
            seen.add(guid)
            unique.append(_Entry(raw, guid, _published(raw), position))
    return unique


def _newest(entries: list[_Entry], max_items: int) -> list[_Entry]:
    if len(entries) <= max_items:
        return entries
    oldest = datetime.min.replace(tzinfo=UTC)  # undated entries rank last
    ranked = sorted(entries, key=lambda e: (e.published or oldest, -e.position), reverse=True)
    return sorted(ranked[: max(0, max_items)], key=lambda e: e.position)


def _warning(parsed: Mapping[str, Any]) -> str | None:
    if not parsed.get("bozo"):
        return None
    problem = parsed.get("bozo_exception")
    if problem is None:
        return "feed is not well-formed"
    return _short(f"{type(problem).__name__}: {problem}")


def _item(entry: Mapping[str, Any], guid: str, feed_url: str, base_url: str) -> FeedItem:
    url = _http_link(entry.get("link"), base_url)
    return FeedItem(
        feed_url=feed_url,
        guid=guid,
        url=url,
        canonical_url=canonical_url(url) if url else "",
        title=_text_of(entry, "title", MAX_TITLE_CHARS),
        summary=_summary(entry),
        published=_published(entry),
        author=_clean(str(entry.get("author") or ""))[:200],
    )


def _http_link(link: object, base_url: str) -> str:
    if not isinstance(link, str) or not link.strip():
        return ""
    try:
        absolute = urljoin(base_url, link.strip())
        parts = urlsplit(absolute)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""  # javascript:, data:, mailto:, tag: ids used as links, ...
    return absolute


def _guid(entry: Mapping[str, Any], base_url: str) -> str:
    entry_id = entry.get("id")
    if isinstance(entry_id, str) and entry_id.strip():
        return entry_id.strip()
    url = _http_link(entry.get("link"), base_url)
    if url:
        return canonical_url(url)
    title, summary = _text_of(entry, "title", MAX_TITLE_CHARS), _summary(entry)
    digest = hashlib.sha256(f"{title}\n{summary}".encode("utf-8", "replace")).hexdigest()
    return f"sha256:{digest[:32]}"


def _summary(entry: Mapping[str, Any]) -> str:
    text = _text_of(entry, "summary", MAX_SUMMARY_CHARS)
    if text:
        return text
    # Some feeds carry only <content:encoded> / <content>: use it as the summary.
    for content in entry.get("content") or ():
        text = _plain(str(content.get("value") or ""), str(content.get("type") or ""))
        if text:
            return text[:MAX_SUMMARY_CHARS]
    return ""


def _text_of(mapping: Mapping[str, Any], key: str, limit: int) -> str:
    value = mapping.get(key)
    if not isinstance(value, str):
        return ""
    detail = mapping.get(f"{key}_detail") or {}
    return _plain(value, str(detail.get("type") or "text/html"))[:limit]


def _plain(value: str, content_type: str) -> str:
    # feedparser leaves HTML in text/html fields (sanitised) and decodes text/plain ones;
    # stripping tags from a plain "RSS <<< Title >>>" would eat the title.
    if content_type in _HTML_TYPES:
        return _clean(_strip_tags(value))
    return _clean(value)


def _clean(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _strip_tags(markup: str) -> str:
    if "<" not in markup and "&" not in markup:
        return markup  # no tag, comment or entity: the parser would hand it back as is
    stripper = _TagStripper()
    # HTML5: a comment without "-->" runs to the end; Python 3.11's HTMLParser would
    # hand the unclosed rest back as text ("safe<!--").
    stripper.feed(_COMMENT.sub(" ", markup))
    stripper.close()
    return stripper.text()  # convert_charrefs already unescaped entities, exactly once


class _TagStripper(HTMLParser):
    """Collects the text of an HTML fragment; script/style contents are dropped."""

    _SKIP = frozenset({"script", "style", "noscript", "template"})
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self._parts.append(" ")  # "<p>a</p><p>b</p>" must not become "ab"

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAKS:
            self._parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._parts.append(data)

    def text(self) -> str:
        return "".join(self._parts)


def _published(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:  # feedparser's struct_time is UTC; timegm does not apply local time
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _short(text: str) -> str:
    text = _clean(text)
    return text if len(text) <= _WARNING_CHARS else text[: _WARNING_CHARS - 1] + "…"
