"""The pipeline factory, document_text and the "why" of predictions."""

from __future__ import annotations

import numpy as np
import pytest
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline

from classifiers.artifact import ModelArtifact
from classifiers.pipeline import KINDS, SKOPS_TRUSTED_TYPES, build_pipeline
from classifiers.text import document_text

TOY_DOCS = [document_text(t, "") for t in ["Iran bans Telegram", "Markets rise on rate hopes"] * 6]
TOY_LABELS = [1, 0] * 6


@pytest.mark.parametrize("kind", KINDS)
def test_factory_builds_an_unfitted_calibrated_pipeline(kind: str) -> None:
    pipeline = build_pipeline(kind, random_state=3)
    assert isinstance(pipeline, Pipeline)
    assert list(pipeline.named_steps) == ["features", "classifier"]
    classifier = pipeline.named_steps["classifier"]
    assert isinstance(classifier, CalibratedClassifierCV)
    assert classifier.estimator.class_weight == "balanced"
    assert classifier.estimator.random_state == 3
    assert not hasattr(classifier, "calibrated_classifiers_")


def test_factory_returns_fresh_objects_and_rejects_unknown_kinds() -> None:
    assert build_pipeline() is not build_pipeline()
    with pytest.raises(ValueError, match="unknown model kind 'forest'"):
        build_pipeline("forest")


@pytest.mark.parametrize("kind", KINDS)
def test_allow_list_is_exactly_what_each_kind_needs(kind: str) -> None:
    pipeline = build_pipeline(kind).fit(TOY_DOCS, TOY_LABELS)
    untrusted = sio.get_untrusted_types(data=sio.dumps(pipeline))
    assert sorted(untrusted) == sorted(SKOPS_TRUSTED_TYPES)


def test_same_seed_same_scores() -> None:
    first = build_pipeline(random_state=1).fit(TOY_DOCS, TOY_LABELS)
    second = build_pipeline(random_state=1).fit(TOY_DOCS, TOY_LABELS)
    np.testing.assert_array_equal(first.predict_proba(TOY_DOCS), second.predict_proba(TOY_DOCS))


def test_why_names_readable_ban_terms(small_model: ModelArtifact) -> None:
    [prediction] = small_model.predict(
        [("Russia blocks Telegram nationwide", "The regulator banned the app.")], top_k=3
    )
    facts = [w for w in prediction.why if not w.startswith('"')]
    terms = [w for w in prediction.why if w.startswith('"')]
    assert facts == [
        "actor: russia (government)", "action: blocks", "app: Telegram", "status: done",
    ]  # fmt: skip
    assert 1 <= len(terms) <= 3
    assert all(isinstance(term, str) and term.strip('"').strip() for term in terms)
    assert any("block" in term or "ban" in term for term in terms)
    for marker in ("_app_", "_place_", "<app>", "<place>", "mx_"):
        assert not any(marker in w for w in prediction.why)


def test_predict_is_ordered_and_empty_input_gives_nothing(small_model: ModelArtifact) -> None:
    docs = [("Russia blocks Telegram nationwide", ""), ("Local bakery wins award", "")]
    ban, bakery = small_model.predict(docs)
    assert ban.score > bakery.score
    assert 0.0 <= bakery.score <= ban.score <= 1.0
    assert small_model.predict([]) == []
