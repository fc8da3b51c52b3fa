"""Labels: a human verdict on an item, with provenance; the JSONL exchange format.

Contract:

- ``apply_label(store, ref, verdict, who, source, now)``: ``ref`` is an alert id
  (``al-...``) or an item id (``123`` / ``item-123``); the item's title, text, text hash
  and the model version and score that produced it are stored with the verdict. The
  latest label of an example wins; earlier ones stay as history. Raises
  ``UnknownItemError`` when ``ref`` names nothing stored.
- ``export_records`` / ``parse_records``: the training format of ``training.data``
  (``{"id","title","text","label","source_note"}``, label ``ban``/``other``). The
  provenance travels in ``source_note`` (``source=slack who=U1 at=... model=... score=...``)
  and is read back on import, so ``labels export`` -> ``labels import`` -> ``labels export``
  gives the same file.

Everything but ``apply_label``/``import_labels`` is pure.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.core.errors import ConfigError, MonitorError
from monitor.core.records import ReviewItem
from state.labels import LabelSource, LabelTarget, StoredLabel, Verdict
from state.store import LabelPort

VERDICTS: tuple[Verdict, ...] = ("ban", "not_ban")
_TRAINING_LABEL = {"ban": "ban", "not_ban": "other"}
_VERDICT_OF = {"ban": "ban", "other": "not_ban"}
_NOTE_FIELD = re.compile(r"(\w+)=(\S+)")


class UnknownItemError(MonitorError):
    """A label names an alert or item that is not in the state database."""


def content_hash(text: str) -> str:
    """The items table's text hash (sha256 of whitespace-normalised text)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def example_id(text_hash: str) -> str:
    """Database-independent id of a stored item as a training example."""
    return f"item-{text_hash[:16]}"


def source_note(label: StoredLabel) -> str:
    """Provenance as one line of ``key=value`` fields (values without spaces)."""
    fields = {
        "source": label.source,
        "who": _token(label.who),
        "at": label.labelled_at.isoformat(),
        "model": label.model_version,
        "score": None if label.score is None else f"{label.score:.6f}",
    }
    return " ".join(f"{k}={v}" for k, v in fields.items() if v not in (None, ""))


def make_label(
    target: LabelTarget, verdict: Verdict, who: str, source: LabelSource, now: datetime
) -> StoredLabel:
    """Pure: the label row for a verdict on a stored item."""
    label = StoredLabel(
        example_id=example_id(target.text_hash),
        label=verdict,
        who=who or "unknown",
        labelled_at=now,
        source=source,
        text_hash=target.text_hash,
        title=target.title,
        text=target.text,
        item_id=target.item_id,
        alert_id=target.alert_id,
        model_version=target.model_version,
        score=target.score,
    )
    return replace(label, note=source_note(label))


def apply_label(
    store: LabelPort, ref: str, verdict: Verdict, who: str, source: LabelSource, now: datetime
) -> StoredLabel:
    """Store a verdict on the item behind ``ref`` (see the module docstring)."""
    if verdict not in VERDICTS:
        raise ConfigError(f"label: unknown verdict {verdict!r} (known: ban, not_ban)")
    target = store.label_target(ref.strip())
    if target is None:
        raise UnknownItemError(f"label: no alert or item {ref!r} in the state database")
    label = make_label(target, verdict, who, source, now)
    (seq,) = store.add_labels([label])
    return replace(label, seq=seq)


# ---------------------------------------------------------------- JSONL exchange (pure)


def export_record(label: StoredLabel) -> dict[str, str]:
    return {
        "id": label.example_id,
        "title": label.title,
        "text": label.text,
        "label": _TRAINING_LABEL[label.label],
        "source_note": label.note or source_note(label),
    }


def export_lines(labels: Iterable[StoredLabel]) -> list[str]:
    return [json.dumps(export_record(lb), ensure_ascii=False) + "\n" for lb in labels]


def parse_records(lines: Iterable[str], where: str, now: datetime) -> list[StoredLabel]:
    """JSONL lines -> labels (source ``import``); ``ConfigError`` names file and line."""
    labels = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            labels.append(parse_record(line, f"{where}:{number}", now))
    return labels


def parse_record(line: str, where: str, now: datetime) -> StoredLabel:
    data = _json_object(line, where)
    for name in ("id", "title", "text", "label"):
        if not isinstance(data.get(name), str):
            raise ConfigError(f"{where}: field {name!r} missing or not a string")
    note = data.get("source_note", "")
    if not isinstance(note, str):
        raise ConfigError(f"{where}: field 'source_note' is not a string")
    if data["label"] not in _VERDICT_OF:
        raise ConfigError(f"{where}: label must be 'ban' or 'other', got {data['label']!r}")
    if not data["id"].strip():
        raise ConfigError(f"{where}: empty id")
    fields = parse_note(note)
    return StoredLabel(
        example_id=data["id"],
        label=_VERDICT_OF[data["label"]],  # type: ignore[arg-type]
        who=fields.get("who", "import"),
        labelled_at=_when(fields.get("at"), now),
        source="import",
        text_hash=content_hash(data["text"]),
        title=data["title"],
        text=data["text"],
        model_version=fields.get("model"),
        score=_float(fields.get("score")),
        note=note,
    )


def parse_note(note: str) -> dict[str, str]:
    """The ``key=value`` fields of a source note (free text yields none)."""
    return dict(_NOTE_FIELD.findall(note))


def unchanged(label: StoredLabel, latest: StoredLabel | None) -> bool:
    """Re-importing what is already the winning label adds nothing to the history."""
    if latest is None:
        return False
    keys = ("label", "title", "text", "note")
    return all(getattr(label, k) == getattr(latest, k) for k in keys)


def import_labels(store: LabelPort, labels: Sequence[StoredLabel]) -> int:
    """Append the imported labels that change something; returns how many were added."""
    latest = {lb.example_id: lb for lb in store.latest_labels()}
    fresh: list[StoredLabel] = []
    for label in labels:
        if not unchanged(label, latest.get(label.example_id)):
            fresh.append(label)
            latest[label.example_id] = label
    store.add_labels(fresh)
    return len(fresh)


def _json_object(line: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    return data


def _token(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip())


def _when(value: str | None, default: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        parsed = None
    return parsed if parsed is not None and parsed.tzinfo is not None else default


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def review_items(store: LabelPort, threshold: float, limit: int) -> list[ReviewItem]:
    """The review queue: unlabelled scored items, most uncertain (closest to threshold) first."""
    return [
        ReviewItem(c.item_id, c.title, c.url, c.score, threshold)
        for c in store.review_candidates(threshold, max(0, limit))
    ]
