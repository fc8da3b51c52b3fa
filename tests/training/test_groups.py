"""Event groups and grouped cross-validation: one event never sits on both sides of a fold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from training.data import Example, load_examples, trainable
from training.evaluate import choose_threshold, cv_splits
from training.groups import event_groups, event_key

_NOTE = " (written in our own words)"


def _ex(id_: str, note: str, text: str, label: str = "ban") -> Example:
    return Example(id_, "", text, label, note)  # type: ignore[arg-type]


def test_event_key_drops_dates_variants_and_case() -> None:
    assert event_key("Nepal bans TikTok, 13 November 2023" + _NOTE) == "nepal bans tiktok"
    assert event_key("Nepal bans TikTok, November 2023; bullet phrasing" + _NOTE) == (
        "nepal bans tiktok"
    )
    assert event_key("Brazil's X suspension takes effect, August-October 2024" + _NOTE) == (
        "brazil s x suspension takes effect"
    )


def test_same_event_in_other_words_shares_a_group_and_other_events_do_not() -> None:
    examples = [
        _ex("a", "Nepal bans TikTok, 13 November 2023" + _NOTE, "Nepal bans TikTok."),
        _ex("b", "Nepal bans TikTok, November 2023; headline only" + _NOTE, "Kathmandu acts."),
        _ex("c", "Kenya blocks Telegram during exams, November 2024" + _NOTE, "Exams start."),
        _ex("d", "Kenya restricts Telegram, November 2024; bullet" + _NOTE, "Regulator acts."),
        _ex("e", "Kenya blocks Telegram, 2019" + _NOTE, "Another year."),
        _ex("f", "generic, written for this dataset", "Markets rise.", "other"),
        _ex("g", "generic, written for this dataset", "Rain expected.", "other"),
    ]
    a, b, c, d, e, f, g = event_groups(examples)
    assert a == b and c == d
    assert len({a, c, e, f, g}) == 5


def test_near_duplicate_texts_share_a_group_and_syndicated_seeds_are_one() -> None:
    text = "Morocco's telecom regulator bans voice calls over mobile data apps such as Skype."
    examples = [
        _ex("x", "Morocco's ANRT bans VoIP calls" + _NOTE, text),
        _ex("y", "Morocco bans VoIP; headline only" + _NOTE, text.replace("such as", "like")),
        _ex("seed-000_a", "seed", "UK bans TikTok on devices."),
        _ex("seed-002_b", "seed", "Cabinet Office bans TikTok."),
        _ex("seed-003_c", "seed", "European Parliament bans TikTok."),
    ]
    x, y, s0, s2, s3 = event_groups(examples)
    assert x == y and s0 == s2 and s3 != s0


def test_cv_folds_never_split_an_event_of_our_data() -> None:
    examples = trainable(load_examples())
    groups = event_groups(examples)
    labels = np.array([e.label == "ban" for e in examples])
    splits = cv_splits(examples, seed=0, folds=5)
    assert len(splits) == 5
    tested = np.concatenate([test for _, test in splits])
    assert sorted(tested.tolist()) == list(range(len(examples)))
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
        assert 0.2 < labels[test].mean() < 0.5  # still stratified (~1/3 bans)


def test_threshold_is_the_best_f1_with_enough_precision() -> None:
    # Ranked: ban ban other ban ban other other ban other other.
    scores = np.linspace(0.95, 0.05, 10)
    is_ban = np.array([1, 1, 0, 1, 1, 0, 0, 1, 0, 0], dtype=bool)
    # Best F1 overall keeps the top five (P 0.80 < 0.85, F1 0.80); with
    # precision >= 0.85 only the top one or two qualify, and two has the better F1.
    threshold = choose_threshold(is_ban, scores)
    assert np.sum(scores >= threshold) == 2
    assert scores[2] < threshold < scores[1]


def test_threshold_falls_back_to_best_f1_when_precision_is_never_reached() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    is_ban = np.array([0, 1, 0, 1], dtype=bool)
    threshold = choose_threshold(is_ban, scores)
    assert np.sum(scores >= threshold) == 4  # F1 0.67 at all four beats 0.5 at two


def test_group_numbers_do_not_depend_on_the_hash_seed() -> None:
    script = (
        "from training.data import load_examples, trainable;"
        "from training.groups import event_groups;"
        "print(event_groups(trainable(load_examples())).tolist())"
    )
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
