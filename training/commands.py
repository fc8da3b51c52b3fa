"""Entry points behind ``monitor train | eval | classify`` (the CLI only parses arguments).

- ``train_command``: train on ``training/data`` (+ relabels), write the artifact, return it.
- ``eval_command``: print cross-validation of every model kind on our data and,
  when ../shared is present, the default model on the current-events corpus,
  checked against the quality gate. Exit code 0, or 1 when the gate fails.
- ``classify_command``: the JSONL contract of ``training.classify_io``; exit
  code 0 (malformed lines are reported in the output, not by the exit code).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from classifiers.artifact import ModelArtifact
from classifiers.pipeline import DEFAULT_KIND, KINDS
from training.background import training_examples
from training.classify_io import classify_stream
from training.data import Example, load_examples, with_extra
from training.evaluate import (
    LabelledItem,
    Metrics,
    compute_metrics,
    load_corpus,
    split_masks,
    worst_errors,
)
from training.gate import check_corpus_hash, corpus_path, gate_failures, load_gate
from training.train import CVResult, cross_validate, shipped_floor, train_model

_COLUMNS = ("precision", "recall", "f1", "pr_auc", "ordinary_fp_rate", "threshold")


def train_command(
    output: Path,
    *,
    extra_examples: Sequence[Example] = (),
    data_dir: Path | None = None,
    seed: int = 0,
    shared: bool = True,
) -> ModelArtifact:
    """Train the default model on our data plus ``extra_examples`` and save it to ``output``.

    ``shared`` True adds the background corpus of ../shared when it is there (minutes);
    False trains on ``training/data`` alone (seconds; the service's first start).
    """
    examples = with_extra(training_examples(data_dir) if shared else load_examples(data_dir),
                          extra_examples)  # fmt: skip
    artifact = train_model(
        examples, seed=seed, fallback_floor=shipped_floor() if data_dir is None else None
    )
    artifact.save(Path(output))
    return artifact


def eval_command(
    out: TextIO,
    *,
    model_path: Path | None = None,
    data_dir: Path | None = None,
    corpus: Path | None = None,
) -> int:
    """Print the evaluation report; ``model_path`` None trains the default model in memory."""
    examples = training_examples(data_dir)
    results = [cross_validate(examples, kind=kind) for kind in KINDS if kind != "default"]
    default_cv = next(r for r in results if r.kind == DEFAULT_KIND)
    _print_cv(out, [*results, CVResult("default", default_cv.scores, default_cv.metrics)])
    gate = load_gate()
    failures = gate_failures(gate, "cv", default_cv.metrics)
    corpus = corpus or corpus_path()
    if corpus is None:
        out.write("\ncorpus: ../shared/corpus/current-events absent, skipped\n")
    else:
        artifact = (
            ModelArtifact.load(model_path)
            if model_path
            else train_model(
                examples,
                kind=DEFAULT_KIND,
                cv=default_cv,
                fallback_floor=shipped_floor() if data_dir is None else None,
            )
        )
        failures += _eval_corpus(out, artifact, corpus)
        if changed := check_corpus_hash(gate, corpus):
            failures.append(changed)
    out.write("\ngate: " + ("PASS\n" if not failures else "FAIL\n  " + "\n  ".join(failures)))
    out.write("\n" if failures else "")
    return 1 if failures else 0


def classify_command(model_path: Path, infile: TextIO, outfile: TextIO) -> int:
    """Score JSONL items from ``infile`` into ``outfile`` (see ``training.classify_io``)."""
    artifact = ModelArtifact.load(Path(model_path))
    classify_stream(artifact, infile, outfile)
    return 0


def _eval_corpus(out: TextIO, artifact: ModelArtifact, corpus: Path) -> list[str]:
    items = load_corpus(corpus)
    scores = artifact.scores([(item.title, item.text) for item in items])
    is_ban, is_hard = split_masks(items)
    threshold = artifact.metadata.threshold
    metrics = compute_metrics(is_ban, is_hard, scores, threshold)
    out.write(f"\ncorpus {corpus.name}: model {artifact.metadata.version} ")
    out.write(f"(threshold {threshold:.3f}, from CV on our data)\n")
    _print_counts(out, metrics)
    _table(out, ["eval", *_COLUMNS], [["corpus", *_row(metrics)]])
    _print_errors(out, items, scores, threshold)
    return gate_failures(load_gate(), "corpus", metrics)


def _print_cv(out: TextIO, results: Sequence[CVResult]) -> None:
    first = results[0].metrics
    out.write(
        "cross-validation on training/data (5 folds grouped by event, seed 0; "
        "borderline excluded)\n"
    )
    _print_counts(out, first)
    labels = [r.kind if r.kind != "default" else "default (kept)" for r in results]
    _table(
        out,
        ["kind", *_COLUMNS],
        [[k, *_row(r.metrics)] for k, r in zip(labels, results, strict=True)],
    )


def _print_counts(out: TextIO, m: Metrics) -> None:
    out.write(
        f"  items: {m.n_ban} ban, {m.n_hard} hard negatives, {m.n_ordinary} ordinary; "
        f"TP {m.true_positives}, FN {m.false_negatives}, FP hard {m.hard_false_positives}, "
        f"FP ordinary {m.ordinary_false_positives}\n"
    )


def _row(m: Metrics) -> list[str]:
    values = m.as_dict()
    return [f"{values[c]:.5f}" if c == "ordinary_fp_rate" else f"{values[c]:.3f}" for c in _COLUMNS]


def _print_errors(
    out: TextIO, items: Sequence[LabelledItem], scores: np.ndarray, threshold: float
) -> None:
    fps, fns = worst_errors(items, scores, threshold, n=10)
    for title, errors in (("worst false positives", fps), ("worst false negatives", fns)):
        out.write(f"{title}:\n")
        for item, score in errors:
            kind = "hard" if item.is_hard else "ordinary" if item.label != "ban" else "ban"
            out.write(f"  {item.id}  {score:.3f}  {kind:<8}  {item.text[:90]}\n")


def _table(out: TextIO, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=True)]
        out.write("  " + "  ".join(cells).rstrip() + "\n")
