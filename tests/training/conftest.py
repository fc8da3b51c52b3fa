"""Shared fixtures: a small model trained once per session on a slice of our data."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from classifiers.artifact import ModelArtifact
from training.data import Example, load_examples, trainable
from training.train import train_model

FIXED_NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def small_examples(per_label: int = 50) -> list[Example]:
    """A deterministic, balanced slice of our data: fast to train on."""
    examples = trainable(load_examples())
    rng = random.Random(0)
    bans = rng.sample([e for e in examples if e.label == "ban"], per_label)
    others = rng.sample([e for e in examples if e.label == "other"], per_label * 2)
    return bans + others


@pytest.fixture(scope="session")
def small_model() -> ModelArtifact:
    return train_model(small_examples(), seed=0, now=lambda: FIXED_NOW)


@pytest.fixture(scope="session")
def saved_model(small_model: ModelArtifact, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.skops"
    small_model.save(path)
    return path
