"""Real background news from ``../shared`` as extra training data (read at train time only).

``../shared/corpus/current-events-background/`` (beside the repository, never copied
into it) holds

- ``items.jsonl``: ~92k one-sentence news bullets, weakly labelled ``other``: trained
  on as ``Example``s with weight ``BACKGROUND_WEIGHT`` (lower than a hand label), a
  fixed random sample of ``BACKGROUND_SAMPLE`` of them so training stays within minutes;
  the rest (``held_out_texts``) is scored by the fitted model to place the threshold
  above all but 1 in 20,000 of them;
- ``hits.jsonl``: 703 hand-labelled keyword hits (ban / borderline / other) from the
  same source: trained on like our own labelled data (weight 1, borderline excluded).

``load_shared_examples`` returns both, or ``[]`` when the folder is absent (a Docker
image, a fresh checkout alone): training then falls back to ``training/data`` only.
The dev corpus ``../shared/corpus/current-events`` is never read here.
Ids are prefixed ``bg-`` and ``hit-`` so they never collide with ours; source notes
are ``background`` and ``background hit`` (each item its own event group).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from training.data import Example, TrainingDataError
from training.gate import shared_dir

BACKGROUND_RELATIVE = Path("corpus") / "current-events-background"
BACKGROUND_SAMPLE = 15_000
BACKGROUND_WEIGHT = 0.3
BACKGROUND_NOTE = "background"
HIT_NOTE = "background hit"


def is_background(example: Example) -> bool:
    """A weakly labelled background item (not a hand label)."""
    return example.source_note == BACKGROUND_NOTE


def training_examples(data_dir: Path | None = None) -> list[Example]:
    """Our labelled data plus, for the shipped data (``data_dir`` None), the shared
    background examples when ../shared holds them."""
    from training.data import load_examples

    shared = load_shared_examples() if data_dir is None else []
    return load_examples(data_dir) + shared


def background_dir() -> Path | None:
    """The background corpus folder, or None when ../shared does not hold it."""
    path = shared_dir() / BACKGROUND_RELATIVE
    return path if (path / "items.jsonl").is_file() else None


def load_shared_examples(
    folder: Path | None = None, *, sample: int = BACKGROUND_SAMPLE, seed: int = 0
) -> list[Example]:
    """The labelled hits, then a fixed sample of the background items; [] when absent."""
    folder = background_dir() if folder is None else folder
    if folder is None:
        return []
    hits = [_example(row, "hit-", HIT_NOTE, 1.0) for row in _rows(folder / "hits.jsonl")]
    items = list(_rows(folder / "items.jsonl"))
    if 0 <= sample < len(items):
        items = random.Random(seed).sample(items, sample)
    rows = [{**row, "label": "other"} for row in items]
    return hits + [_example(row, "bg-", BACKGROUND_NOTE, BACKGROUND_WEIGHT) for row in rows]


def held_out_texts(training_ids: set[str], folder: Path | None = None) -> list[str]:
    """The background items not trained on (ids not in ``training_ids``, which carry the
    ``bg-`` prefix): an out-of-sample estimate of the ordinary false-alert rate of a model
    fitted on the sample (``training.train.heldout_floor``). [] when the folder is absent."""
    folder = background_dir() if folder is None else folder
    if folder is None:
        return []
    rows = _rows(folder / "items.jsonl")
    return [str(row["text"]) for row in rows if "bg-" + str(row["id"]) not in training_ids]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                where = f"{path.name}:{number}"
                raise TrainingDataError(f"{where}: not valid JSON ({exc.msg})") from None
    return rows


def _example(row: dict[str, str], prefix: str, note: str, weight: float) -> Example:
    label = row.get("label", "other")
    if label not in ("ban", "other", "borderline"):
        raise TrainingDataError(f"background item {row.get('id')!r}: unknown label {label!r}")
    return Example(
        id=prefix + str(row["id"]),
        title="",
        text=str(row["text"]),
        label=label,  # type: ignore[arg-type]
        source_note=note,
        weight=weight,
    )
