"""The model: one factory for every scikit-learn pipeline, and the "why" of a prediction.

A pipeline takes documents made by ``classifiers.text.document_text`` and
predicts ``[P(other), P(ban)]``. Features are TF-IDF over word 1-3 grams seen
in at least two documents (these also explain predictions: "banned",
"government devices"; a word n-gram of one document only is noise that the
model memorises) united with TF-IDF over character 2-5 grams inside word
boundaries of the headline and the first ``CHAR_LEAD`` characters of the lead
(``headline_chars``; robust to inflections and unseen names: "TikTok's", "bans",
"banning"), each limited to its most frequent n-grams, and the headline's
meaning markers (``classifiers.meaning``; words starting "mx_", read only by
their own binary branch, weighted ``MEANING_WEIGHT``). Word and character
features use sublinear tf so a word repeated in a long lead does not dominate.
Fitted with per-example sample weights (``classifier__sample_weight``). Scoring
transforms with ``classifiers.features.FastFeatures``: the same matrix, the character
n-grams cut once per word instead of once per occurrence; ``ban_probabilities``
computes the calibrated linear model's probabilities directly: the same numbers
without scikit-learn's per-call input validation (~3.5 ms a call; the service scores a
few articles at a time).

Kinds (all compared by ``monitor eval``):

- ``svm``: linear SVM (hinge loss, C=1), sigmoid-calibrated with ``CalibratedClassifierCV``
- ``logreg``: logistic regression (C=30), sigmoid-calibrated
- ``default``: an alias of ``svm``

How the default was chosen (our data only, never the corpus): event-grouped
5-fold CV (``training.groups``), mean over split seeds 0, 1, 2; the highest
PR-AUC wins, F1 at the threshold rule of ``training.evaluate.choose_threshold``
breaks near-ties. Measured on 1,215 trainable examples (2026-11)::

    kind / features                          PR-AUC   F1 at threshold
    logreg C=10, words 1-2 (previous)         0.926   0.873
    svm C=0.5, words 1-2 (previous)           0.929   0.874
    mean of both (averaged probabilities)     0.928   0.874
    svm C=0.5, words 1-2, no char n-grams     0.923   0.871  (chars add ~0.005)
    logreg C=30, words 1-2 min_df 2           0.934   0.885
    mean logreg C=30 + svm C=1, min_df 2      0.936   0.887
    svm C=2, words 1-2 min_df 2               0.937   0.895
    svm C=1, words 1-3 min_df 2 (default)     0.938   0.893

The differences between the last four are within split noise (~0.005); the
averaged ensemble was not better than either member, so it is not shipped.
Both kinds handle class imbalance with ``class_weight="balanced"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn import calibration
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    TfidfVectorizer,
    strip_accents_unicode,
)
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model import _base as linear_base
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from classifiers.vocab import APP_MARK, PLACE_MARK

KINDS = ("default", "logreg", "svm")
DEFAULT_KIND = "svm"
CALIBRATION_FOLDS = 5

# Exactly the types of these pipelines that skops does not trust by default
# (checked with skops.io.get_untrusted_types on a fitted pipeline of each kind).
# A test keeps this list equal to what the factory produces, no more.
SKOPS_TRUSTED_TYPES = (
    "classifiers.pipeline.headline_chars",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)

# Apostrophes join a word to its suffix so "TikTok's" stays one token.
# The meaning marker words (classifiers.meaning, prefix "mx_") are left to their own branch.
_TOKEN_PATTERN = r"(?u)\b(?!mx_)\w[\w'’]*\b"
_MEANING_PATTERN = r"\bmx_\w+"
MEANING_WEIGHT = 1.5
# The most frequent n-grams only: bounds the model's size and load time (a vocabulary is
# loaded term by term; hashing instead was slower to score).
WORD_FEATURES = 30_000
CHAR_FEATURES = 40_000
CHAR_LEAD = 300


def build_pipeline(kind: str = "default", random_state: int = 0) -> Pipeline:
    """A fresh, unfitted pipeline of the given kind (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r} (known: {', '.join(KINDS)})")
    if kind == "default":
        kind = DEFAULT_KIND
    base = _logreg(random_state) if kind == "logreg" else _svm(random_state)
    calibrated = CalibratedClassifierCV(base, method="sigmoid", cv=CALIBRATION_FOLDS)
    return Pipeline([("features", _features()), ("classifier", calibrated)])


