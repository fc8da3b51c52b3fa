"""The service's ports: one-method-ish interfaces the pipeline talks to.

Real adapters are wired in ``monitor.bootstrap``; tests pass small fakes that
record what happened. Each docstring is the contract an adapter must keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitor.records import Article, FetchedPage, NotModified, Scored, Validators


class FetcherPort(Protocol):
    def fetch(
        self, url: str, validators: Validators | None = None, *, accept: str = ...
    ) -> FetchedPage | NotModified:
        """Fetch one URL. Raises ``FetchError`` subclasses, never library exceptions."""


class ExtractorPort(Protocol):
    def extract(self, html: str, url: str) -> object:
        """Extract an article from decoded HTML; raises ``ExtractError``.

        Returns ``monitor.extract.Extracted``.
        """


class ScorerPort(Protocol):
    @property
    def model_version(self) -> str: ...

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        """Score articles in order. Must not raise for any text."""
