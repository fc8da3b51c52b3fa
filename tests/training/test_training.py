"""A small fixed-seed training run beats a keyword baseline on held-out data."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

from classifiers.artifact import ModelArtifact
from tests.training.conftest import small_examples
from training.data import load_examples, trainable
from training.evaluate import keyword_match


def test_small_model_beats_keyword_baseline_on_held_out_examples(
    small_model: ModelArtifact,
) -> None:
    seen = {e.id for e in small_examples()}
    held_out = [e for e in trainable(load_examples()) if e.id not in seen]
    truth = np.array([e.label == "ban" for e in held_out])
    docs = [(e.title, e.text) for e in held_out]
    predictions = small_model.predict(docs)
    predicted = np.array([p.is_ban for p in predictions])
    keyword = np.array([keyword_match(f"{e.title} {e.text}") for e in held_out])
    assert truth.sum() >= 20 and (~truth).sum() >= 20
    assert _accuracy(truth, predicted) > _accuracy(truth, keyword)
    # Ranking: the scores order bans above the rest better than the keyword filter does.
    # (F1 at the threshold is not compared: 150 examples place it noisily; the shipped
    # model's F1 is held by the quality gate.)
    scores = np.array([p.score for p in predictions])
    assert average_precision_score(truth, scores) > average_precision_score(truth, keyword)
    assert _f1(truth, scores >= 0.5) > _f1(truth, keyword)


def _accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(truth == predicted))


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = float(np.sum(truth & predicted))
    return 2 * tp / (np.sum(truth) + np.sum(predicted)) if tp else 0.0
