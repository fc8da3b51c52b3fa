"""The model registry: which model serves, every model ever made, promotion and rollback.

The registry (table ``models`` in the state database) is the source of truth; model
files live at ``<state dir>/models/<version>.skops``. ``[classifier] model_path``,
when set, overrides everything (no registry involved).

- ``ensure_active``: the active model's file; on first start it adopts a legacy
  ``<state dir>/model.skops`` or trains one from the shipped data, and registers it
  (``training/data`` only, never ../shared's background corpus: seconds, not minutes;
  ``monitor train`` trains and activates the full model).
- ``retrain``: builds a candidate (``training.retrain``), stores its file and row as
  ``active`` (promoted: the previous one is ``retired``) or ``rejected`` with reasons.
- ``rollback``: re-activates the previous (or a named) model.
- ``monitor.scoring.score.RegistryScorer`` serves the active model and, before each
  batch, checks the registry (one indexed query): a promotion or rollback made by
  another process is picked up on the next cycle without a restart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.core.errors import MonitorError
from monitor.core.logs import log_event
from monitor.core.settings import Settings
from monitor.scoring.score import load_artifact
from state.labels import LabelStore, ModelRecord, ModelStatus

if TYPE_CHECKING:  # scikit-learn and skops load when a model does (~2 s)
    from classifiers.artifact import ModelArtifact
    from training.retrain import RetrainOptions

log = logging.getLogger("monitor.registry")

LEGACY_NAME = "model.skops"


class RegistryError(MonitorError):
    """A registry operation cannot be done (unknown version, nothing to roll back to)."""


@dataclass(frozen=True, slots=True)
class RetrainResult:
    version: str | None  # None when training failed before a model existed
    status: ModelStatus
    reasons: tuple[str, ...]
    labels_used: int


def models_dir(settings: Settings) -> Path:
    return settings.state_dir / "models"


def register(
    store: LabelStore,
    artifact: ModelArtifact,
    path: Path,
    status: ModelStatus,
    now: datetime,
    *,
    reason: str | None = None,
    labels_seen: int = 0,
    evaluation: Mapping[str, float] | None = None,
) -> ModelRecord:
    """Add (or update) the registry row of a saved artifact; ``evaluation`` adds metrics."""
    meta = artifact.metadata
    record = ModelRecord(
        version=meta.version,
        path=str(Path(path).resolve()),
        status=status,
        created_at=now,
        data_sha256=meta.data_sha256,
        metrics={**meta.metrics, **(evaluation or {})},
        reason=reason,
        labels_seen=labels_seen,
        activated_at=now if status == "active" else None,
    )
    store.register_model(record)
    return record


def save_versioned(artifact: ModelArtifact, directory: Path) -> Path:
    path = Path(directory) / f"{artifact.metadata.version}.skops"
    artifact.save(path)
    return path


def ensure_active(settings: Settings, store: LabelStore, now: datetime) -> Path:
    """The file to serve (see the module docstring); trains the first model if needed."""
    if settings.classifier.model_path:
        return Path(settings.classifier.model_path)
    active = store.active_model()
    if active is not None and Path(active.path).exists():
        return Path(active.path)
    legacy = settings.state_dir / LEGACY_NAME
    if legacy.exists():
        register(store, load_artifact(legacy), legacy, "active", now, reason="adopted")
        return legacy
    from training.commands import train_command  # heavy; only on first start

    log_event(log, "training_first_model", directory=models_dir(settings))
    tmp = models_dir(settings) / ".first.skops"
    artifact = train_command(tmp, shared=False)  # seconds; `monitor train` adds ../shared
    path = models_dir(settings) / f"{artifact.metadata.version}.skops"
    os.replace(tmp, path)
    register(store, artifact, path, "active", now, reason="first model")
    return path


def promote(store: LabelStore, version: str, now: datetime) -> ModelRecord:
    record = store.model(version)
    if record is None:
        raise RegistryError(f"models: no model {version!r} in the registry")
    if not Path(record.path).exists():
        raise RegistryError(f"models: the file of {version} is missing: {record.path}")
    store.activate_model(version, now)
    log_event(log, "model_activated", version=version)
    return record


def rollback_target(models: Sequence[ModelRecord], version: str | None) -> ModelRecord:
    """Pure: the named model, or the one active most recently before the current one."""
    if version is not None:
        found = [m for m in models if m.version == version]
        if not found:
            raise RegistryError(f"models: no model {version!r} in the registry")
        if found[0].status == "active":
            raise RegistryError(f"models: {version} is already active")
        return found[0]
    retired = [m for m in models if m.status == "retired" and m.activated_at is not None]
    if not retired:
        raise RegistryError("models: no previously active model to roll back to")
    return max(retired, key=lambda m: m.activated_at or m.created_at)


def rollback(store: LabelStore, version: str | None, now: datetime) -> ModelRecord:
    target = rollback_target(store.models(), version)
    return promote(store, target.version, now)


def should_retrain(
    new_labels: int, min_new: int, last_run: datetime | None, every: float, now: datetime
) -> bool:
    """Pure: enough new labels, or any new label and the daily (``every``) retrain is due."""
    if new_labels >= min_new:
        return True
    due = last_run is None or now - last_run >= timedelta(seconds=every)
    return new_labels > 0 and due


def retrain(
    settings: Settings,
    store: LabelStore,
    options: RetrainOptions,
    now: Callable[[], datetime],
) -> RetrainResult:
    """Build a candidate from the stored labels, register it, promote it if it passes."""
    from training.retrain import build_candidate

    seen = store.label_high_water()
    labels = [lb for lb in store.label_history() if lb.seq <= seen]
    active = store.active_model()
    current = load_artifact(Path(active.path)) if active else None
    candidate = build_candidate(labels, current, options, now)
    verdict = candidate.verdict
    if candidate.artifact is None:
        store.set_meta("last_retrain_failure", f"{now().isoformat()} {verdict.reasons[0]}")
        _mark_attempt(store, seen, now())
        return RetrainResult(None, "rejected", verdict.reasons, len(labels))
    path = save_versioned(candidate.artifact, models_dir(settings))
    status: ModelStatus = "active" if verdict.promote else "rejected"
    reason = "promoted" if verdict.promote else "; ".join(verdict.reasons)
    record = register(
        store, candidate.artifact, path, status, now(),
        reason=reason, labels_seen=seen, evaluation=verdict.metrics,
    )  # fmt: skip
    _mark_attempt(store, seen, now())
    log_event(log, "retrained", version=record.version, status=status, reason=reason[:300])
    return RetrainResult(record.version, status, verdict.reasons, len(labels))


def _mark_attempt(store: LabelStore, seen: int, now: datetime) -> None:
    store.set_meta("retrain_labels_seen", str(seen))
    store.set_meta("last_retrain_at", now.isoformat())


def labels_at_last_attempt(store: LabelStore) -> int:
    return int(store.get_meta("retrain_labels_seen") or store.last_trained_labels())


def serving_threshold(settings: Settings, store: LabelStore) -> float:
    """The threshold alerts are decided with: configured, else the serving model's own."""
    if settings.classifier.threshold is not None:
        return float(settings.classifier.threshold)
    path = ensure_active(settings, store, datetime.now(UTC))
    return load_artifact(path).metadata.threshold


class RetrainJob:
    """The service's periodic check: retrain when ``should_retrain`` says so."""

    def __init__(
        self,
        settings: Settings,
        store: LabelStore,
        clock: Callable[[], datetime],
        options: RetrainOptions | None = None,
    ) -> None:
        self.settings, self.store, self.clock, self.options = settings, store, clock, options

    def __call__(self) -> RetrainResult | None:
        from training.retrain import RetrainOptions

        now = self.clock()
        new = self.store.labels_since(labels_at_last_attempt(self.store))
        last = self.store.get_meta("last_retrain_at")
        cfg = self.settings.retrain
        last_run = datetime.fromisoformat(last) if last else None
        if not should_retrain(new, cfg.min_new_labels, last_run, cfg.every, now):
            return None
        return retrain(self.settings, self.store, self.options or RetrainOptions(), self.clock)
