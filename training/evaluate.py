"""Evaluation: metrics, cross-validation on our data, the current-events corpus.

Pure functions over arrays of labels (True = ban) and scores (P(ban)). Items
split three ways, on our data and on the corpus alike:

- ``ban``;
- hard negatives: ``other`` items matching ``keyword_match`` (an app/platform
  term AND a ban verb), the filter the corpus README describes;
- ordinary: every other ``other`` item.

Precision is reported on ban + hard negatives (what the corpus labelled by
hand), the false-positive rate on ordinary items. ``borderline`` items are
excluded everywhere. The threshold comes from cross-validation on our data
(``choose_threshold``), never from the corpus, which is only reported on.

Cross-validation folds are grouped by event (``training.groups``): items about
the same event are never split between training and testing, which plain
stratified k-fold did (it overstated recall at the chosen threshold by ~0.08).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from classifiers.features import FastFeatures
from classifiers.pipeline import ban_probabilities, build_pipeline
from classifiers.text import document_text
from training.data import Example, trainable
from training.groups import event_groups
from training.progress import heartbeat

# Threshold rule: the best CV F1 among thresholds with CV precision >= MIN_PRECISION.
# On event-grouped CV a 0.85 floor gave the best F1 (recall 0.90 vs 0.82), but the
# product's promise is "no keyword noise": the issue asks for at most 1 false positive
# per 5,000 ordinary items, a rate our ~600 ordinary examples cannot resolve, so the
# operating point is set precision-first at 0.90 (lower it with [classifier] threshold
# for more recall). This choice was made after seeing both rules on the corpus:
# docs/classifier.md reports both operating points.
MIN_PRECISION = 0.90
# With the background corpus: at most one false alert per 20,000 ordinary items (the
# product's promise), estimated on the out-of-fold scores of the background sample.
MAX_BACKGROUND_FP_RATE = 1 / 20_000

_APP_TERMS = (
    r"apps?|application|platforms?|social (?:media|network(?:ing)?)|messaging|messenger|"
    r"online (?:service|game|platform)s?|website|video[- ]sharing|chatbot|search engine|"
    r"tik ?tok|douyin|wechat|weibo|telegram|whatsapp|signal|viber|skype|imo|line|"
    r"facebook|meta|instagram|threads|twitter|x|youtube|google|gmail|snapchat|"
    r"linkedin|reddit|discord|twitch|tumblr|pinterest|wikipedia|blogger|wordpress|"
    r"chatgpt|openai|deepseek|grok|gemini|pubg|fortnite|free fire|roblox|kaspersky|"
    r"zoom|netflix|spotify|uber|bing|yahoo|blackberry|vkontakte|vk|odnoklassniki|"
    r"yandex|baidu|kakaotalk|clubhouse|tinder|grindr|parler|gab|rumble|truth social|"
    r"bluesky|mastodon|temu|shein|capcut|lemon8|bigo|likee|vpns?|"
    r"myspace|orkut|megaupload|pirate bay|wikileaks|napster|kazaa"
)
_BAN_VERBS = (
    r"ban(?:s|ned|ning)?|block(?:s|ed|ing)?|suspend(?:s|ed|ing)?|suspension|"
    r"restrict(?:s|ed|ing|ions?)?|prohibit(?:s|ed|ing|ion)?|outlaw(?:s|ed|ing)?|"
    r"censor(?:s|ed|ing|ship)?|blacklist(?:s|ed|ing)?|shut(?:s|ting)? down"
)
_APP_RE = re.compile(rf"\b(?:{_APP_TERMS})\b", re.IGNORECASE)
_VERB_RE = re.compile(rf"\b(?:{_BAN_VERBS})\b", re.IGNORECASE)


def keyword_match(text: str) -> bool:
    """App/platform term AND ban verb: the corpus' hand-labelling filter, reproduced."""
    return bool(_APP_RE.search(text) and _VERB_RE.search(text))


