"""The quality gate: floors hold on the corpus while ../shared is present; its hash is pinned."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from classifiers.artifact import ModelArtifact
from training.background import training_examples
from training.evaluate import Metrics, compute_metrics, load_corpus, split_masks
from training.gate import (
    Gate,
    check_corpus_hash,
    corpus_path,
    gate_failures,
    load_gate,
    shared_dir,
)
from training.train import train_model

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "current-events"


def _require_corpus() -> Path:
    path = corpus_path()
    if path is None:
        pytest.skip("../shared/corpus/current-events not present")
    return path


def test_gate_locates_shared_beside_the_repo() -> None:
    assert shared_dir().resolve() == CORPUS.parents[1].resolve()


def test_pinned_corpus_hash_matches_the_evaluation_data() -> None:
    corpus = _require_corpus()
    assert check_corpus_hash(load_gate(), corpus) is None


def test_changed_evaluation_data_fails_loudly(tmp_path: Path) -> None:
    corpus = _require_corpus()
    changed = tmp_path / "items.jsonl"
    changed.write_bytes(corpus.read_bytes() + b"\n")
    message = check_corpus_hash(load_gate(), changed)
    assert message is not None and "evaluation data changed" in message


def test_floors_and_ceilings_are_enforced() -> None:
    gate = Gate("x", {"corpus": {"recall": 0.9}}, {"corpus": {"ordinary_fp_rate": 0.001}})
    good = Metrics(0.5, 10, 10, 100, 9, 1, 0, 0, 1.0, 0.9, 0.95, 0.9, 0.0)
    assert gate_failures(gate, "corpus", good) == []
    bad = dataclasses.replace(good, recall=0.5, ordinary_fp_rate=0.01)
    failures = gate_failures(gate, "corpus", bad)
    assert len(failures) == 2 and "recall" in failures[0] and "ordinary_fp_rate" in failures[1]


@pytest.fixture(scope="module")
def full_model() -> ModelArtifact:
    """``monitor train``'s model: training/data plus ../shared's background (minutes)."""
    return train_model(training_examples(), seed=0)


@pytest.mark.timeout(900)
def test_default_model_meets_the_floors(full_model: ModelArtifact) -> None:
    corpus = _require_corpus()
    gate = load_gate()
    assert check_corpus_hash(gate, corpus) is None
    items = load_corpus(corpus)
    scores = full_model.scores([(item.title, item.text) for item in items])
    is_ban, is_hard = split_masks(items)
    metrics = compute_metrics(is_ban, is_hard, scores, full_model.metadata.threshold)
    cv = {
        k.removeprefix("cv_"): v
        for k, v in full_model.metadata.metrics.items()
        if k.startswith("cv_")
    }
    cv_metrics = dataclasses.replace(metrics, **cv)  # type: ignore[arg-type]
    assert gate_failures(gate, "corpus", metrics) == []
    assert gate_failures(gate, "cv", cv_metrics) == []
