"""Labelled training data: loading, validation, selection and fingerprinting.

Sources, all under ``training/data/`` (shipped with the package, so the service
trains without ../shared):

- ``seeds/*.txt``: supplied articles, each label ``ban``; the first line is the
  title, the rest the text; the id is ``seed-<file stem>``.
- ``*.jsonl``: one object per line ``{"id", "title", "text", "label", "source_note"}``.

Validation is strict and names the file and line: ids unique across all files,
label one of ``ban | other | borderline``, title or text non-empty, fields strings.
``borderline`` items are loaded (so they can be counted) but never trained on:
``trainable`` drops them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from monitor.core.errors import MonitorError

Label = Literal["ban", "other", "borderline"]
LABELS: tuple[str, ...] = ("ban", "other", "borderline")
DATA_DIR = Path(__file__).resolve().parent / "data"
_FIELDS = ("id", "title", "text", "label", "source_note")


class TrainingDataError(MonitorError):
    """The labelled data is unusable. ``str(err)`` names the file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled item."""

    id: str
    title: str
    text: str
    label: Label
    source_note: str = ""
    weight: float = 1.0  # training sample weight: below 1 for weak labels (training.background)


def load_examples(data_dir: Path | None = None) -> list[Example]:
    """Seeds then every ``*.jsonl`` (sorted by name) of ``data_dir``; validated."""
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    if not data_dir.is_dir():
        raise TrainingDataError(f"training data directory {data_dir} does not exist")
    examples = load_seeds(data_dir / "seeds")
    for path in sorted(data_dir.glob("*.jsonl")):
        examples.extend(load_jsonl(path))
    check_unique(examples)
    return examples


def load_seeds(seed_dir: Path) -> list[Example]:
    examples = []
    for path in sorted(seed_dir.glob("*.txt")):
        title, _, text = path.read_text("utf-8").strip().partition("\n")
        if not title.strip():
            raise TrainingDataError(f"{path}: empty seed document")
        examples.append(Example(f"seed-{path.stem}", title.strip(), text.strip(), "ban", "seed"))
    return examples


def load_jsonl(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                examples.append(parse_example(line, f"{path.name}:{number}"))
    return examples


def parse_example(line: str, where: str) -> Example:
    """One JSONL line -> Example, or ``TrainingDataError`` naming ``where``."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TrainingDataError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise TrainingDataError(f"{where}: expected a JSON object")
    data.setdefault("source_note", "")
    for name in _FIELDS:
        if not isinstance(data.get(name), str):
            raise TrainingDataError(f"{where}: field {name!r} missing or not a string")
    if not data["id"].strip():
        raise TrainingDataError(f"{where}: empty id")
    if data["label"] not in LABELS:
        raise TrainingDataError(
            f"{where}: unknown label {data['label']!r} (known: {', '.join(LABELS)})"
        )
    if not (data["title"].strip() or data["text"].strip()):
        raise TrainingDataError(f"{where}: id {data['id']!r} has neither title nor text")
    return Example(**{name: data[name] for name in _FIELDS})


def check_unique(examples: Iterable[Example]) -> None:
    seen: set[str] = set()
    for example in examples:
        if example.id in seen:
            raise TrainingDataError(f"duplicate example id {example.id!r}")
        seen.add(example.id)


def with_extra(examples: Sequence[Example], extra: Sequence[Example]) -> list[Example]:
    """``examples`` with ``extra`` applied: same id replaces (a relabel), new ids append."""
    check_unique(extra)
    replacements = {e.id: e for e in extra}
    merged = [replacements.pop(e.id, e) for e in examples]
    return merged + [e for e in extra if e.id in replacements]


def trainable(examples: Iterable[Example]) -> list[Example]:
    """Only ``ban`` and ``other``: borderline items are excluded from training and scores."""
    return [e for e in examples if e.label != "borderline"]


def data_sha256(examples: Iterable[Example]) -> str:
    """A fingerprint of the examples' content, independent of file layout."""
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda e: e.id):
        record = [example.id, example.title, example.text, example.label]
        digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()
