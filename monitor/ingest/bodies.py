"""Response bodies of the HTTP stage: ``Content-Type`` parsing and capped decoding.

- ``parse_content_type(value)``: ``"text/html; charset=UTF-8"`` -> ``("text/html", "utf-8")``.
- ``read_capped(chunks, encoding, max_bytes, url)``: raw body chunks -> decoded bytes for
  the Content-Encodings we ask for (identity, gzip, deflate: zlib-wrapped or raw), never
  holding more than ``max_bytes`` (+1) decoded bytes, so a gzip bomb stops at the cap.
  Raises ``TooLargeError`` above the cap and ``TransportError`` for an unsupported coding
  or a truncated compressed stream; ``zlib.error`` for a corrupt one (``Fetcher`` maps it).
  ``CappedBody`` is the same, chunk by chunk (for async streams).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any, Protocol

from monitor.core.errors import TooLargeError, TransportError

ACCEPT_ENCODING = "gzip, deflate"  # only what read_capped can decode under a cap


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """``"text/html; charset=UTF-8"`` -> ``("text/html", "utf-8")``; missing -> ``("", None)``."""
    if not value:
        return "", None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower() or None
    return media.strip().lower(), charset


# --------------------------------------------------------------------------- body decoding


class _Decoder(Protocol):
    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int) -> bytes: ...

    def flush(self) -> bytes: ...


class _Identity:
    unconsumed_tail = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _Deflate:
    """HTTP "deflate" is meant to be zlib-wrapped; some servers send raw deflate."""

    def __init__(self) -> None:
        self._zlib: Any = zlib.decompressobj()
        self._started = False

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self._zlib.unconsumed_tail)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if not self._started:
            self._started = True
            try:
                return bytes(self._zlib.decompress(data, max_length))
            except zlib.error:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        return bytes(self._zlib.decompress(data, max_length))

    def flush(self) -> bytes:
        return bytes(self._zlib.flush())

    @property
    def eof(self) -> bool:
        return bool(self._zlib.eof)


def _decoder(encoding: str, url: str) -> _Decoder:
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _Deflate()
    raise TransportError(url, f"unsupported Content-Encoding {encoding!r} (asked for gzip)")


class CappedBody:
    """Incremental ``read_capped``: ``add(chunk)`` per raw chunk, then ``finish()`` -> bytes.

    For bodies read from async streams; same cap, same errors as ``read_capped``."""

    def __init__(self, encoding: str, max_bytes: int, url: str = "") -> None:
        self._decoder = _decoder(encoding, url)
        self._max_bytes = max_bytes
        self._url = url
        self._body = bytearray()

    def add(self, chunk: bytes) -> None:
        data = chunk
        while data:
            self._body += self._decoder.decompress(data, self._max_bytes - len(self._body) + 1)
            self._check()
            data = self._decoder.unconsumed_tail

    def finish(self) -> bytes:
        self._body += self._decoder.flush()
        self._check()
        if not getattr(self._decoder, "eof", True):  # a cut-off stream would pass for short
            raise TransportError(self._url, "truncated compressed body")
        return bytes(self._body)

    def _check(self) -> None:
        if len(self._body) > self._max_bytes:
            raise TooLargeError(self._url, f"body larger than the {self._max_bytes} byte limit")


def read_capped(chunks: Iterable[bytes], encoding: str, max_bytes: int, url: str = "") -> bytes:
    """Decode raw body chunks, never holding more than ``max_bytes`` (+1) decoded bytes.

    zlib's ``max_length`` bounds every step, so a gzip bomb stops at the cap instead of
    inflating a whole network chunk (which httpx's own decoder would do).
    """
    body = CappedBody(encoding, max_bytes, url)
    for chunk in chunks:
        body.add(chunk)
    return body.finish()
