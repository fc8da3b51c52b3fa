"""Labels, the model registry and small bookkeeping in SQLite (mixed into ``SQLiteStore``).

Labels are append-only: every verdict is a row (``seq`` is arrival order) and the
latest row per ``example_id`` wins, so history is kept and a relabel is one insert.
``example_id`` is ``item-<first 16 hex of the text hash>`` for items we stored, so the
same article gets the same id in any database (export/import round-trips), or the id
an imported example came with.

The registry has at most one ``active`` model (a partial unique index holds that line);
``promote`` retires the current one and activates another in ONE transaction, so a
reader never sees zero or two active models. All datetimes are UTC-aware.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from state.codec import from_text, record_from_row, to_text

Verdict = Literal["ban", "not_ban"]
LabelSource = Literal["slack", "cli", "import"]
ModelStatus = Literal["active", "rejected", "retired"]


@dataclass(frozen=True, slots=True)
class StoredLabel:
    """One verdict with its provenance. ``seq`` is 0 until stored."""

    example_id: str
    label: Verdict
    who: str
    labelled_at: datetime
    source: LabelSource
    text_hash: str
    title: str
    text: str
    item_id: int | None = None
    alert_id: str | None = None
    model_version: str | None = None
    score: float | None = None
    note: str = ""
    seq: int = 0


@dataclass(frozen=True, slots=True)
class LabelTarget:
    """A stored item as it can be labelled: its text and how it was scored."""

    item_id: int
    alert_id: str | None
    title: str
    text: str
    text_hash: str
    model_version: str | None
    score: float | None


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """One registry row."""

    version: str
    path: str
    status: ModelStatus
    created_at: datetime
    data_sha256: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    reason: str | None = None
    labels_seen: int = 0
    activated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReviewCandidate:
    """An unlabelled scored item (for the review queue)."""

    item_id: int
    title: str
    url: str
    score: float
    model_version: str | None


class LabelStore:
    """Label, registry and meta reads/writes, each its own short transaction."""

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def execute_write(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    def transaction(self) -> Any:
        raise NotImplementedError

    # -- labels -------------------------------------------------------------
    def label_target(self, ref: str) -> LabelTarget | None:
        """The item behind an alert id (``al-...``) or an item id (``123`` / ``item-123``)."""
        if ref.startswith("al-"):
            rows = self.query("SELECT item_id FROM alerts WHERE id = ?", (ref,))
            if not rows:
                return None
            item_id, alert_id = int(rows[0][0]), ref
        else:
            digits = ref.removeprefix("item-")
            if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
                return None
            item_id, alert_id = int(digits), None
        rows = self.query(
            "SELECT i.id, i.title, i.text, i.text_hash, i.model_version, i.score,"
            " (SELECT a.id FROM alerts a WHERE a.item_id = i.id ORDER BY a.seq LIMIT 1) AS alert"
            " FROM items i WHERE i.id = ?",
            (item_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return LabelTarget(
            r["id"], alert_id or r["alert"], r["title"], r["text"], r["text_hash"],
            r["model_version"], r["score"],
        )  # fmt: skip

    def add_labels(self, labels: Sequence[StoredLabel]) -> list[int]:
        """Append labels in one transaction; returns their ``seq`` numbers."""
        with self.transaction() as tx:
            return [
                int(tx.execute(_INSERT_LABEL, _label_params(lb)).fetchone()[0]) for lb in labels
            ]

    def label_history(self, example_id: str | None = None) -> list[StoredLabel]:
        """Every label row, oldest first (optionally of one example)."""
        where, params = ("WHERE example_id = ?", (example_id,)) if example_id else ("", ())
        return [_label(r) for r in self.query(f"SELECT * FROM labels {where} ORDER BY seq", params)]

    def latest_labels(self) -> list[StoredLabel]:
        """The winning (latest) label of each example, in the order they were given."""
        rows = self.query(
            "SELECT * FROM labels WHERE seq IN (SELECT MAX(seq) FROM labels GROUP BY example_id)"
            " ORDER BY seq"
        )
        return [_label(r) for r in rows]

    def label_high_water(self) -> int:
        """The ``seq`` of the newest label (0 when there is none)."""
        return int(self.query("SELECT COALESCE(MAX(seq), 0) FROM labels")[0][0])

    def labels_since(self, seq: int) -> int:
        return int(self.query("SELECT COUNT(*) FROM labels WHERE seq > ?", (seq,))[0][0])

    def review_candidates(self, threshold: float, limit: int) -> list[ReviewCandidate]:
        """Scored items without any label: those routed to review (contradicted or near the
        threshold) first, then the closest to ``threshold``."""
        rows = self.query(
            "SELECT id, title, url, score, model_version FROM items i WHERE score IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.item_id = i.id"
            " OR l.text_hash = i.text_hash)"
            " ORDER BY COALESCE(route = 'review', 0) DESC, ABS(score - ?), id DESC LIMIT ?",
            (threshold, limit),
        )
        return [ReviewCandidate(r[0], r[1], r[2], float(r[3]), r[4]) for r in rows]

    # -- model registry -------------------------------------------------------
    def register_model(self, record: ModelRecord) -> None:
        """Insert a registry row; an ``active`` record retires the current active one."""
        with self.transaction() as tx:
            if record.status == "active":
                tx.execute("UPDATE models SET status = 'retired' WHERE status = 'active'")
            tx.execute(
                "INSERT INTO models (version, path, status, created_at, activated_at,"
                " data_sha256, metrics, reason, labels_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (version) DO UPDATE SET path = excluded.path,"
                " status = excluded.status, activated_at = excluded.activated_at,"
                " metrics = excluded.metrics, reason = excluded.reason,"
                " labels_seen = excluded.labels_seen",
                (
                    record.version,
                    record.path,
                    record.status,
                    to_text(record.created_at),
                    to_text(record.activated_at),
                    record.data_sha256,
                    json.dumps(dict(record.metrics), sort_keys=True),
                    record.reason,
                    record.labels_seen,
                ),
            )

    def activate_model(self, version: str, now: datetime) -> bool:
        """Make ``version`` the active model (the current one retires). False if unknown."""
        with self.transaction() as tx:
            if not tx.execute("SELECT 1 FROM models WHERE version = ?", (version,)).fetchone():
                return False
            tx.execute(
                "UPDATE models SET status = 'retired' WHERE status = 'active' AND version != ?",
                (version,),
            )
            tx.execute(
                "UPDATE models SET status = 'active', activated_at = ? WHERE version = ?",
                (to_text(now), version),
            )
            return True

    def models(self) -> list[ModelRecord]:
        """Every registered model, newest first."""
        return [_model(r) for r in self.query("SELECT * FROM models ORDER BY created_at DESC")]

    def model(self, version: str) -> ModelRecord | None:
        rows = self.query("SELECT * FROM models WHERE version = ?", (version,))
        return _model(rows[0]) if rows else None

    def active_model(self) -> ModelRecord | None:
        rows = self.query("SELECT * FROM models WHERE status = 'active'")
        return _model(rows[0]) if rows else None

    def last_trained_labels(self) -> int:
        """The label high-water mark of the newest model (trained on, accepted or not)."""
        return int(self.query("SELECT COALESCE(MAX(labels_seen), 0) FROM models")[0][0])

    # -- signed-request replay guard -----------------------------------------------
    def first_sighting(self, key: str, now: datetime, window: float) -> bool:
        """Record request ``key``; False when it was already seen within ``window`` seconds
        (a replay). Entries older than the window are pruned in the same transaction."""
        cutoff = to_text(now - timedelta(seconds=window))
        with self.transaction() as tx:
            tx.execute("DELETE FROM slack_requests WHERE seen_at < ?", (cutoff,))
            cursor = tx.execute(
                "INSERT INTO slack_requests (key, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (key, to_text(now)),
            )
            return bool(cursor.rowcount)

    # -- meta -------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.execute_write(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


_INSERT_LABEL = (
    "INSERT INTO labels (example_id, item_id, alert_id, label, who, labelled_at, source,"
    " model_version, score, text_hash, title, text, note)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq"
)


def _label_params(lb: StoredLabel) -> tuple[Any, ...]:
    return (
        lb.example_id,
        lb.item_id,
        lb.alert_id,
        lb.label,
        lb.who,
        to_text(lb.labelled_at),
        lb.source,
        lb.model_version,
        lb.score,
        lb.text_hash,
        lb.title,
        lb.text,
        lb.note,
    )


def _label(r: sqlite3.Row) -> StoredLabel:
    return record_from_row(StoredLabel, r, dates=("labelled_at",))


def _model(r: sqlite3.Row) -> ModelRecord:
    created_at = from_text(r["created_at"])
    assert created_at is not None
    return ModelRecord(
        version=r["version"],
        path=r["path"],
        status=r["status"],
        created_at=created_at,
        data_sha256=r["data_sha256"],
        metrics={str(k): float(v) for k, v in json.loads(r["metrics"]).items()},
        reason=r["reason"],
        labels_seen=r["labels_seen"],
        activated_at=from_text(r["activated_at"]),
    )
