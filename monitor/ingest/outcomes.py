"""Outcomes of a fetch in our own types: ``FetchedPage`` / ``NotModified`` built from a
response's status and headers (httpx's or aiohttp's), and every httpx/httpcore/zlib/OS
failure mapped to one ``FetchError``.

Pure translation, no I/O; used by the fetchers (``display_url`` by both). Messages are short and
human, and never carry headers, user info or query strings (``display_url``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping

import httpcore
import httpx

from monitor.core.errors import FetchError, FetchTimeoutError, TransportError
from monitor.core.records import FetchedPage, NotModified, Validators
from monitor.ingest.bodies import parse_content_type

LIBRARY_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    httpx.CookieConflict,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    zlib.error,
    OSError,
    UnicodeError,
)


def not_modified_from(url: str, headers: Mapping[str, str], sent: Validators | None) -> NotModified:
    # A 304 may omit the validators; keep the ones we sent so the next poll is conditional too.
    return NotModified(
        url,
        etag=headers.get("ETag") or (sent.etag if sent else None),
        last_modified=headers.get("Last-Modified") or (sent.last_modified if sent else None),
    )


def page_from(
    url: str,
    final_url: str,
    status: int,
    headers: Mapping[str, str],
    header_items: Iterable[tuple[str, str]],
    body: bytes,
) -> FetchedPage:
    """A 2xx answer as a ``FetchedPage``; ``headers`` is read case-insensitively (httpx's
    and aiohttp's header types both are), ``header_items`` keeps repeated headers."""
    media, charset = parse_content_type(headers.get("Content-Type"))
    return FetchedPage(
        url=url,
        final_url=final_url,
        status=status,
        content_type=media,
        charset=charset,
        body=body,
        etag=headers.get("ETag"),
        last_modified=headers.get("Last-Modified"),
        headers=tuple((key.lower(), value) for key, value in header_items),
    )


def display_url(url: str) -> str:
    """The URL without user info or query, for messages."""
    try:
        parsed = httpx.URL(url)
        return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))
    except (httpx.InvalidURL, TypeError, ValueError):
        return "(unparseable URL)"


def map_error(exc: Exception, url: str, timeout: float) -> FetchError:
    """One short human message per library failure (no headers, no user info)."""
    where = display_url(url)
    if isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
        return FetchTimeoutError(url, f"timed out fetching {where} (limit {timeout:g}s)")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | httpcore.UnsupportedProtocol):
        return TransportError(url, f"invalid URL: {exc}")
    if isinstance(exc, httpx.DecodingError | zlib.error):
        return TransportError(url, f"corrupt compressed body from {where}")
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
        return TransportError(url, f"cannot connect to {where}: {exc}")
    if isinstance(exc, httpx.ProtocolError | httpcore.ProtocolError):
        return TransportError(url, f"protocol error from {where}: {exc}")
    if isinstance(exc, httpx.TransportError | httpcore.NetworkError | OSError):
        return TransportError(url, f"connection to {where} failed: {exc}")
    return TransportError(url, f"fetching {where} failed ({type(exc).__name__})")
