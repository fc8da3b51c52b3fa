"""Scoring stage: articles -> ``Scored`` with the active model; and finding that model.

The model file is ``[classifier] model_path`` when set; otherwise the model
registry's active model (``monitor.registry``: ``<state dir>/models/<version>.skops``),
reloaded without a restart when another model is promoted or rolled back. On first
start, when no model exists, one is trained from the shipped training data so the
service works out of the box.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from classifiers.artifact import ModelArtifact
from monitor.ports import ScorerPort
from monitor.records import Article, Scored
from monitor.settings import Settings

log = logging.getLogger("monitor.score")


class ModelScorer:
    """``ScorerPort`` over a ``ModelArtifact``; ``threshold`` overrides the model's own."""

    def __init__(self, artifact: ModelArtifact, threshold: float | None = None) -> None:
        self.artifact = artifact
        self.threshold = artifact.metadata.threshold if threshold is None else threshold

    @property
    def model_version(self) -> str:
        return self.artifact.metadata.version

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        if not articles:
            return []
        predictions = self.artifact.predict([(a.title, a.text) for a in articles])
        return [
            Scored(
                article=article,
                score=float(p.score),
                is_ban=float(p.score) >= self.threshold,
                why=tuple(p.why),
                model_version=self.model_version,
            )
            for article, p in zip(articles, predictions, strict=True)
        ]


def default_model_path(settings: Settings) -> Path:
    """The explicit model path, else the registry's active model file (legacy path if none)."""
    configured = settings.classifier.model_path
    if configured:
        return Path(configured)
    # -- issue 5: the registry is the source of truth ---------------------------
    from monitor.bootstrap import open_store

    store = open_store(settings)
    try:
        active = store.active_model()
    finally:
        store.close()
    return Path(active.path) if active else settings.state_dir / "model.skops"


def load_or_train(settings: Settings) -> ModelArtifact:
    """The model to serve (explicit path, else the registry's active one, trained if none)."""
    if settings.classifier.model_path:
        return ModelArtifact.load(Path(settings.classifier.model_path))
    from monitor.bootstrap import open_store, utcnow
    from monitor.registry import ensure_active

    store = open_store(settings)
    try:
        return ModelArtifact.load(ensure_active(settings, store, utcnow()))
    finally:
        store.close()


def build_scorer(settings: Settings) -> ScorerPort:
    """A fixed model for an explicit ``model_path``; else the registry's, hot-reloaded."""
    if settings.classifier.model_path:
        return ModelScorer(load_or_train(settings), settings.classifier.threshold)
    from monitor.bootstrap import open_store, utcnow
    from monitor.registry import RegistryScorer, active_lookup, ensure_active

    store = open_store(settings)  # the scorer's own connection, kept for the process' life
    ensure_active(settings, store, utcnow())
    return RegistryScorer(active_lookup(store), settings.classifier.threshold)
