"""Event groups: which examples describe the same real event, so CV folds never split one.

Our data holds several items per event (a headline, a bullet, a summary of the
same ban; the ban and its later lifting). Plain k-fold puts some in training
and the rest in testing, and the model recognises the event instead of the
pattern: cross-validated scores come out too good and so does the threshold
chosen from them. ``event_groups`` links two examples (union-find) when

- their ``source_note`` event texts are equal once normalised: lower case, the
  part before the first " (" and the first ";", any trailing date removed
  ("Nepal bans TikTok, 13 November 2023; bullet phrasing" -> "nepal bans tiktok");
- their notes share a (place, app, year) triple (classifiers.vocab names):
  "Kenya blocks Telegram ... 2024" and "Kenya restricts Telegram ... 2024";
- their texts are near duplicates: cosine of word 1-2 gram TF-IDF at least
  ``NEAR_DUPLICATE_COSINE`` (catches notes worded differently; 0.45 was checked
  by reading every cross-group pair above it: all were the same event).

Seeds 000-002 are one syndicated story (one group); other seeds, items without
a note, "generic" items and background items (``training.background``: notes starting
"background") are their own groups. Background items are left out of the near-duplicate
search (tens of thousands of them would make it quadratic in memory).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.vocab import app_names, place_names
from training.data import Example

NEAR_DUPLICATE_COSINE = 0.45
SYNDICATED_SEEDS = ("seed-000", "seed-001", "seed-002")

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_SEASON = r"(?:from|autumn|spring|summer|winter|early|late|mid-?)\s*"
_DATE = re.compile(
    rf",?\s*(?:{_SEASON})?(?:\d{{1,2}}\s+)?(?:(?:{_MONTHS})(?:\s+\d{{1,2}})?"
    rf"(?:[-–](?:{_MONTHS}))?\s+)?\d{{4}}(?:[-–]\d{{2,4}})?(?:\s+to\s+.*)?$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_NON_WORD = re.compile(r"\W+")


def event_groups(examples: Sequence[Example]) -> np.ndarray:
    """One integer group per example (aligned); equal numbers = the same event.

    A group's number is the index of its first example, so the numbering (and
    with it the CV folds) does not depend on set order or the hash seed.
    """
    parent = list(range(len(examples)))
    first: dict[str, int] = {}
    for index, example in enumerate(examples):
        for key in _keys(example):
            _union(parent, index, first.setdefault(key, index))
    ours = [i for i, e in enumerate(examples) if not e.source_note.startswith("background")]
    for i, j in _near_duplicates([examples[i] for i in ours]):
        _union(parent, ours[i], ours[j])
    roots = np.array([_find(parent, i) for i in range(len(examples))])
    _, first_index, numbers = np.unique(roots, return_index=True, return_inverse=True)
    return first_index[numbers]


def event_key(note: str) -> str:
    """The normalised event text of a ``source_note`` (see the module docstring)."""
    head = _DATE.sub("", note.split(" (")[0].split(";")[0])
    return _NON_WORD.sub(" ", head.lower()).strip()


def _keys(example: Example) -> set[str]:
    if example.id.startswith(SYNDICATED_SEEDS):
        return {"seed-syndicated"}
    note = example.source_note.strip()
    if example.id.startswith("seed-") or not note or note.startswith(("generic", "background")):
        return {f"id:{example.id}"}
    return {f"note:{event_key(note)}"} | {f"sig:{s}" for s in _signatures(note)}


def _signatures(note: str) -> set[str]:
    head = note.split(" (")[0]
    apps, places = app_names(head), place_names(head)
    years = set(_YEAR.findall(head))
    return {f"{p}|{a}|{y}" for p in places for a in apps for y in years}


def _near_duplicates(examples: Sequence[Example]) -> np.ndarray:
    if len(examples) < 2:
        return np.zeros((0, 2), dtype=int)
    docs = [f"{e.title} {e.text}" for e in examples]
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(docs)
    similarity = (matrix @ matrix.T).tocoo()
    keep = (similarity.row < similarity.col) & (similarity.data >= NEAR_DUPLICATE_COSINE)
    return np.column_stack([similarity.row[keep], similarity.col[keep]])


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving keeps the trees flat
        i = parent[i]
    return i


def _union(parent: list[int], i: int, j: int) -> None:
    parent[_find(parent, i)] = _find(parent, j)
