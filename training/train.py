"""Training: labelled examples -> a ``ModelArtifact`` with a threshold and CV metrics.

1. keep ``ban``/``other`` (borderline is never trained on);
2. cross-validate the pipeline (5 folds stratified by label and grouped by event,
   ``evaluate.cv_splits``) to get out-of-fold scores;
3. choose the threshold from those scores (``evaluate.choose_threshold``) and
   record the CV metrics at it;
4. fit the same pipeline on all examples and wrap it with that metadata.

Deterministic for a given ``seed`` and data; ``now`` is injected for the timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from classifiers.artifact import ModelArtifact
from classifiers.text import document_text
from training.background import is_background
from training.data import Example, TrainingDataError, data_sha256, trainable
from training.evaluate import (
    Metrics,
    as_items,
    choose_threshold,
    compute_metrics,
    cross_val_scores,
    fit_pipeline,
    split_masks,
)
from training.progress import heartbeat

MIN_PER_CLASS = 10  # outer 5-fold CV x inner 5-fold calibration needs this many of each


@dataclass(frozen=True, slots=True)
class CVResult:
    """Out-of-fold scores of one model kind on our data, and the metrics at its threshold."""

    kind: str
    scores: np.ndarray
    metrics: Metrics


def cross_validate(
    examples: Sequence[Example], *, kind: str = "default", seed: int = 0, folds: int = 5
) -> CVResult:
    usable = trainable(examples)
    _check_counts(usable, folds)
    scores = cross_val_scores(usable, kind=kind, seed=seed, folds=folds)
    return CVResult(kind, scores, cv_metrics(usable, scores))


def cv_metrics(usable: Sequence[Example], scores: np.ndarray) -> Metrics:
    """The threshold rule and the metrics at it, from out-of-fold scores.

    Precision, recall and PR-AUC are over the hand-labelled rows (ours and the labelled
    background hits); the ordinary false-positive rate counts the background sample too.
    """
    is_ban, is_hard = split_masks(as_items(usable))
    background = np.array([is_background(e) for e in usable], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = choose_threshold(is_ban, scores, background)
    hand = ~background
    metrics = compute_metrics(is_ban[hand], is_hard[hand], scores[hand], threshold)
    if not background.any():
        return metrics
    everything = compute_metrics(is_ban, is_hard, scores, threshold)
    return replace(
        metrics,
        n_ordinary=everything.n_ordinary,
        ordinary_false_positives=everything.ordinary_false_positives,
        ordinary_fp_rate=everything.ordinary_fp_rate,
    )


def train_model(
    examples: Sequence[Example],
    *,
    kind: str = "default",
    seed: int = 0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    cv: CVResult | None = None,
) -> ModelArtifact:
    """Cross-validate for the threshold (unless ``cv`` of the same data, kind and seed is
    given), then fit on everything (see module docstring)."""
    usable = trainable(examples)
    cv = cv if cv is not None else cross_validate(usable, kind=kind, seed=seed)
    docs = [document_text(e.title, e.text) for e in usable]
    labels = np.array([e.label == "ban" for e in usable], dtype=int)
    weights = np.array([e.weight for e in usable], dtype=float)
    with heartbeat(f"fitting the final model on {len(usable)} examples"):
        pipeline = fit_pipeline(docs, labels, weights, kind, seed)
    metrics = {f"cv_{name}": value for name, value in cv.metrics.as_dict().items()}
    return ModelArtifact.from_pipeline(
        pipeline,
        threshold=cv.metrics.threshold,
        data_sha256=data_sha256(usable),
        metrics=metrics,
        kind=kind,
        n_examples=len(usable),
        trained_at=now(),
    )


def _check_counts(examples: Sequence[Example], folds: int) -> None:
    bans = sum(e.label == "ban" for e in examples)
    others = len(examples) - bans
    if min(bans, others) < max(folds, MIN_PER_CLASS):
        raise TrainingDataError(
            f"too few examples to train: {bans} ban and {others} other "
            f"(need at least {max(folds, MIN_PER_CLASS)} of each)"
        )
