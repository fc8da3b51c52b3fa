"""One error hierarchy for the whole service.

::

    MonitorError
    ├── ConfigError                 bad/unknown key, bad value, unreadable file
    ├── FetchError                  a URL could not be fetched (always carries .url)
    │   ├── BlockedAddressError     resolves to loopback/private/link-local, or bad scheme
    │   ├── FetchTimeoutError       connect/read timeout or the overall deadline
    │   ├── TooLargeError           body (decompressed) above max_bytes
    │   ├── TooManyRedirectsError
    │   ├── HTTPStatusError         non-2xx, non-304 answer (.status, .retry_after)
    │   └── TransportError          DNS, connection refused/reset, TLS, protocol
    ├── ParseError                  the bytes are not a feed
    ├── ExtractError                the page gave no usable article text
    ├── StoreError                  the database cannot be used
    │   ├── CorruptStoreError       not a database / integrity failure
    │   ├── SchemaVersionError      the file is newer than this code (downgrade refused)
    │   └── WriterLockError         another service holds the state file's writer lock
    ├── ModelError                  the classifier artifact cannot be used
    │   ├── UntrustedModelError     the file holds types not on our allow-list
    │   └── ModelVersionError       trained with another scikit-learn version
    ├── NotifyError                 a notifier could not deliver (.retryable, .retry_after)
    │   └── NotifyAuthError         invalid/missing token: not retryable until config changes
    ├── UnknownItemError            (monitor.feedback.labels) no alert or item with that id
    ├── RegistryError               (monitor.scoring.registry) no such model version, no rollback
    └── TrainingDataError           (training.data) the labelled data is unusable

Messages never contain secrets (tokens, webhook URLs): see ``redact``.
"""

from __future__ import annotations

import re


class MonitorError(Exception):
    """Base of every error this service raises on purpose."""


class ConfigError(MonitorError):
    """The configuration is unusable. ``str(err)`` is one line naming the key."""


class FetchError(MonitorError):
    kind = "transport"

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class BlockedAddressError(FetchError):
    kind = "blocked"


class FetchTimeoutError(FetchError):
    kind = "timeout"


class TooLargeError(FetchError):
    kind = "too_large"


class TooManyRedirectsError(FetchError):
    kind = "redirects"


class HTTPStatusError(FetchError):
    kind = "http_status"

    def __init__(
        self, url: str, status: int, retry_after: float | None = None, message: str = ""
    ) -> None:
        super().__init__(url, message or f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class TransportError(FetchError):
    kind = "transport"


class ParseError(MonitorError):
    """The response was not a feed."""


class ExtractError(MonitorError):
    """No usable article text could be extracted."""


class StoreError(MonitorError):
    pass


class CorruptStoreError(StoreError):
    pass


class SchemaVersionError(StoreError):
    pass


class WriterLockError(StoreError):
    """Another ``monitor run`` holds the state file (the message names its PID)."""


class ModelError(MonitorError):
    pass


class UntrustedModelError(ModelError):
    pass


class ModelVersionError(ModelError):
    pass


class NotifyError(MonitorError):
    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class NotifyAuthError(NotifyError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


_SECRET_PATTERNS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),  # Slack bot/user/app tokens
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"https://hooks\.slack\.com/[^\s'\"]+"),
    re.compile(r"(?i)(authorization:\s*bearer\s+)\S+"),
    # credentials inside URLs: user:password@ and query parameters named like secrets
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s@'\"<>]+(?=@)"),
    re.compile(
        r"(?i)([?&;][\w.-]*(?:token|key|secret|password|passwd|pwd|sig|signature|auth)[\w.-]*=)"
        r"[^&#\s'\"<>]+"
    ),
)


def redact(text: str) -> str:
    """Remove anything that looks like a Slack token or webhook URL from ``text``, and the
    credentials of any URL in it (``user:pw@`` and ``?token=``/``key``/``secret``/
    ``password``/``sig``... values)."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text
