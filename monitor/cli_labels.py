"""Command line for labels, retraining, the model registry and the review queue.

``register(sub, common)`` adds to ``monitor``::

    monitor label ALERT_OR_ITEM_ID --ban | --not-ban [--who NAME]
    monitor labels export [--output FILE]      JSONL in the training format (stdout default)
    monitor labels import FILE
    monitor retrain                            train a candidate; promote it if it passes
    monitor models list
    monitor models rollback [VERSION]          default: the previously active model
    monitor review [--limit N]                 unlabelled items closest to the threshold

and makes ``monitor train`` (without ``--output``) register what it trains as the active
model; ``--output PATH`` keeps its contract: it writes the artifact there, nothing else.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from monitor.core.errors import ConfigError
from monitor.core.settings import Settings

T = TypeVar("T")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    label = sub.add_parser("label", parents=[common], help="label an alert or item")
    label.add_argument("ref", metavar="ALERT_OR_ITEM_ID")
    verdict = label.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--ban", dest="verdict", action="store_const", const="ban")
    verdict.add_argument("--not-ban", dest="verdict", action="store_const", const="not_ban")
    label.add_argument("--who", default=None, help="who gives the label (default: OS user)")
    label.set_defaults(handler=cmd_label)

    labels = sub.add_parser("labels", parents=[common], help="export or import labels")
    labels_sub = labels.add_subparsers(metavar="ACTION", required=True)
    export = labels_sub.add_parser("export", parents=[common], help="labels as training JSONL")
    export.add_argument("--output", type=Path, default=None, help="file (default stdout)")
    export.set_defaults(handler=cmd_labels_export)
    imp = labels_sub.add_parser("import", parents=[common], help="add labels from JSONL")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=cmd_labels_import)

    sub.add_parser(
        "retrain", parents=[common], help="train on data + labels; promote if not worse"
    ).set_defaults(handler=cmd_retrain)

    models = sub.add_parser("models", parents=[common], help="the model registry")
    models_sub = models.add_subparsers(metavar="ACTION", required=True)
    models_sub.add_parser("list", parents=[common], help="every model").set_defaults(
        handler=cmd_models_list
    )
    back = models_sub.add_parser("rollback", parents=[common], help="re-activate a model")
    back.add_argument("version", nargs="?", default=None)
    back.set_defaults(handler=cmd_models_rollback)

    review = sub.add_parser("review", parents=[common], help="most uncertain unlabelled items")
    review.add_argument("--limit", type=int, default=20)
    review.set_defaults(handler=cmd_review)

    if "train" in sub.choices:  # `monitor train` registers the model it makes
        sub.choices["train"].set_defaults(handler=cmd_train)


def _with_store(settings: Settings, action: Callable[[Any], T]) -> T:
    from monitor.bootstrap import open_store

    store = open_store(settings)
    try:
        return action(store)
    finally:
        store.close()


def cmd_label(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import utcnow
    from monitor.feedback.labels import apply_label

    who = args.who or _os_user()
    stored = _with_store(
        settings, lambda store: apply_label(store, args.ref, args.verdict, who, "cli", utcnow())
    )
    print(f"labelled item {stored.item_id} ({stored.example_id}) {stored.label} by {who}")
    return 0


def cmd_labels_export(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.feedback.labels import export_lines

    lines = export_lines(_with_store(settings, lambda store: store.latest_labels()))
    if args.output is None:
        sys.stdout.writelines(lines)
    else:
        args.output.write_text("".join(lines), encoding="utf-8")
        print(f"exported {len(lines)} labels to {args.output}", file=sys.stderr)
    return 0


def cmd_labels_import(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import utcnow
    from monitor.feedback.labels import import_labels, parse_records

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"labels: cannot read {args.file}: {exc}") from None
    labels = parse_records(text.splitlines(), str(args.file), utcnow())
    added = _with_store(settings, lambda store: import_labels(store, labels))
    print(f"imported {added} labels from {args.file} ({len(labels) - added} unchanged)")
    return 0


def cmd_retrain(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import utcnow
    from monitor.scoring.registry import ensure_active, retrain
    from training.retrain import RetrainOptions

    def run(store: Any) -> Any:
        ensure_active(settings, store, utcnow())
        return retrain(settings, store, RetrainOptions(), utcnow)

    result = _with_store(settings, run)
    print(f"{result.status} {result.version or '-'} ({result.labels_used} labels)")
    for reason in result.reasons:
        print(f"  {reason}")
    return 0


def cmd_models_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = [
        [
            m.version,
            m.status,
            m.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            m.data_sha256[:12],
            " ".join(f"{k}={m.metrics[k]:.3f}" for k in _SHOWN if k in m.metrics),
            (m.reason or "")[:80],
        ]
        for m in _with_store(settings, lambda store: store.models())
    ]
    _print_table(["version", "status", "created", "data", "metrics", "reason"], rows)
    return 0


_SHOWN = ("cv_precision", "cv_recall", "shipped_recall", "confirmed_recall", "history_recall")


def cmd_models_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import utcnow
    from monitor.scoring.registry import rollback

    record = _with_store(settings, lambda store: rollback(store, args.version, utcnow()))
    print(f"active model: {record.version} (the running service switches on its next cycle)")
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.feedback.labels import review_items
    from monitor.scoring.registry import serving_threshold

    def queue(store: Any) -> Any:
        return review_items(store, serving_threshold(settings, store), args.limit)

    items = _with_store(settings, queue)
    _print_table(
        ["item", "score", "threshold", "title", "url"],
        [
            [str(i.item_id), f"{i.score:.3f}", f"{i.threshold:.3f}", i.title[:60], i.url]
            for i in items
        ],
    )
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import utcnow
    from monitor.scoring.registry import models_dir, register, save_versioned
    from training.commands import train_command

    if args.output is not None:
        artifact = train_command(args.output)
        print(f"trained {artifact.metadata.version} -> {args.output} "
              f"(threshold {artifact.metadata.threshold:.3f})")  # fmt: skip
        return 0
    from training.background import training_examples
    from training.train import shipped_floor, train_model

    artifact = train_model(training_examples(), fallback_floor=shipped_floor())
    path = save_versioned(artifact, models_dir(settings))
    _with_store(
        settings,
        lambda store: register(store, artifact, path, "active", utcnow(), reason="monitor train"),
    )
    print(f"trained {artifact.metadata.version} -> {path} (active; "
          f"threshold {artifact.metadata.threshold:.3f})")  # fmt: skip
    return 0


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=False)]
        print("  ".join(cells).rstrip())
