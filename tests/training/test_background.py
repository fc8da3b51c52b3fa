"""Background negatives from ../shared: loading, weights, grouping, and the threshold rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.background import (
    BACKGROUND_WEIGHT,
    is_background,
    load_shared_examples,
    training_examples,
)
from training.data import Example
from training.evaluate import choose_threshold
from training.groups import event_groups


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
