"""Article extraction: page bytes -> text (trafilatura, and readability-lxml when trafilatura
finds little, run only in ``monitor.ingest.workers`` processes), and the choice between the
extracted text and the feed summary.

* ``decode_html(body, http_charset)``: bytes -> str. trafilatura ignores the HTTP charset
  (PITFALLS), so we decode: BOM, then the HTTP charset, then ``<meta charset>`` /
  http-equiv / XML declaration, then UTF-8 when the bytes are valid UTF-8 (a guesser
  given an ASCII-only sample picks windows-1252 and turns the rest into mojibake), then
  charset_normalizer, then UTF-8 with replacement.
  Labels follow browsers (WHATWG): "iso-8859-1" and "us-ascii" mean windows-1252.
* ``Extractor.extract(html, url, with_date=True) -> Extracted``: trafilatura in long-lived
  worker PROCESSES with a hard deadline (the page's date is looked for only
  ``with_date``: the feed item has none); when its text is under 500 characters, the worker also
  asks readability-lxml and keeps the longer plausible text (``monitor.ingest.readable``:
  link-dense or short results are boilerplate and are not taken). Neither Python API has
  a timeout and some pages never finish; a worker past the deadline is killed and
  replaced and ``ExtractError("timeout after 15s")`` is raised. HTML is capped at
  ``max_chars`` first. Workers are recycled after ``recycle_after`` pages (5,000: their
  memory does not grow with use, see ``RECYCLE_AFTER``), and after a page that left one
  holding more than ``max_rss`` bytes (a worker is ~40 MB, 75-110 MB between real pages;
  a pathological page can leave it far above). Thread-safe: each call borrows one idle
  worker. Only HTML is ever handed over, never a URL to fetch.
* ``link_share(html, text)``: pure; the share of the extracted text that is the page's
  own link text. A navigation-only page (``NAVIGATION_SHARE`` or more) has no article:
  the pipeline falls back to the feed summary.
* ``build_article(...)``: pure; the extracted text when there is enough of it, else the
  feed summary with ``fallback_reason`` saying why.

The worker processes (a fork+exec'd interpreter per slot, talking over two pipes) live in
``monitor.ingest.workers``; ``RawResult``, ``run_extraction`` (the default task),
``run_trafilatura`` and ``worker_entry`` are re-exported here.
"""

from __future__ import annotations

import bisect
import codecs
import queue
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html import unescape
from types import TracebackType

import charset_normalizer

from monitor.core.errors import ExtractError
from monitor.core.records import Article, Extracted, FeedItem, FetchedPage
from monitor.ingest.workers import (
    RawResult,
    Task,
    Worker,
    run_extraction,
    run_trafilatura,
    worker_entry,
)

__all__ = [  # names other modules import from here, wherever they now live
    "Extracted",
    "Extractor",
    "RawResult",
    "build_article",
    "decode_html",
    "run_extraction",
    "run_trafilatura",
    "worker_entry",
]

# -- decoding ---------------------------------------------------------------------------

_SNIFF_BYTES = 8192  # <meta charset> belongs in the first 1024 bytes; real heads run long
_GUESS_BYTES = 65536  # charset_normalizer is slow on whole pages; a sample is enough
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:+-]+)""",
    re.IGNORECASE,
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# What browsers actually use for these labels (WHATWG Encoding), as Python codecs.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
# Not charsets of web pages (browsers refuse utf-7 and x-user-defined too).
_UNSUPPORTED = frozenset(
    {"utf-7", "utf7", "x-user-defined", "undefined", "unicode-escape", "raw-unicode-escape"}
)
_SINGLE_BYTE = frozenset(
    {"cp1250", "cp1251", "cp1252", "cp1254", "iso8859-1", "iso8859-2", "iso8859-15"}
)


def decode_html(body: bytes, http_charset: str | None) -> str:
    """Decode an HTML page as a browser would; never raises."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    declared = _codec(http_charset) or _codec(_meta_charset(body), from_meta=True)
    # A server default of "charset=iso-8859-1" on a UTF-8 page is common; valid
    # multi-byte UTF-8 is practically never accidental in single-byte text.
    if declared and codecs.lookup(declared).name in _SINGLE_BYTE and _is_non_ascii_utf8(body):
        return body.decode("utf-8")
    if not declared and (text := _strict_utf8(body)) is not None:
        return text  # valid UTF-8 is practically never another charset by accident
    candidates: tuple[str | None, ...] = (declared, _guess(body) if not declared else None)
    for candidate in candidates:
        if candidate and (text := _decode(body, candidate)) is not None:
            return text
    return body.decode("utf-8", errors="replace")


