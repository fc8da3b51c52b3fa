"""Retraining: shipped data + stored labels -> a candidate model and the verdict on it.

``build_candidate(labels, active, options, now)``:

1. training data = ``training/data`` (plus, for the shipped data, the background corpus
   of ../shared when present: ``training.background``) with the labels applied (the
   latest label of an example wins; an id of a shipped example relabels it, others are
   added);
2. the candidate is fitted like ``train.train_model`` (cross-validated threshold; the
   number of folds is a parameter so tests can go faster, the product uses 5);
3. it is evaluated on
   - its own cross-validation (gate floors "cv"),
   - the shipped data with the labels it SHIPPED with (gate floors "cv"): a label set
     that contradicts our data wholesale is caught here even when it is self-consistent,
   - the current-events corpus when present (gate floors "corpus"),
   - the labelled history, time-ordered: a model fitted on the shipped data plus the
     older labels, tested on the newer ones (reported as ``history_*``);
4. ``decide`` (pure) promotes it only if every gate passes AND its recall on confirmed
   bans (latest label "ban", plus shipped bans no label overrides) is not below the
   active model's.

Nothing here touches the registry: ``monitor.scoring.registry`` stores and promotes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.artifact import ModelArtifact
from classifiers.text import document_text
from state.labels import StoredLabel
from training.background import load_shared_examples
from training.data import Example, TrainingDataError, data_sha256, load_examples, trainable
from training.data import with_extra as apply_extra
from training.evaluate import (
    as_items,
    compute_metrics,
    cross_val_scores,
    fit_pipeline,
    load_corpus,
    split_masks,
)
from training.gate import Gate, corpus_path, load_gate
from training.train import MIN_PER_CLASS, cv_metrics, final_metrics, shipped_floor

_TRAINING_LABEL = {"ban": "ban", "not_ban": "other"}


@dataclass(frozen=True)
class RetrainOptions:
    """How to build and judge a candidate. ``corpus`` "auto": ../shared when present."""

    data_dir: Path | None = None
    folds: int = 5
    seed: int = 0
    gate: Gate | None = None  # None: training/gate.json
    corpus: Path | str | None = "auto"
    history_fraction: float = 0.3  # newest share of labels held out in the time-ordered test
    min_history: int = 4  # fewer held-out labels than this: no time-ordered test


@dataclass(frozen=True, slots=True)
class Verdict:
    """The promotion decision and why."""

    promote: bool
    reasons: tuple[str, ...]
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Candidate:
    artifact: ModelArtifact | None  # None when training itself failed
    verdict: Verdict


def label_examples(labels: Sequence[StoredLabel]) -> list[Example]:
    """The winning label of each example as a training ``Example`` (pure)."""
    latest: dict[str, StoredLabel] = {}
    for label in sorted(labels, key=lambda lb: lb.seq):
        latest[label.example_id] = label
    return [
        Example(lb.example_id, lb.title, lb.text, _TRAINING_LABEL[lb.label], lb.note)  # type: ignore[arg-type]
        for lb in latest.values()
    ]


def time_split(
    labels: Sequence[StoredLabel], fraction: float, minimum: int
) -> tuple[list[StoredLabel], list[StoredLabel]]:
    """Winning labels by time: (older, newer); newer empty when too few to test on."""
    winners = sorted(
        {lb.example_id: lb for lb in sorted(labels, key=lambda x: x.seq)}.values(),
        key=lambda lb: (lb.labelled_at, lb.seq),
    )
    held = round(len(winners) * fraction)
    if held < minimum:
        return winners, []
    return winners[:-held], winners[-held:]


def confirmed_bans(shipped: Sequence[Example], extra: Sequence[Example]) -> list[Example]:
    """Bans a human stands behind: labelled ban, plus shipped bans nobody relabelled."""
    relabelled = {e.id for e in extra}
    kept = [e for e in shipped if e.label == "ban" and e.id not in relabelled]
    return kept + [e for e in extra if e.label == "ban"]


def recall(artifact: ModelArtifact, bans: Sequence[Example]) -> float:
    if not bans:
        return 1.0
    scores = artifact.scores([(e.title, e.text) for e in bans])
    return float(np.mean(scores >= artifact.metadata.threshold))


def fit_candidate(
    examples: Sequence[Example],
    *,
    folds: int,
    seed: int,
    now: Callable[[], datetime],
    fallback_floor: float | None = None,
) -> ModelArtifact:
    """``train.train_model`` with the number of CV folds as a parameter."""
    usable = trainable(examples)
    bans = sum(e.label == "ban" for e in usable)
    if min(bans, len(usable) - bans) < max(folds, MIN_PER_CLASS):
        raise TrainingDataError(
            f"too few examples to train: {bans} ban and {len(usable) - bans} other"
        )
    scores = cross_val_scores(usable, seed=seed, folds=folds)
    pipeline = _fit(usable, seed)
    metrics = final_metrics(
        pipeline, usable, scores, cv_metrics(usable, scores), fallback_floor=fallback_floor
    )
    return ModelArtifact.from_pipeline(
        pipeline,
        threshold=metrics["cv_threshold"],
        data_sha256=data_sha256(usable),
        metrics=metrics,
        kind="default",
        n_examples=len(usable),
        trained_at=now(),
    )


def _fit(examples: Sequence[Example], seed: int) -> Pipeline:
    docs = [document_text(e.title, e.text) for e in examples]
    labels = np.array([e.label == "ban" for e in examples], dtype=int)
    weights = np.array([e.weight for e in examples], dtype=float)
    return fit_pipeline(docs, labels, weights, "default", seed)


def history_metrics(
    shipped: Sequence[Example],
    older: Sequence[StoredLabel],
    newer: Sequence[StoredLabel],
    threshold: float,
    seed: int,
) -> dict[str, float]:
    """Train on shipped + older labels, test on newer labels (time-ordered evaluation)."""
    if not newer:
        return {}
    train = trainable(apply_extra(shipped, label_examples(older)))  # no background: fast
    test = label_examples(newer)
    pipeline = _fit(train, seed)
    artifact = ModelArtifact.from_pipeline(
        pipeline, threshold=threshold, data_sha256="", metrics={}, kind="default",
        n_examples=len(train), trained_at=newer[-1].labelled_at,
    )  # fmt: skip
    scores = artifact.scores([(e.title, e.text) for e in test])
    is_ban, is_hard = split_masks(as_items(test))
    m = compute_metrics(is_ban, is_hard, scores, threshold)
    return {"history_n": float(len(test)), "history_recall": m.recall,
            "history_precision": m.precision, "history_accuracy":
            float(np.mean((scores >= threshold) == is_ban))}  # fmt: skip


def evaluate_shipped(artifact: ModelArtifact, shipped: Sequence[Example]) -> dict[str, float]:
    items = as_items(shipped)
    scores = artifact.scores([(i.title, i.text) for i in items])
    is_ban, is_hard = split_masks(items)
    metrics = compute_metrics(is_ban, is_hard, scores, artifact.metadata.threshold)
    return {k: v for k, v in metrics.as_dict().items() if k != "threshold"}


def evaluate_corpus(artifact: ModelArtifact, corpus: Path) -> dict[str, float]:
    items = load_corpus(corpus)
    scores = artifact.scores([(i.title, i.text) for i in items])
    is_ban, is_hard = split_masks(items)
    metrics = compute_metrics(is_ban, is_hard, scores, artifact.metadata.threshold)
    return {k: v for k, v in metrics.as_dict().items() if k != "threshold"}


def decide(
    gate: Gate,
    evaluations: Mapping[str, tuple[str, Mapping[str, float]]],
    candidate_recall: float,
    active_recall: float | None,
) -> Verdict:
    """Pure: ``evaluations`` maps a name to (gate section, metrics). Promote iff no failure."""
    reasons: list[str] = []
    flat: dict[str, float] = {}
    for name, (section, metrics) in evaluations.items():
        flat |= {f"{name}_{k}": float(v) for k, v in metrics.items()}
        reasons += [f"{name}: {failure}" for failure in _failures(gate, section, metrics)]
    flat["confirmed_recall"] = candidate_recall
    if active_recall is not None:
        flat["active_confirmed_recall"] = active_recall
        if candidate_recall < active_recall:
            reasons.append(
                f"recall on confirmed bans {candidate_recall:.3f} < active {active_recall:.3f}"
            )
    return Verdict(not reasons, tuple(reasons), flat)


def _failures(gate: Gate, section: str, metrics: Mapping[str, float]) -> list[str]:
    floors = gate.floors.get(section, {})
    ceilings = gate.ceilings.get(section, {})
    out = [f"{k} {metrics[k]:.4f} < floor {v:.4f}" for k, v in floors.items() if metrics[k] < v]
    out += [
        f"{k} {metrics[k]:.5f} > ceiling {v:.5f}" for k, v in ceilings.items() if metrics[k] > v
    ]
    return out


def build_candidate(
    labels: Sequence[StoredLabel],
    active: ModelArtifact | None,
    options: RetrainOptions,
    now: Callable[[], datetime],
) -> Candidate:
    """Train and judge one candidate (see the module docstring). Never raises for bad data."""
    shipped = load_examples(options.data_dir)
    background = load_shared_examples() if options.data_dir is None else []
    extra = label_examples(labels)
    gate = options.gate or load_gate()
    try:
        artifact = fit_candidate(
            apply_extra(shipped + background, extra), folds=options.folds, seed=options.seed,
            now=now, fallback_floor=shipped_floor() if options.data_dir is None else None,
        )  # fmt: skip
    except TrainingDataError as exc:
        return Candidate(None, Verdict(False, (f"training failed: {exc}",)))
    evaluations: dict[str, tuple[str, Mapping[str, float]]] = {
        "cv": ("cv", {k.removeprefix("cv_"): v for k, v in artifact.metadata.metrics.items()}),
        "shipped": ("cv", evaluate_shipped(artifact, shipped)),
    }
    corpus = corpus_path() if options.corpus == "auto" else options.corpus
    if corpus is not None:
        evaluations["corpus"] = ("corpus", evaluate_corpus(artifact, Path(corpus)))
    older, newer = time_split(labels, options.history_fraction, options.min_history)
    history = history_metrics(shipped, older, newer, artifact.metadata.threshold, options.seed)
    bans = confirmed_bans(shipped, extra)
    verdict = decide(
        gate, evaluations, recall(artifact, bans), recall(active, bans) if active else None
    )
    metrics = {**verdict.metrics, **history}
    return Candidate(artifact, Verdict(verdict.promote, verdict.reasons, metrics))
