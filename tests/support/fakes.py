"""Small state-recording fakes of the ports (``monitor.core.ports``), for unit tests.

Each fake records what happened in plain lists and answers from plain dicts; tests
assert on that state, not on calls. None of them touches the network, a process or a
model: for the real adapters see the integration tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.core.errors import ExtractError, FetchError
from monitor.core.ports import Delivery
from monitor.core.records import (
    Alert,
    Article,
    Extracted,
    FetchedPage,
    NotModified,
    ReviewItem,
    Scored,
    Validators,
)


@dataclass
class FakeFetcher:
    """Serves ``pages`` by URL (bytes, or an exception to raise); 304 when the validators
    sent match ``etags[url]``. ``requests`` records (url, validators), ``accepts`` the
    Accept header asked for, in order."""

    pages: dict[str, bytes | FetchError] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, Validators | None]] = field(default_factory=list)
    accepts: list[str] = field(default_factory=list)

    def fetch(
        self, url: str, validators: Validators | None = None, *, accept: str = "*/*"
    ) -> FetchedPage | NotModified:
        self.requests.append((url, validators))
        self.accepts.append(accept)
        etag = self.etags.get(url)
        if etag is not None and validators is not None and validators.etag == etag:
            return NotModified(url=url, etag=etag, last_modified=None)
        answer = self.pages.get(url)
        if answer is None:
            raise FetchError(url, "no such page in the fake")
        if isinstance(answer, FetchError):
            raise answer
        return FetchedPage(
            url=url,
            final_url=url,
            status=200,
            content_type=self.content_types.get(url, "application/rss+xml"),
            charset="utf-8",
            body=answer,
            etag=etag,
        )


@dataclass
class FakeExtractor:
    """Returns ``texts[url]`` as the article text (``ExtractError`` when absent)."""

    texts: Mapping[str, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    dated: list[bool] = field(default_factory=list)  # ``with_date`` of each call

    def extract(self, html: str, url: str, *, with_date: bool = True) -> Extracted:
        self.seen.append(url)
        self.dated.append(with_date)
        if url not in self.texts:
            raise ExtractError(f"{url}: nothing to extract")
        return Extracted("", self.texts[url], None, "", None)


@dataclass
class FakeScorer:
    """Scores 0.9 when a keyword is in the title or text, else 0.1; no model."""

    keyword: str = "bans"
    threshold: float = 0.5
    scored: list[str] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)  # articles per call
    model_version: str = "fake-1"

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        self.calls.append(len(articles))
        out = []
        for article in articles:
            self.scored.append(article.item.guid)
            text = f"{article.title} {article.text}".lower()
            score = 0.9 if self.keyword in text else 0.1
            out.append(Scored(article, score, score >= self.threshold, (), self.model_version))
        return out


@dataclass
class FakeNotifier:
    """Every ``Notifier`` method, recording into lists; subclass to add behaviour."""

    name: str = "fake"
    supports_threads: bool = True
    sent_alerts: list[Alert] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    digests: list[tuple[str, int]] = field(default_factory=list)
    reviews: list[Sequence[ReviewItem]] = field(default_factory=list)
    labels_shown: list[tuple[str, str]] = field(default_factory=list)
    closed: bool = False

    def send(self, alert: Alert) -> Delivery:
        self.sent_alerts.append(alert)
        return Delivery(ts=f"{len(self.sent_alerts)}.0001", channel="C1")

    def update_parent(self, parent: Alert, source_count: int) -> None:
        pass

    def find_sent(self, alert: Alert) -> Delivery | None:
        return None

    def show_label(self, alert: Alert, verdict: str, who: str, when: datetime) -> None:
        self.labels_shown.append((alert.id, verdict))

    def post_review(self, items: Sequence[ReviewItem]) -> Delivery | None:
        self.reviews.append(items)
        return Delivery(ts="r.0001", channel="C1")

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        self.digests.append((day, len(alerts)))
        return Delivery(ts="d.0001", channel="C1")

    def post_notice(self, text: str) -> Delivery:
        self.notices.append(text)
        return Delivery(ts="n.0001", channel="C1")

    def close(self) -> None:
        self.closed = True