def _features() -> FeatureUnion:
    words = TfidfVectorizer(
        ngram_range=(1, 3),
        token_pattern=_TOKEN_PATTERN,
        sublinear_tf=True,
        min_df=2,
        max_features=WORD_FEATURES,
        strip_accents="unicode",
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        preprocessor=headline_chars,
        sublinear_tf=True,
        min_df=2,
        max_features=CHAR_FEATURES,
    )
    meaning = TfidfVectorizer(
        token_pattern=_MEANING_PATTERN, lowercase=False, use_idf=False, binary=True
    )
    return FeatureUnion(
        [("words", words), ("chars", chars), ("meaning", meaning)],
        transformer_weights={"words": 1.0, "chars": 1.0, "meaning": MEANING_WEIGHT},
    )


def headline_chars(doc: str) -> str:
    """What the character n-grams read: the document's first line (the marked headline)
    and the first ``CHAR_LEAD`` characters of its lead, lower-cased, accents stripped.
    The whole document's characters cost most of the scoring time and did not help
    (dev PR-AUC 0.959 with them, 0.967 with this); the headline alone scored as well on
    dev but weakened the relabel-retrain guarantee (docs/classifier.md, "Model")."""
    lines = doc.split("\n")
    head = lines[0]
    lead = lines[2] if len(lines) > 3 else ""  # headline, headline, lead, markers
    return strip_accents_unicode(f"{head} {lead[:CHAR_LEAD]}".lower())


def _logreg(random_state: int) -> LogisticRegression:
    return LogisticRegression(
        C=30.0, class_weight="balanced", max_iter=2000, random_state=random_state
    )


def _svm(random_state: int) -> LinearSVC:
    return LinearSVC(C=1.0, class_weight="balanced", random_state=random_state)


def compact(pipeline: Pipeline) -> Pipeline:
    """The fitted ``pipeline`` with plain ``int`` vocabulary indices (in place; returned).

    scikit-learn stores them as numpy integers, which skops writes one object at a time:
    a 40,000-term vocabulary took ~50 s to save and seconds to load; plain ints take ~1 s.
    Predictions are unchanged.
    """
    for _, step in pipeline.named_steps["features"].transformer_list:
        vocabulary = getattr(step, "vocabulary_", None)
        if vocabulary is not None:
            step.vocabulary_ = {term: int(index) for term, index in vocabulary.items()}
    return pipeline


def ban_probabilities(pipeline: Pipeline, features: sparse.csr_matrix) -> np.ndarray:
    """P(ban) for already-transformed rows (class 1 is "ban").

    A sigmoid-calibrated linear model (what ``build_pipeline`` fits) is computed
    directly, with scikit-learn's own arithmetic in its order: per calibration fold the
    decision ``X @ coef.T + intercept``, Platt's ``expit(-(a * d + b))``, then the mean of
    the folds. The same numbers, without scikit-learn's input validation (~3.5 ms a
    call on an idle core, ~8 ms in the running service; it scores a few articles at a
    time). Any other classifier goes through ``predict_proba``."""
    classifier = pipeline.named_steps["classifier"]
    folds = _platt_folds(classifier)
    if folds is None:
        column = list(classifier.classes_).index(1)
        return np.asarray(classifier.predict_proba(features)[:, column])
    total = np.zeros(features.shape[0])
    for coef, intercept, a, b in folds:
        decision = np.asarray(features @ coef.T) + intercept
        proba = expit(-(a * decision.reshape(-1) + b))
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0  # as scikit-learn clips
        total += proba
    total /= len(folds)
    return total


