"""The ``monitor classify`` JSONL contract: parse input lines, score in batches, write results.

Input, one JSON object per line: ``{"id": str, "title": str, "text": str}``.
Output, exactly one line per input line, in order:

- ``{"id": str, "score": float in [0, 1], "is_ban": bool, "why": [str, ...]}``;
- or, for a line that cannot be scored, ``{"id": str | null, "error": str}``:
  bad JSON, not an object, ``id``/``title``/``text`` missing or not a string.
  ``id`` is echoed when it is a string, else null.

Blank (whitespace-only) lines are malformed too and get an error line: keeping
output line N for input line N lets callers join the two files by position
without reading ids. Lines are scored in batches of ``BATCH_SIZE`` through
``ModelArtifact.predict`` (the service's code path) and output is flushed per batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO

from classifiers.artifact import ModelArtifact

BATCH_SIZE = 512
_FIELDS = ("id", "title", "text")


@dataclass(frozen=True, slots=True)
class Request:
    id: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Malformed:
    id: str | None
    error: str


def parse_line(line: str) -> Request | Malformed:
    """One input line -> a request to score, or the reason it cannot be scored."""
    if not line.strip():
        return Malformed(None, "blank line")
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        return Malformed(None, f"invalid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        return Malformed(None, f"expected a JSON object, got {type(data).__name__}")
    item_id = data.get("id") if isinstance(data.get("id"), str) else None
    for name in _FIELDS:
        if name not in data:
            return Malformed(item_id, f"missing field {name!r}")
        if not isinstance(data[name], str):
            return Malformed(item_id, f"field {name!r} must be a string")
    return Request(data["id"], data["title"], data["text"])


def classify_lines(artifact: ModelArtifact, lines: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
    """Output records, one batch (list) at a time, in input order."""
    iterator = iter(lines)
    while batch := list(islice(iterator, BATCH_SIZE)):
        parsed = [parse_line(line) for line in batch]
        requests = [p for p in parsed if isinstance(p, Request)]
        predictions = iter(artifact.predict([(r.title, r.text) for r in requests]))
        yield [_result(p, predictions) for p in parsed]


def _result(parsed: Request | Malformed, predictions: Iterator[Any]) -> dict[str, Any]:
    if isinstance(parsed, Malformed):
        return {"id": parsed.id, "error": parsed.error}
    prediction = next(predictions)
    return {
        "id": parsed.id,
        "score": round(min(1.0, max(0.0, prediction.score)), 6),
        "is_ban": prediction.is_ban,
        "why": list(prediction.why),
    }


def classify_stream(artifact: ModelArtifact, infile: TextIO, outfile: TextIO) -> tuple[int, int]:
    """Score ``infile`` into ``outfile``; returns (lines scored, error lines)."""
    scored = errors = 0
    for records in classify_lines(artifact, infile):
        outfile.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        outfile.flush()
        errors += sum("error" in r for r in records)
        scored += sum("error" not in r for r in records)
    return scored, errors