def _strict_utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _guess(body: bytes) -> str | None:
    guess = charset_normalizer.from_bytes(body[:_GUESS_BYTES]).best()
    return _codec(guess.encoding) if guess is not None else None


def _decode(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding, errors="replace")
    except (UnicodeError, LookupError):  # codecs that refuse even with "replace"
        return None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    if match is None:
        return None
    label = match.group(1) or match.group(2)
    return label.decode("ascii", errors="replace")


def _codec(label: str | None, *, from_meta: bool = False) -> str | None:
    """A Python codec for a charset label, or None when unknown/unusable."""
    if not label:
        return None
    name = label.strip().strip("'\"").lower()
    if name in _UNSUPPORTED:
        return None
    if from_meta and name.startswith("utf-16"):
        return "utf-8"  # a <meta> readable as ASCII cannot be UTF-16: browsers use UTF-8
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # unknown, or not even a name ("\x00")
        return None
    if info.name in _UNSUPPORTED or not getattr(info, "_is_text_encoding", True):
        return None  # "base64" and friends are codecs, not charsets
    return name


def _is_non_ascii_utf8(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- extraction in worker processes ----------------------------------------------------


WORKER_MAX_RSS = 150_000_000  # bytes; measured 75-110 MB between real pages
# Pages a worker serves before it is replaced anyway. Its memory does not grow with use
# (trafilatura's caches are reset every 100 pages): over 4,000 pages of real and farm
# pages one sat at 70-124 MB, 82 MB after the last 1,000. A start costs ~0.4 CPU-s,
# under 0.1 ms a page at this count (it was 500: ~0.16 CPU-s of a 200-page round).
RECYCLE_AFTER = 5_000


class Extractor:
    """Extracts articles in worker processes (``run_extraction``); safe to share by threads."""

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        max_chars: int = 2_000_000,
        workers: int = 2,
        recycle_after: int = RECYCLE_AFTER,
        task: Task = run_extraction,
        startup_timeout: float = 60.0,
        max_rss: int = WORKER_MAX_RSS,
    ) -> None:
        """``task`` is what a worker runs per page; tests pass a module-level function
        (picklable) to make a worker hang. Workers start on first use."""
        self.timeout = timeout
        self.max_chars = max_chars
        self.recycle_after = max(1, recycle_after)
        self.max_rss = max_rss
        self._slots = [Worker(task, startup_timeout) for _ in range(max(1, workers))]
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()  # reuse warm workers first
        for slot in self._slots:
            self._idle.put(slot)
        self._closed = threading.Event()

    def extract(self, html: str, url: str, *, with_date: bool = True) -> Extracted:
        """The article on a decoded HTML page (its date only ``with_date``). Raises
        ``ExtractError``."""
        slot = self._borrow()
        try:
            if slot.served >= self.recycle_after:
                slot.stop()
            raw = slot.run(html[: self.max_chars], url, self.timeout, with_date)
            if (slot.rss() or 0) > self.max_rss:
                slot.stop()  # replaced on its next page
        finally:
            self._idle.put(slot)
        if raw is None:
            raise ExtractError("no article content found")
        return _to_extracted(raw)

    def _borrow(self) -> Worker:
        while not self._closed.is_set():
            try:
                return self._idle.get(timeout=0.2)
            except queue.Empty:
                continue
        raise ExtractError("extractor is closed")

    def close(self) -> None:
        """Stop every worker; waits for extractions in flight (at most ``timeout``)."""
        if self._closed.is_set():
            return
        self._closed.set()
        deadline = time.monotonic() + self.timeout + 5.0
        for _ in self._slots:
            try:
                slot = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            slot.stop()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _to_extracted(raw: tuple[str, str, str | None, str, str | None]) -> Extracted:
    title, text, day, sitename, language = raw
    return Extracted(title.strip(), text.strip(), _parse_day(day), sitename.strip(), language)


