"""The quality gate: metric floors pinned in ``training/gate.json`` with the evaluation data's hash.

Like trafilatura's eval_gate: a test and ``monitor eval`` fail when a metric
drops below its floor (or an FP rate rises above its ceiling). The sha256 of
the corpus the floors were measured on is pinned next to them, so a changed
corpus fails loudly instead of moving the floors silently; re-measure and
update gate.json on purpose when the corpus really changes.

The corpus lives outside the repo (``../shared``); when it is absent the gate
has nothing to check and says so (``corpus_path`` returns None).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.evaluate import Metrics

GATE_FILE = Path(__file__).resolve().parent / "gate.json"
REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_RELATIVE = Path("corpus") / "current-events" / "items.jsonl"


def shared_dir() -> Path:
    return REPO_ROOT / ".." / "shared"


def corpus_path() -> Path | None:
    """The current-events corpus, or None when ../shared is not here."""
    path = shared_dir() / CORPUS_RELATIVE
    return path if path.is_file() else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Gate:
    """Floors (minimums) and ceilings (maximums) per evaluation, and the pinned hash."""

    corpus_sha256: str
    floors: Mapping[str, Mapping[str, float]]  # "corpus" | "cv" -> metric -> minimum
    ceilings: Mapping[str, Mapping[str, float]]  # "corpus" | "cv" -> metric -> maximum


def load_gate(path: Path = GATE_FILE) -> Gate:
    data: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    return Gate(data["corpus_sha256"], data["floors"], data["ceilings"])


def check_corpus_hash(gate: Gate, corpus: Path) -> str | None:
    """An error message when the corpus is not the one the floors were measured on."""
    actual = file_sha256(corpus)
    if actual == gate.corpus_sha256:
        return None
    return (
        f"evaluation data changed: {corpus} has sha256 {actual}, the gate's floors were "
        f"measured on {gate.corpus_sha256}; re-measure and update {GATE_FILE.name} on purpose"
    )


def gate_failures(gate: Gate, name: str, metrics: Metrics) -> list[str]:
    """Each metric of evaluation ``name`` ("corpus" or "cv") outside its floor/ceiling."""
    values = metrics.as_dict()
    failures = [
        f"{name} {key} {values[key]:.4f} < floor {floor:.4f}"
        for key, floor in gate.floors.get(name, {}).items()
        if values[key] < floor
    ]
    failures += [
        f"{name} {key} {values[key]:.5f} > ceiling {ceiling:.5f}"
        for key, ceiling in gate.ceilings.get(name, {}).items()
        if values[key] > ceiling
    ]
    return failures