@dataclass(frozen=True, slots=True)
class Metrics:
    """Scores at one threshold. ``precision`` is over ban + hard negatives."""

    threshold: float
    n_ban: int
    n_hard: int
    n_ordinary: int
    true_positives: int
    false_negatives: int
    hard_false_positives: int
    ordinary_false_positives: int
    precision: float
    recall: float
    f1: float
    pr_auc: float  # average precision over all non-borderline items
    ordinary_fp_rate: float

    def as_dict(self) -> dict[str, float]:
        keys = ("precision", "recall", "f1", "pr_auc", "ordinary_fp_rate", "threshold")
        return {key: float(getattr(self, key)) for key in keys}


def compute_metrics(
    is_ban: np.ndarray, is_hard: np.ndarray, scores: np.ndarray, threshold: float
) -> Metrics:
    """``is_ban``/``is_hard``/``scores`` are aligned; ordinary = neither ban nor hard."""
    predicted = scores >= threshold
    ordinary = ~is_ban & ~is_hard
    tp = int(np.sum(predicted & is_ban))
    fn = int(np.sum(~predicted & is_ban))
    hard_fp = int(np.sum(predicted & is_hard & ~is_ban))
    ordinary_fp = int(np.sum(predicted & ordinary))
    precision = tp / (tp + hard_fp) if tp + hard_fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n_ordinary = int(np.sum(ordinary))
    pr_auc = float(average_precision_score(is_ban, scores)) if is_ban.any() else 0.0
    return Metrics(
        threshold=float(threshold),
        n_ban=int(is_ban.sum()),
        n_hard=int(np.sum(is_hard & ~is_ban)),
        n_ordinary=n_ordinary,
        true_positives=tp,
        false_negatives=fn,
        hard_false_positives=hard_fp,
        ordinary_false_positives=ordinary_fp,
        precision=precision,
        recall=recall,
        f1=f1,
        pr_auc=pr_auc,
        ordinary_fp_rate=ordinary_fp / n_ordinary if n_ordinary else 0.0,
    )


def background_floor(scores: np.ndarray, rate: float = MAX_BACKGROUND_FP_RATE) -> float:
    """The lowest score a threshold must exceed so that at most ``rate`` of these
    background ``scores`` reach it: the (k+1)-th highest, k = int(rate * n); 0.0 if none."""
    if len(scores) == 0:
        return 0.0
    k = int(rate * len(scores))
    ranked = np.sort(np.asarray(scores, dtype=float))[::-1]
    return float(ranked[k]) if k < len(ranked) else 0.0


def choose_threshold(
    is_ban: np.ndarray,
    scores: np.ndarray,
    background: np.ndarray | None = None,
    floor: float | None = None,
) -> float:
    """The threshold with the best F1 among those with precision >= MIN_PRECISION and, when
    ``background`` rows are given, at most ``MAX_BACKGROUND_FP_RATE`` of them above it.

    Precision and F1 count only the hand-labelled rows (every negative among them, hard
    and ordinary): they are headline-style like the news the service reads, while the
    background rows are bullet-style weak negatives that would make any precision look
    good. The background rows set the ordinary false-alert rate instead. When no
    threshold meets both, the best F1 among those that meet the background rate (else
    the best F1 overall). Cuts fall only between distinct scores, halfway between the lowest
    accepted score and the next lower one, so a score equal to a training item's is not
    on the edge. ``floor`` (``background_floor`` of held-out background scores): only
    thresholds above it, so the held-out false-alert rate holds too.
    """
    background = np.zeros(len(scores), dtype=bool) if background is None else background
    order = np.argsort(-scores, kind="stable")
    ranked, labels = scores[order], is_ban[order].astype(bool)
    is_bg = background[order].astype(bool)
    tp = np.cumsum(labels)
    taken = np.cumsum(~is_bg)  # hand-labelled rows at or above each cut
    bg_fp = np.cumsum(is_bg & ~labels)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(taken > 0, tp / np.maximum(taken, 1), 0.0)
    f1 = 2 * tp / (taken + max(1, int(labels.sum())))
    distinct = np.r_[ranked[1:] != ranked[:-1], True]  # cut only between distinct scores
    bg_ok = bg_fp <= int(MAX_BACKGROUND_FP_RATE * is_bg.sum())
    if floor is not None:
        bg_ok &= ranked > floor
    ok = np.flatnonzero(distinct & (precision >= MIN_PRECISION) & bg_ok)
    capped = np.flatnonzero(distinct & bg_ok)
    candidates = ok if ok.size else capped if capped.size else np.flatnonzero(distinct)
    cut = int(candidates[np.argmax(f1[candidates])])  # first best: the higher threshold
    below = ranked[cut + 1] if cut + 1 < len(ranked) else 0.0
    if floor is not None and ranked[cut] > floor:
        below = max(below, floor)  # halfway to the floor at most: stay above it
    return float((ranked[cut] + below) / 2)