def _parse_day(day: str | None) -> datetime | None:
    if not day:
        return None
    try:
        parsed = date.fromisoformat(day[:10])
    except ValueError:
        return None
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


# -- navigation-only pages --------------------------------------------------------------

NAVIGATION_SHARE = 0.7  # extracted text this much link text is a menu, not an article
# Opening and closing anchor tags, found separately and paired by position: one lazy
# "<a ...>(.*?)</a>" pattern costs ~20 ms on a 2 MB page and is quadratic on hostile ones.
_ANCHOR_OPEN = re.compile(r"<a\b[^<>]*>", re.IGNORECASE)
_ANCHOR_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def link_share(html: str, text: str) -> float:
    """Pure: the share (0..1) of ``text``'s non-space characters that are the text of the
    page's links, each link counted once. Whitespace is ignored on both sides: extractors
    run link texts together ("Section 0Section 1")."""
    remaining = _unspaced(text)
    total = len(remaining)
    if not total:
        return 0.0
    for content in _anchor_contents(html):
        anchor = _unspaced(unescape(_TAG.sub("", content) if "<" in content else content))
        if len(anchor) >= 2 and anchor in remaining:
            remaining = remaining.replace(anchor, "", 1)
    return (total - len(remaining)) / total


def _unspaced(text: str) -> str:
    """``text`` without its whitespace (what ``re.sub(r"\\s+", "", text)`` gives: both
    use Python's Unicode whitespace; splitting is ~3x cheaper)."""
    return "".join(text.split())


def _anchor_contents(html: str) -> Iterator[str]:
    """The HTML between each ``<a ...>`` and the next ``</a>``, in one linear pass; an
    opening tag inside an earlier link's content is part of that content."""
    closes = [match.start() for match in _ANCHOR_CLOSE.finditer(html)]
    done = 0
    for match in _ANCHOR_OPEN.finditer(html):
        if match.start() < done:
            continue
        index = bisect.bisect_left(closes, match.end())
        if index == len(closes):
            return
        done = closes[index]
        yield html[match.end() : done]


# -- the article ------------------------------------------------------------------------


def build_article(
    item: FeedItem,
    page: FetchedPage | None,
    extracted: Extracted | None,
    reason: str | None,
    now: datetime,
    *,
    min_chars: int = 200,
) -> Article:
    """Pure: the extracted text when there is enough of it, else the feed summary.

    ``reason`` is why there is no extraction ("fetch failed: ...", "not html: ...",
    "extraction failed: ..."). Extracted text under ``min_chars`` gives way to the summary
    ("too short: 57 chars") unless the summary is shorter still.
    """
    fetched_at = now if page is not None else None
    why = reason or _too_short(item, extracted, min_chars)
    if why is None and extracted is not None:
        return Article(
            item=item,
            title=extracted.title or item.title,
            text=extracted.text,
            published=item.published or extracted.date,  # the feed's timestamp is precise
            sitename=extracted.sitename,
            language=extracted.language,
            method="trafilatura",
            fetched_at=fetched_at,
        )
    return Article(
        item=item,
        title=item.title or (extracted.title if extracted else ""),
        text=item.summary,
        published=item.published or (extracted.date if extracted else None),
        sitename=extracted.sitename if extracted else "",
        language=extracted.language if extracted else None,
        method="summary",
        fallback_reason=(why or "no extraction")[:300],
        fetched_at=fetched_at,
    )


def _too_short(item: FeedItem, extracted: Extracted | None, min_chars: int) -> str | None:
    if extracted is None:
        return "no extraction"
    size = len(extracted.text)
    if size < min_chars and len(item.summary) >= size:
        return f"too short: {size} chars"
    return None
