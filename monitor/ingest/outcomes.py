"""Outcomes of a fetch in our own types: ``FetchedPage`` / ``NotModified`` built from an
httpx response, and every httpx/httpcore/zlib/OS failure mapped to one ``FetchError``.

Pure translation, no I/O; used by the fetchers (``display_url`` by both). Messages are short and
human, and never carry headers, user info or query strings (``display_url``).
"""

from __future__ import annotations

import zlib

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


def not_modified_from(url: str, response: httpx.Response, sent: Validators | None) -> NotModified:
    # A 304 may omit the validators; keep the ones we sent so the next poll is conditional too.
    return NotModified(
        url,
        etag=response.headers.get("ETag") or (sent.etag if sent else None),
        last_modified=response.headers.get("Last-Modified")
        or (sent.last_modified if sent else None),
    )


def page_from(url: str, response: httpx.Response, body: bytes) -> FetchedPage:
    media, charset = parse_content_type(response.headers.get("Content-Type"))
    return FetchedPage(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        content_type=media,
        charset=charset,
        body=body,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        headers=tuple(response.headers.multi_items()),
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
