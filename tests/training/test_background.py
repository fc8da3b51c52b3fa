"""Background negatives from ../shared: loading, weights, grouping, and the threshold rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.pipeline import ban_probabilities
from classifiers.text import document_text
from training import fallback_floor
from training.background import (
    BACKGROUND_WEIGHT,
    held_out_texts,
    is_background,
    load_shared_examples,
    training_examples,
)
from training.data import Example, data_sha256, load_examples, trainable
from training.evaluate import background_floor, choose_threshold, fit_pipeline
from training.fallback_floor import scoring_code_sha256
from training.groups import event_groups
from training.train import (
    FALLBACK_FLOOR,
    cv_metrics,
    final_metrics,
    heldout_floor,
    shipped_floor,
)


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row) + "\n" for row in rows)
    (folder / name).write_text(text, encoding="utf-8")


def test_hits_keep_their_labels_and_background_is_a_weighted_sample(tmp_path: Path) -> None:
    _write(tmp_path, "hits.jsonl", [
        {"id": "h1", "date": "2020-01-01", "text": "China blocks Google services.", "label": "ban"},
        {"id": "h2", "date": "2020-01-02", "text": "Myanmar cuts the internet.",
         "label": "borderline"},
    ])  # fmt: skip
    _write(tmp_path, "items.jsonl", [
        {"id": f"b{i}", "date": "2020-01-03", "text": f"Ordinary news number {i}."}
        for i in range(10)
    ])  # fmt: skip
    examples = load_shared_examples(tmp_path, sample=4, seed=1)
    assert [(e.id, e.label, e.weight) for e in examples[:2]] == [
        ("hit-h1", "ban", 1.0), ("hit-h2", "borderline", 1.0),
    ]  # fmt: skip
    background = examples[2:]
    assert len(background) == 4 and all(is_background(e) for e in background)
    assert {e.label for e in background} == {"other"}
    assert {e.weight for e in background} == {BACKGROUND_WEIGHT}
    assert [e.id for e in background] == [
        e.id for e in load_shared_examples(tmp_path, sample=4, seed=1)[2:]
    ]


def test_an_explicit_data_dir_never_pulls_in_shared_data(tmp_path: Path) -> None:
    _write(tmp_path, "a.jsonl", [{"id": "x", "title": "T", "text": "", "label": "other"}])
    assert [e.id for e in training_examples(tmp_path)] == ["x"]


def test_background_items_are_their_own_event_groups() -> None:
    examples = [
        Example(f"bg-{i}", "", "Iran blocks Telegram amid protests.", "other", "background", 0.3)
        for i in range(3)
    ]
    assert len(set(event_groups(examples).tolist())) == 3


def test_threshold_rule_caps_background_false_alerts_and_ignores_them_for_precision() -> None:
    # Hand-labelled: bans at 0.9 and 0.6, a negative at 0.5. Background: 40,000 rows at
    # 0.1 and one at 0.7 (a 1-in-20,000 budget allows two; one is fine) and one at 0.65.
    scores = np.r_[0.9, 0.6, 0.5, np.full(40_000, 0.1), 0.7, 0.65]
    is_ban = np.r_[True, True, False, np.zeros(40_002, dtype=bool)]
    background = np.r_[False, False, False, np.ones(40_002, dtype=bool)]
    assert 0.5 < choose_threshold(is_ban, scores, background) < 0.6  # both bans, 2 bg FPs
    tight = np.r_[0.9, 0.6, 0.5, np.full(10_000, 0.1), 0.7, 0.65]
    mask = np.r_[False, False, False, np.ones(10_002, dtype=bool)]
    ban10k = np.r_[True, True, False, np.zeros(10_002, dtype=bool)]
    assert choose_threshold(ban10k, tight, mask) > 0.7  # no background FP allowed in 10k


def test_held_out_background_is_every_item_not_trained_on(tmp_path: Path) -> None:
    _write(tmp_path, "hits.jsonl", [])
    _write(tmp_path, "items.jsonl", [
        {"id": f"b{i}", "date": "2020-01-03", "text": f"Ordinary news number {i}."}
        for i in range(10)
    ])  # fmt: skip
    trained = {e.id for e in load_shared_examples(tmp_path, sample=4, seed=1)}
    held = held_out_texts(trained, tmp_path)
    assert len(held) == 6
    assert not {f"Ordinary news number {e[4:]}." for e in trained} & set(held)
    assert held_out_texts(set(), tmp_path / "absent") == []


def test_background_floor_lets_at_most_one_in_twenty_thousand_through() -> None:
    scores = np.r_[np.full(40_000, 0.1), 0.9, 0.8, 0.7, 0.6]  # 40,004 rows: two may pass
    floor = background_floor(scores)
    assert floor == 0.7
    assert int(np.sum(scores > floor)) == 2
    assert background_floor(np.r_[np.full(100, 0.2), 0.5]) == 0.5  # small: none may pass
    assert background_floor(np.array([])) == 0.0


def test_threshold_rule_stays_above_the_held_out_floor() -> None:
    # Hand-labelled bans at 0.9, 0.8, 0.6, a negative at 0.3: alone the rule cuts below 0.6.
    scores = np.array([0.9, 0.8, 0.6, 0.3])
    is_ban = np.array([True, True, True, False])
    assert 0.3 < choose_threshold(is_ban, scores) < 0.6
    # A held-out background item scored 0.7 must stay below the threshold.
    with_floor = choose_threshold(is_ban, scores, floor=0.7)
    assert 0.7 < with_floor <= 0.8


def test_the_served_threshold_sits_above_the_held_out_background(tmp_path: Path) -> None:
    # A small model on our own data plus four background rows; the held-out background
    # holds one ban-like bullet, which the threshold must leave below it.
    ours = [e for e in trainable(load_examples()) if e.source_note != "seed"][::6]
    _write(tmp_path, "hits.jsonl", [])
    _write(tmp_path, "items.jsonl", [
        {"id": f"b{i}", "date": "2020-01-03", "text": f"Ordinary market news number {i}."}
        for i in range(4)
    ] + [{"id": "loud", "date": "2020-01-04",
          "text": "Iran's government blocks Telegram and WhatsApp nationwide."}])  # fmt: skip
    everything = load_shared_examples(tmp_path, sample=-1)
    usable = trainable(ours + [e for e in everything if e.id != "bg-loud"])
    docs = [document_text(e.title, e.text) for e in usable]
    labels = np.array([e.label == "ban" for e in usable], dtype=int)
    pipeline = fit_pipeline(docs, labels, np.array([e.weight for e in usable]))
    loud = float(ban_probabilities(pipeline, pipeline.named_steps["features"].transform(
        [document_text("", "Iran's government blocks Telegram and WhatsApp nationwide.")]
    ))[0])  # fmt: skip
    held = heldout_floor(pipeline, usable, tmp_path)
    assert held == (loud, 1)
    # Out-of-fold scores stand in for CV: the bans spread from half the loud item's score
    # up, the negatives below, so alone the rule would cut below the loud item.
    cv_scores = np.full(len(labels), loud / 4)
    cv_scores[labels == 1] = np.linspace(loud / 2, 1.0, int(labels.sum()))
    plain = cv_metrics(usable, cv_scores)
    metrics = final_metrics(pipeline, usable, cv_scores, plain, tmp_path)
    assert plain.threshold < loud < metrics["cv_threshold"]
    assert metrics["heldout_background_floor"] == loud and metrics["heldout_background_n"] == 1
    assert final_metrics(pipeline, ours, cv_scores[: len(ours)], plain, tmp_path) == {
        f"cv_{k}": v for k, v in plain.as_dict().items()
    }  # no background rows: the CV rule alone


def test_without_shared_the_shipped_floor_places_the_threshold(tmp_path: Path) -> None:
    ours = [e for e in trainable(load_examples()) if e.source_note != "seed"][::6]
    docs = [document_text(e.title, e.text) for e in ours]
    labels = np.array([e.label == "ban" for e in ours], dtype=int)
    pipeline = fit_pipeline(docs, labels, np.array([e.weight for e in ours]))
    cv_scores = np.full(len(labels), 0.1)
    cv_scores[labels == 1] = np.linspace(0.2, 1.0, int(labels.sum()))
    plain = cv_metrics(ours, cv_scores)
    assert plain.threshold < 0.2
    metrics = final_metrics(pipeline, ours, cv_scores, plain, tmp_path, fallback_floor=0.9)
    assert 0.9 < metrics["cv_threshold"] < 1.0
    assert metrics["shipped_background_floor"] == 0.9
    assert metrics["cv_recall"] < plain.recall


def test_shipped_floor_is_read_from_its_file_and_missing_or_corrupt_is_none(
    tmp_path: Path,
) -> None:
    good = tmp_path / "floor.json"
    good.write_text(json.dumps({"heldout_background_floor": 0.91}), encoding="utf-8")
    assert shipped_floor(good) == 0.91
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert shipped_floor(bad) is None
    assert shipped_floor(tmp_path / "absent.json") is None


def test_the_shipped_floor_was_measured_on_todays_training_data() -> None:
    # training/data or the scoring code changed: rerun `python -m training.fallback_floor`
    # (needs ../shared, minutes).
    recorded = json.loads(FALLBACK_FLOOR.read_text(encoding="utf-8"))
    assert recorded["data_sha256"] == data_sha256(trainable(load_examples()))
    assert recorded["scoring_code_sha256"] == scoring_code_sha256()
    assert 0.0 < recorded["heldout_background_floor"] < 1.0
    assert recorded["background_n"] >= 50_000


def test_the_scoring_code_fingerprint_sees_code_not_docstrings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "scoring.py"
    monkeypatch.setattr(fallback_floor, "SCORING_CODE", (module,))
    module.write_text('"""One."""\n\ndef f():\n    """A."""\n    return 300  # a comment\n')
    first = fallback_floor.scoring_code_sha256()
    module.write_text('"""Two."""\n\ndef f():\n    """B."""\n    return 300\n')
    assert fallback_floor.scoring_code_sha256() == first
    module.write_text('"""Two."""\n\ndef f():\n    """B."""\n    return 301\n')
    assert fallback_floor.scoring_code_sha256() != first