def _platt_folds(classifier: Any) -> list[tuple[np.ndarray, np.ndarray, float, float]] | None:
    """(coef, intercept, a, b) of each fold of a binary ``CalibratedClassifierCV`` over
    linear models with sigmoid calibration and classes [0, 1]; None for anything else."""
    fold_type = getattr(calibration, "_CalibratedClassifier", None)  # private: may move
    sigmoid_type = getattr(calibration, "_SigmoidCalibration", None)
    linear = getattr(getattr(linear_base, "LinearClassifierMixin", None), "decision_function", None)
    if (
        type(classifier) is not CalibratedClassifierCV
        or getattr(classifier, "method", "") != "sigmoid"
        or None in (fold_type, sigmoid_type, linear)
    ):
        return None
    if list(getattr(classifier, "classes_", [])) != [0, 1]:
        return None
    folds = []
    for fold in getattr(classifier, "calibrated_classifiers_", ()):
        estimator = fold.estimator
        calibrators: list[Any] = list(getattr(fold, "calibrators", ()))
        if (
            type(fold) is not fold_type
            or fold.method != "sigmoid"
            or list(fold.classes) != [0, 1]
            or list(getattr(estimator, "classes_", [])) != [0, 1]
            or getattr(type(estimator), "decision_function", None) is not linear
            or len(calibrators) != 1
            or type(calibrators[0]) is not sigmoid_type
            or np.shape(estimator.coef_)[0] != 1
        ):
            return None
        calibrator = calibrators[0]
        folds.append((estimator.coef_, estimator.intercept_, calibrator.a_, calibrator.b_))
    return folds or None


def word_coefficients(pipeline: Pipeline) -> np.ndarray:
    """The linear weight of each word feature toward "ban", averaged over calibration folds."""
    classifier = pipeline.named_steps["classifier"]
    n_words = len(pipeline.named_steps["features"].transformer_list[0][1].vocabulary_)
    coefs = [np.ravel(c.estimator.coef_)[:n_words] for c in classifier.calibrated_classifiers_]
    return np.mean(coefs, axis=0)


def word_names(pipeline: Pipeline) -> np.ndarray:
    words = pipeline.named_steps["features"].transformer_list[0][1]
    return words.get_feature_names_out()


def top_terms(
    features: sparse.csr_matrix, coefficients: np.ndarray, names: np.ndarray, top_k: int
) -> list[tuple[str, ...]]:
    """Per row, the ``top_k`` word terms with the largest positive coef * tf-idf.

    ``features`` may hold more columns than words (the character n-grams come
    after them); only the word columns are read, since character n-grams do not
    read as an explanation. Terms made only of stop words are left out.
    """
    words = sparse.csr_matrix(features[:, : len(coefficients)])
    contributions = words.multiply(coefficients.reshape(1, -1)).tocsr()
    return [_row_top(contributions, i, names, top_k) for i in range(contributions.shape[0])]


def _row_top(matrix: sparse.csr_matrix, row: int, names: np.ndarray, top_k: int) -> tuple[str, ...]:
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    values, columns = matrix.data[start:end], matrix.indices[start:end]
    order = np.argsort(-values, kind="stable")
    terms: list[str] = []
    for position in order:
        if values[position] <= 0 or len(terms) >= top_k:
            break
        term = str(names[columns[position]])
        if not _only_stop_words(term) and not _only_marks(term):
            terms.append(plain_term(term))
    return tuple(terms)


def plain_term(term: str) -> str:
    """A word n-gram in plain words: the type marks become "an app" and "a place"."""
    words = term.replace(APP_MARK, " an app ").replace(PLACE_MARK, " a place ").split()
    return " ".join(words)


def _only_marks(term: str) -> bool:
    return all(word in (APP_MARK, PLACE_MARK) for word in term.split())


def _only_stop_words(term: str) -> bool:
    return all(word in ENGLISH_STOP_WORDS for word in term.split())
