"""Measure and write ``training/fallback_floor.json``: rule 3 of the threshold for a model
trained without ../shared (``python -m training.fallback_floor``; needs ../shared, minutes).

A model trained on ``training/data`` alone (the service's first start, a Docker image)
cannot read the background corpus, so its threshold rule would stop at CV precision,
which our ~460 ordinary rows cannot hold to 1 false alert in 20,000 (it picked 0.40: 64
ordinary false alerts per 20,000 on the dev corpus). Here, where ../shared is present,
that same model (same data, seed and code, so the same scores) scores all ~92k
background items, none of them trained on, and their ``background_floor`` is written as
one number, with the sha256 of the data and of the scoring code: at 1 in 20,000 if the
model's CV metrics at that floor pass ``training/gate.json``, else at the strictest of
``RATES`` that does (a floor that kept CV recall under the gate's would make every
retrained candidate fail, so relabels would never take effect where ../shared is
absent). ``training.train.shipped_floor`` reads it; training without ../shared then
places its threshold above it. A test keeps the recorded sha256s equal to today's, so a
change of ``training/data`` or of the scoring code must rerun this.

The file holds a number and hashes only: nothing of the corpus is copied into the repo.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from training.background import background_dir
from training.data import data_sha256, load_examples, trainable
from training.evaluate import background_floor
from training.gate import gate_failures, load_gate
from training.progress import heartbeat
from training.train import (
    FALLBACK_FLOOR,
    background_scores,
    cross_validate,
    cv_metrics,
    train_model,
)

RATES = (1 / 20_000, 1 / 10_000, 1 / 5_000, 1 / 2_000, 1 / 1_000)
# The code that turns text into scores: an edit here changes the fallback model's scores,
# so the recorded floor must be measured again (a test compares this fingerprint).
SCORING_CODE = tuple(
    Path(__file__).resolve().parents[1] / "classifiers" / name
    for name in ("pipeline.py", "features.py", "text.py", "meaning.py", "vocab.py")
)


def scoring_code_sha256() -> str:
    """The sha256 of the scoring code's syntax trees without docstrings: comments and
    docstrings may change without a re-measure, code may not."""
    digest = hashlib.sha256()
    for path in SCORING_CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and _is_docstring(body[0]):
                node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
        digest.update(ast.dump(tree).encode())
    return digest.hexdigest()


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def measure(output: Path = FALLBACK_FLOOR) -> dict[str, object]:
    folder = background_dir()
    if folder is None:
        raise SystemExit("../shared/corpus/current-events-background is absent: cannot measure")
    examples = load_examples()
    usable = trainable(examples)
    cv = cross_validate(examples)
    artifact = train_model(examples, cv=cv)  # exactly the fallback model, without any floor
    with (folder / "items.jsonl").open(encoding="utf-8") as handle:
        texts = [str(json.loads(line)["text"]) for line in handle if line.strip()]
    with heartbeat(f"scoring {len(texts)} background items with the fallback model"):
        scores = background_scores(artifact.pipeline, texts)
    gate = load_gate()
    rate, floor = RATES[-1], background_floor(scores, RATES[-1])
    for candidate in RATES:  # the strictest budget whose CV metrics still pass the gate
        candidate_floor = background_floor(scores, candidate)
        if not gate_failures(gate, "cv", cv_metrics(usable, cv.scores, candidate_floor)):
            rate, floor = candidate, candidate_floor
            break
    record: dict[str, object] = {
        "about": "Held-out floor of the model trained on training/data alone (no ../shared): "
        "the score that at most `rate` of the background items exceed, at the strictest "
        "rate whose CV metrics pass training/gate.json. Written by "
        "`python -m training.fallback_floor`; read by training.train.shipped_floor.",
        "data_sha256": data_sha256(usable),
        "scoring_code_sha256": scoring_code_sha256(),
        "background_n": len(texts),
        "rate": rate,
        "heldout_background_floor": floor,
        "threshold_without_floor": artifact.metadata.threshold,
        "measured": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
    sys.exit(0)