def cv_splits(
    examples: Sequence[Example], *, seed: int = 0, folds: int = 5
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays: stratified by label, never splitting an event group."""
    labels = np.array([e.label == "ban" for e in examples], dtype=int)
    groups = event_groups(examples)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(examples)), labels, groups))


def cross_val_scores(
    examples: Sequence[Example], *, kind: str = "default", seed: int = 0, folds: int = 5
) -> np.ndarray:
    """Out-of-fold P(ban) for each trainable example, in order (``cv_splits`` folds)."""
    docs = np.array([document_text(e.title, e.text) for e in examples], dtype=object)
    labels = np.array([e.label == "ban" for e in examples], dtype=int)
    weights = np.array([e.weight for e in examples], dtype=float)
    scores = np.zeros(len(examples))
    for fold, (train_idx, test_idx) in enumerate(cv_splits(examples, seed=seed, folds=folds)):
        task = f"cross-validation fold {fold + 1}/{folds} ({len(train_idx)} training rows)"
        with heartbeat(task):
            pipeline = fit_pipeline(
                docs[train_idx], labels[train_idx], weights[train_idx], kind, seed
            )
        features = FastFeatures(pipeline.named_steps["features"]).transform(docs[test_idx])
        scores[test_idx] = ban_probabilities(pipeline, features)
    return scores


def fit_pipeline(
    docs: Sequence[str] | np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    kind: str = "default",
    seed: int = 0,
) -> Pipeline:
    """A fresh pipeline of ``kind`` fitted with per-row sample weights."""
    pipeline = build_pipeline(kind, random_state=seed)
    return pipeline.fit(list(docs), labels, classifier__sample_weight=weights)


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """An item to score in evaluation: our examples and corpus items alike."""

    id: str
    title: str
    text: str
    label: str

    @property
    def is_hard(self) -> bool:
        return self.label != "ban" and keyword_match(f"{self.title} {self.text}")


def as_items(examples: Sequence[Example]) -> list[LabelledItem]:
    return [LabelledItem(e.id, e.title, e.text, e.label) for e in trainable(examples)]


def load_corpus(path: Path) -> list[LabelledItem]:
    """The current-events corpus without borderline items; each sentence is the text."""
    items = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["label"] != "borderline":
                items.append(LabelledItem(row["id"], "", row["text"], row["label"]))
    return items


def split_masks(items: Sequence[LabelledItem]) -> tuple[np.ndarray, np.ndarray]:
    is_ban = np.array([item.label == "ban" for item in items], dtype=bool)
    is_hard = np.array([item.is_hard for item in items], dtype=bool)
    return is_ban, is_hard


def worst_errors(
    items: Sequence[LabelledItem], scores: np.ndarray, threshold: float, n: int = 10
) -> tuple[list[tuple[LabelledItem, float]], list[tuple[LabelledItem, float]]]:
    """The highest-scoring false positives and the lowest-scoring false negatives."""
    order = np.argsort(-scores, kind="stable")
    fps = [(items[i], float(scores[i])) for i in order if scores[i] >= threshold]
    fns = [(items[i], float(scores[i])) for i in order[::-1] if scores[i] < threshold]
    return (
        [(it, s) for it, s in fps if it.label != "ban"][:n],
        [(it, s) for it, s in fns if it.label == "ban"][:n],
    )
