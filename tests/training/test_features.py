"""FastFeatures gives exactly scikit-learn's feature matrix, with a bounded word cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from classifiers.artifact import ModelArtifact
from classifiers.features import FastFeatures
from classifiers.text import document_text
from training.data import load_examples

BACKGROUND = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
ODD_TEXTS = [
    ("", ""),
    ("   ", "\t\n"),
    ("Ünïcödé Türkiye blocks TikTok’s app", "Ça va. Naïve café Łódź ß İstanbul"),
    ("A" * 300, "x" * 5000),
    ("a b c d e", "I. U.S. EU UK. — – - _app_ _place_ mx_ban"),
    ("Iran bans Telegram", "Iran bans Telegram. The ministry said on Monday that it will."),
    ("12 345 6,789", "emoji 🙂🙂 and\u00a0non-breaking\u2009spaces"),
]


def _same(left: sparse.spmatrix, right: sparse.spmatrix) -> bool:
    return left.shape == right.shape and (left != right).nnz == 0


def _documents() -> list[str]:
    docs = [document_text(e.title, e.text) for e in load_examples()]
    return docs + [document_text(title, text) for title, text in ODD_TEXTS]


@pytest.mark.parametrize("cache_words", [3, 10_000])
def test_equals_scikit_learns_transform_on_our_data(model_path: Path, cache_words: int) -> None:
    union = ModelArtifact.load(model_path).pipeline.named_steps["features"]
    fast = FastFeatures(union, cache_words=cache_words)
    docs = _documents()
    for start in range(0, len(docs), 500):
        chunk = docs[start : start + 500]
        assert _same(fast.transform(chunk), union.transform(chunk))
    assert 0 < fast.cached_words <= cache_words


def test_equals_scikit_learns_transform_on_real_news(model_path: Path) -> None:
    path = BACKGROUND / "current-events-background" / "items.jsonl"
    if not path.is_file():
        pytest.skip("../shared's background corpus is absent")
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(5000), handle, strict=False)]
    docs = [document_text("", row["text"]) for row in rows]
    union = ModelArtifact.load(model_path).pipeline.named_steps["features"]
    assert _same(FastFeatures(union).transform(docs), union.transform(docs))


def test_scores_are_unchanged(model_path: Path) -> None:
    artifact = ModelArtifact.load(model_path)
    pairs = [(e.title, e.text) for e in load_examples()[:300]] + ODD_TEXTS
    union = artifact.pipeline.named_steps["features"]
    slow = artifact.pipeline.named_steps["classifier"].predict_proba(
        union.transform([document_text(t, x) for t, x in pairs])
    )[:, 1]
    assert list(artifact.scores(pairs)) == list(slow)


def test_a_union_without_a_char_wb_branch_goes_through_scikit_learn() -> None:
    docs = ["Iran bans Telegram", "Markets rise", "Brazil suspends X", "Rain in Paris"] * 3
    union = FeatureUnion(
        [("words", TfidfVectorizer()), ("chars", TfidfVectorizer(analyzer="char"))],
        transformer_weights={"words": 2.0},
    ).fit(docs)
    fast = FastFeatures(union)
    assert _same(fast.transform(docs), union.transform(docs))
    assert fast.cached_words == 0  # nothing was cut by the fast path


def test_a_binary_char_wb_branch_goes_through_scikit_learn() -> None:
    docs = ["Iran bans bans Telegram", "Markets rise rise rise"] * 3
    union = FeatureUnion([("chars", TfidfVectorizer(analyzer="char_wb", binary=True))]).fit(docs)
    fast = FastFeatures(union)
    assert _same(fast.transform(docs), union.transform(docs))
    assert fast.cached_words == 0
