"""Scoring stage: articles -> ``Scored`` with a model.

``ModelScorer`` serves one fixed ``ModelArtifact``; ``RegistryScorer`` serves the
registry's active model (``monitor.scoring.registry``), reloaded without a restart when
another model is promoted or rolled back. A model it refuses (``ModelError``: damaged,
untrusted, out-of-range metadata, over the size caps) is remembered by version and file
identity and not read again until its file changes; the previous model keeps serving and
``refusal`` says why (shown by ``/healthz`` and, through ``on_refusal``, ``monitor
status``). Only a refusal on start, with nothing to serve, raises. Choosing and opening
them is wiring (``monitor.bootstrap.build_scorer``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.core.errors import ModelError
from monitor.core.logs import log_event
from monitor.core.ports import ScorerPort
from monitor.core.records import Article, Scored
from state.labels import LabelStore

if TYPE_CHECKING:  # scikit-learn and skops load when a model does (~2 s)
    from classifiers.archive import FileIdentity
    from classifiers.artifact import ModelArtifact

log = logging.getLogger("monitor.score")


def load_artifact(path: Path) -> ModelArtifact:
    """``ModelArtifact.load``, importing scikit-learn and skops only now (start-up stays fast)."""
    from classifiers.artifact import ModelArtifact

    return ModelArtifact.load(path)


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
                threshold=self.threshold,
            )
            for article, p in zip(articles, predictions, strict=True)
        ]


class RegistryScorer:
    """``ScorerPort`` serving the registry's active model, reloaded when it changes."""

    def __init__(
        self,
        active: Callable[[], tuple[str, Path] | None],
        threshold: float | None = None,
        on_refusal: Callable[[str], None] | None = None,  # "" once a model loads again
    ) -> None:
        self._active = active
        self._threshold = threshold
        self._on_refusal = on_refusal
        self._lock = threading.Lock()
        self._scorer: ModelScorer | None = None
        self._refused: tuple[str, FileIdentity | None] | None = None
        self.refusal: str | None = None  # why the registry's active model is not served
        self._refresh()

    @property
    def model_version(self) -> str:
        return self._current().model_version

    @property
    def artifact(self) -> ModelArtifact:
        return self._current().artifact

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        return self._current().score(articles)

    def _current(self) -> ModelScorer:
        self._refresh()
        assert self._scorer is not None
        return self._scorer

    def _refresh(self) -> None:
        with self._lock:
            found = self._active()
            if found is None or (self._scorer and self._scorer.model_version == found[0]):
                return
            from classifiers.archive import file_identity  # with the model, not at start

            key = (found[0], file_identity(found[1]))
            if key == self._refused:
                return  # refused before and unchanged since: not read again
            try:
                self._scorer = ModelScorer(load_artifact(found[1]), self._threshold)
            except ModelError as exc:
                self._refuse(key, found[0], str(exc))
                if self._scorer is None:
                    raise
                return
            log_event(log, "model_loaded", version=self._scorer.model_version)
            if self.refusal is not None:
                self._set_refusal(None)

    def _refuse(self, key: tuple[str, FileIdentity | None], version: str, error: str) -> None:
        self._refused = key
        serving = self._scorer.model_version if self._scorer else "none"
        log_event(log, "model_refused", logging.ERROR, version=version, serving=serving,
                  error=error)  # fmt: skip
        self._set_refusal(f"model {version} refused, serving {serving}: {error}")

    def _set_refusal(self, why: str | None) -> None:
        self.refusal = why
        if self._on_refusal is not None:
            self._on_refusal(why or "")


def active_lookup(store: LabelStore) -> Callable[[], tuple[str, Path] | None]:
    def lookup() -> tuple[str, Path] | None:
        record = store.active_model()
        return (record.version, Path(record.path)) if record else None

    return lookup


class BackgroundScorer:
    """``ScorerPort`` whose model is built on a thread, so polling begins while
    scikit-learn and the model load (~2 s of CPU). The thread starts on ``start()``
    (the service calls it once the first feed has answered: a load started with the
    process would hold the GIL while start-up sends the first requests) or on first
    use, which waits for it. A build that fails is logged once and raised again on
    every use."""

    def __init__(self, build: Callable[[], ScorerPort]) -> None:
        self._build = build
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._scorer: ScorerPort | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[ScorerPort], object]] = []
        self._built = False

    def when_ready(self, callback: Callable[[ScorerPort], object]) -> None:
        """Call ``callback(scorer)`` once the model is built, before anyone waiting is
        released (at once if it is built; never if the build failed). Does not start it."""
        with self._lock:
            if not self._built:
                self._callbacks.append(callback)
                return
        if self._scorer is not None:
            callback(self._scorer)

    def start(self) -> None:
        """Start building the model, once; returns at once (thread-safe)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._load, name="model-load", daemon=True)
                self._thread.start()

    def _load(self) -> None:
        scorer: ScorerPort | None = None
        try:
            scorer = self._build()
        except Exception as exc:
            self._error = exc
            log_event(log, "model_load_failed", logging.ERROR, error=str(exc))
        with self._lock:
            self._scorer, self._built = scorer, True
            callbacks, self._callbacks = self._callbacks, []
        try:
            if scorer is not None:
                for callback in callbacks:
                    callback(scorer)
        finally:
            self._ready.set()

    def wait(self) -> ScorerPort:
        """The built scorer (starting the build if nobody has); raises what the build did."""
        self.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._scorer is not None
        return self._scorer

    @property
    def model_version(self) -> str:
        return str(self.wait().model_version)

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        if not articles:
            return []
        return self.wait().score(articles)

    def __getattr__(self, name: str) -> object:  # artifact, ... of the built scorer
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.wait(), name)
