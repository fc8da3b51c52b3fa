"""Training: labelled examples -> a ``ModelArtifact`` with a threshold and CV metrics.

1. keep ``ban``/``other`` (borderline is never trained on);
2. cross-validate the pipeline (5 folds stratified by label and grouped by event,
   ``evaluate.cv_splits``) to get out-of-fold scores;
3. fit the same pipeline on all examples;
4. choose the threshold from the out-of-fold scores (``evaluate.choose_threshold``),
   above the held-out background floor when ../shared is there (``heldout_floor``: the
   fitted model's scores on the background items not trained on; without ../shared, the
   floor shipped for the model of ``training/data`` alone, ``shipped_floor``), record the
   CV metrics at it and wrap the pipeline with that metadata.

Deterministic for a given ``seed`` and data; ``now`` is injected for the timestamp.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.artifact import ModelArtifact
from classifiers.features import FastFeatures
from classifiers.pipeline import ban_probabilities
from classifiers.text import document_text
from training.background import held_out_texts, is_background
from training.data import Example, TrainingDataError, data_sha256, trainable
from training.evaluate import (
    Metrics,
    as_items,
    background_floor,
    choose_threshold,
    compute_metrics,
    cross_val_scores,
    fit_pipeline,
    split_masks,
)
from training.progress import heartbeat

MIN_PER_CLASS = 10  # outer 5-fold CV x inner 5-fold calibration needs this many of each
FALLBACK_FLOOR = Path(__file__).resolve().parent / "fallback_floor.json"
HELDOUT_CHUNK = 4_000  # held-out items scored at a time: ~25 MB of features (all 77k: ~490 MB)


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


def cv_metrics(
    usable: Sequence[Example], scores: np.ndarray, floor: float | None = None
) -> Metrics:
    """The threshold rule and the metrics at it, from out-of-fold scores.

    Precision, recall and PR-AUC are over the hand-labelled rows (ours and the labelled
    background hits); the ordinary false-positive rate counts the background sample too.
    ``floor``: the threshold must exceed it (``heldout_floor``).
    """
    is_ban, is_hard = split_masks(as_items(usable))
    background = np.array([is_background(e) for e in usable], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = choose_threshold(is_ban, scores, background, floor)
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


def heldout_floor(
    pipeline: Pipeline, usable: Sequence[Example], folder: Path | None = None
) -> tuple[float, int] | None:
    """(``background_floor`` of the fitted ``pipeline``'s scores on the background items
    it was not trained on, their number); None without background rows or ../shared.

    The CV background cap sees only the 15,000 sampled rows (at 1 in 20,000 it allows
    none); the ~77,000 held-out ones estimate the served model's ordinary false-alert
    rate out of sample, so the threshold sits above all but 1 in 20,000 of them."""
    ids = {e.id for e in usable if is_background(e)}
    if not ids:
        return None
    texts = held_out_texts(ids, folder)
    if not texts:
        return None
    with heartbeat(f"scoring {len(texts)} held-out background items"):
        scores = background_scores(pipeline, texts)
    return background_floor(scores), len(texts)


def background_scores(pipeline: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """P(ban) of background bullets (text only), ``HELDOUT_CHUNK`` at a time: bounded
    memory, since retrains run inside the service."""
    features = FastFeatures(pipeline.named_steps["features"])
    parts = [np.zeros(0)]
    for start in range(0, len(texts), HELDOUT_CHUNK):
        chunk = [document_text("", text) for text in texts[start : start + HELDOUT_CHUNK]]
        parts.append(ban_probabilities(pipeline, features.transform(chunk)))
    return np.concatenate(parts)


def final_metrics(
    pipeline: Pipeline,
    usable: Sequence[Example],
    cv_scores: np.ndarray,
    cv: Metrics,
    folder: Path | None = None,
    *,
    fallback_floor: float | None = None,
) -> dict[str, float]:
    """The CV metrics at the threshold of the full rule (``cv_metrics`` with the held-out
    background floor when there is one, else ``fallback_floor``), as the artifact's
    ``cv_*`` metadata; ``folder``: the background corpus (default: ../shared's)."""
    held = heldout_floor(pipeline, usable, folder)
    floor = held[0] if held is not None else fallback_floor
    metrics = cv if floor is None else cv_metrics(usable, cv_scores, floor)
    values = {f"cv_{name}": value for name, value in metrics.as_dict().items()}
    if held is not None:
        values["heldout_background_floor"], values["heldout_background_n"] = held[0], held[1]
    elif fallback_floor is not None:
        values["shipped_background_floor"] = fallback_floor
    return values


def shipped_floor(path: Path = FALLBACK_FLOOR) -> float | None:
    """The held-out floor of the model trained on ``training/data`` alone, measured where
    ../shared was present (``python -m training.fallback_floor``) and shipped as one number:
    rule 3 of the threshold for a model trained without ../shared (the service's first
    start, a Docker image). None when the file is absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return float(data["heldout_background_floor"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def train_model(
    examples: Sequence[Example],
    *,
    kind: str = "default",
    seed: int = 0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    cv: CVResult | None = None,
    fallback_floor: float | None = None,
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
    metrics = final_metrics(pipeline, usable, cv.scores, cv.metrics, fallback_floor=fallback_floor)
    return ModelArtifact.from_pipeline(
        pipeline,
        threshold=metrics["cv_threshold"],
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
