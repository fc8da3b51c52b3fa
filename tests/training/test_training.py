"""A small fixed-seed training run beats a keyword baseline on held-out data."""

from __future__ import annotations

import numpy as np

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
    predicted = np.array([p.is_ban for p in small_model.predict(docs)])
    keyword = np.array([keyword_match(f"{e.title} {e.text}") for e in held_out])
    assert truth.sum() >= 20 and (~truth).sum() >= 20
    assert _accuracy(truth, predicted) > _accuracy(truth, keyword)
    assert _f1(truth, predicted) > _f1(truth, keyword)


def _accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(truth == predicted))


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = float(np.sum(truth & predicted))
    return 2 * tp / (np.sum(truth) + np.sum(predicted)) if tp else 0.0
