"""The meaning analyser measured per field on a hand-labelled headline table.

``training/meaning/headlines.jsonl``: one object per line ``{"id", "title", "actor",
"target", "modality", "main_clause", "label"}`` (kinds as in ``classifiers.meaning``;
``main_clause`` a boolean). ``field_accuracy`` runs ``classifiers.meaning.analyse`` on
each title and returns the share of rows where each field matches the table; the
floors are pinned by ``tests/training/test_meaning.py`` and reported by ``monitor eval``.
Not the dev corpus, and never trained on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers.meaning import Meaning, analyse
from training.data import TrainingDataError

TABLE = Path(__file__).resolve().parent / "meaning" / "headlines.jsonl"
FIELDS = ("actor", "target", "modality", "main_clause")


@dataclass(frozen=True, slots=True)
class MeaningRow:
    id: str
    title: str
    expected: Meaning


def load_table(path: Path = TABLE) -> list[MeaningRow]:
    rows = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                expected = Meaning(
                    actor=str(data["actor"]),
                    target=str(data["target"]),
                    modality=str(data["modality"]),
                    main_clause=_flag(data["main_clause"]),
                )
                rows.append(MeaningRow(str(data["id"]), str(data["title"]), expected))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise TrainingDataError(f"{Path(path).name}:{number}: {exc}") from None
    return rows


def field_accuracy(rows: Sequence[MeaningRow]) -> dict[str, float]:
    """Per field, the share of rows the analyser gets right (0.0 for no rows)."""
    hits = dict.fromkeys(FIELDS, 0)
    for row in rows:
        got = analyse(row.title)
        for name in FIELDS:
            hits[name] += getattr(got, name) == getattr(row.expected, name)
    return {name: hits[name] / len(rows) if rows else 0.0 for name in FIELDS}


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return value.lower() in ("true", "yes")
    raise TypeError(f"main_clause must be a boolean, not {value!r}")
