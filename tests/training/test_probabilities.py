"""ban_probabilities computes a sigmoid-calibrated linear model directly: exactly the
numbers of scikit-learn's predict_proba, for any batch size, and anything else goes
through predict_proba."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from classifiers.artifact import ModelArtifact
from classifiers.pipeline import ban_probabilities
from classifiers.text import document_text

DEV = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "current-events"


def _sklearn(pipeline: Pipeline, features: sparse.spmatrix) -> np.ndarray:
    classifier = pipeline.named_steps["classifier"]
    column = list(classifier.classes_).index(1)
    return np.asarray(classifier.predict_proba(features)[:, column])


def _synthetic(seed: int = 0, rows: int = 120) -> tuple[sparse.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = sparse.random(rows, 40, density=0.2, format="csr", random_state=seed)
    labels = (features[:, :5].sum(axis=1).A1 + rng.normal(0, 0.1, rows) > 0.3).astype(int)
    return features, labels


def _fitted(classifier: object) -> Pipeline:
    features, labels = _synthetic()
    return Pipeline([("classifier", classifier)]).fit(features, labels)


def test_the_shipped_model_gives_scikit_learns_numbers_on_real_news(model_path: Path) -> None:
    path = DEV / "items.jsonl"
    if not path.is_file():
        pytest.skip("../shared's dev corpus is absent")
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(4000), handle, strict=False)]
    artifact = ModelArtifact.load(model_path)
    features = artifact.pipeline.named_steps["features"].transform(
        [document_text("", row["text"]) for row in rows]
    )
    assert np.array_equal(ban_probabilities(artifact.pipeline, features),
                          _sklearn(artifact.pipeline, features))  # fmt: skip


@pytest.mark.parametrize(
    "estimator",
    [LinearSVC(class_weight="balanced", random_state=0), LogisticRegression(C=30.0)],
    ids=["svm", "logreg"],
)
def test_sigmoid_calibrated_linear_models_equal_scikit_learn_for_every_batch(
    estimator: object,
) -> None:
    pipeline = _fitted(CalibratedClassifierCV(estimator, cv=3, method="sigmoid"))
    features, _ = _synthetic(seed=1, rows=50)
    whole = ban_probabilities(pipeline, features)
    assert np.array_equal(whole, _sklearn(pipeline, features))
    assert 0.0 < whole.min() < whole.max() < 1.0  # real probabilities, not a constant
    for row in range(features.shape[0]):  # one article at a time, as the service scores
        one = ban_probabilities(pipeline, features[row])
        assert one.shape == (1,) and one[0] == _sklearn(pipeline, features[row])[0]
    assert ban_probabilities(pipeline, features[:0]).shape == (0,)


@pytest.mark.parametrize(
    "classifier",
    [
        CalibratedClassifierCV(LinearSVC(random_state=0), cv=3, method="isotonic"),
        CalibratedClassifierCV(MultinomialNB(), cv=3, method="sigmoid"),  # not linear
        LogisticRegression(),  # not calibrated
    ],
    ids=["isotonic", "naive-bayes", "uncalibrated"],
)
def test_other_classifiers_go_through_predict_proba(classifier: object) -> None:
    pipeline = _fitted(classifier)
    features, _ = _synthetic(seed=2, rows=30)
    assert np.array_equal(ban_probabilities(pipeline, features), _sklearn(pipeline, features))


def test_ban_is_read_from_the_column_of_class_one() -> None:
    features, labels = _synthetic()
    swapped = Pipeline([("classifier", CalibratedClassifierCV(LinearSVC(random_state=0), cv=3))])
    swapped.fit(features, np.where(labels == 1, 1, 2))  # classes [1, 2]: "ban" comes first
    probe, _ = _synthetic(seed=3, rows=20)
    expected = swapped.named_steps["classifier"].predict_proba(probe)[:, 0]
    assert np.array_equal(ban_probabilities(swapped, probe), expected)
