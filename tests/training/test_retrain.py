"""Retraining with the gate, the model registry, rollback and hot reload.

The end-to-end test trains three small models (2-fold CV on a 90-example slice of our
data, so it takes tens of seconds, not minutes); the product path uses 5 folds on all.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting.alerts import AlertingIngest
from monitor.cli import main
from monitor.core.records import Article, FeedItem
from monitor.core.settings import load_settings
from monitor.feedback.labels import apply_label, import_labels, parse_records
from monitor.scoring.registry import (
    register,
    retrain,
    rollback_target,
    save_versioned,
    should_retrain,
)
from monitor.scoring.score import RegistryScorer, active_lookup
from state.labels import ModelRecord, StoredLabel
from state.sqlite import SQLiteStore
from training.data import DATA_DIR, load_examples, load_jsonl
from training.gate import Gate
from training.retrain import RetrainOptions, decide, fit_candidate, label_examples, time_split

T0 = datetime(2025, 5, 1, tzinfo=UTC)
GATE = Gate("", {"cv": {"precision": 0.6, "recall": 0.2, "pr_auc": 0.6}}, {})
FP_TITLE = "School district bans phones in classrooms"
FP_TEXT = (
    "The school board voted to ban students from using TikTok and Instagram on their "
    "phones during class, the district said on Monday."
)
SIMILAR = [
    ("High school bans Snapchat during lessons", "Teachers at the high school will stop "
     "students using Snapchat and TikTok during lessons, the principal told parents."),
    ("Academy bans mobile phones in class", "The academy banned pupils from using phones, "
     "Instagram and YouTube in class from September, the head teacher said."),
    ("Primary school restricts tablets and apps", "A primary school restricted tablets and "
     "games apps during lessons after parents complained, the school said on Friday."),
    ("College bans students from using TikTok in lectures", "The college said students may "
     "not use TikTok or Instagram during lectures, the dean announced on Tuesday."),
    ("Teachers ban WhatsApp groups for pupils", "Teachers at the school banned WhatsApp "
     "groups for pupils during the school day, the school board said."),
]  # fmt: skip


def tick(start: datetime = T0) -> Callable[[], datetime]:
    times = iter(start + timedelta(minutes=n) for n in range(10_000))
    return lambda: next(times)


def test_decide_promotes_only_without_failures_or_recall_loss() -> None:
    ok = {"cv": ("cv", {"precision": 0.9, "recall": 0.8, "pr_auc": 0.9})}
    assert decide(GATE, ok, 0.9, 0.9).promote
    low = {"cv": ("cv", {"precision": 0.5, "recall": 0.8, "pr_auc": 0.9})}
    verdict = decide(GATE, low, 0.9, 0.9)
    assert not verdict.promote and verdict.reasons == ("cv: precision 0.5000 < floor 0.6000",)
    lost = decide(GATE, ok, 0.8, 0.9)
    assert not lost.promote and "recall on confirmed bans 0.800 < active 0.900" in lost.reasons


def label(n: int, verdict: str, minutes: int, example: str | None = None) -> StoredLabel:
    return StoredLabel(example or f"e{n}", verdict, "a", T0 + timedelta(minutes=minutes),  # type: ignore[arg-type]
                       "cli", "h", f"t{n}", "x", seq=n)  # fmt: skip


def test_latest_label_wins_and_history_splits_by_time() -> None:
    labels = [label(1, "ban", 5, "a"), label(2, "not_ban", 1, "b"), label(3, "not_ban", 9, "a")]
    assert sorted((e.id, e.label) for e in label_examples(labels)) == [
        ("a", "other"),
        ("b", "other"),
    ]
    many = [label(n, "ban", 10 - n) for n in range(1, 11)]
    older, newer = time_split(many, 0.3, 3)
    assert [lb.seq for lb in newer] == [3, 2, 1]  # the newest by time, not by arrival
    assert len(older) == 7
    assert time_split(many, 0.3, 4)[1] == []


def test_should_retrain_on_count_or_daily() -> None:
    day = 86400.0
    assert should_retrain(5, 5, T0, day, T0)
    assert not should_retrain(4, 5, T0, day, T0 + timedelta(hours=23))
    assert should_retrain(1, 5, T0, day, T0 + timedelta(days=1))
    assert not should_retrain(0, 5, T0, day, T0 + timedelta(days=3))


def test_rollback_target_is_the_previously_active_model() -> None:
    def rec(version: str, status: str, activated: int | None) -> ModelRecord:
        when = None if activated is None else T0 + timedelta(days=activated)
        return ModelRecord(version, "p", status, T0, "d", activated_at=when)  # type: ignore[arg-type]

    models = [rec("c", "active", 3), rec("r", "rejected", None), rec("b", "retired", 2),
              rec("a", "retired", 1)]  # fmt: skip
    assert rollback_target(models, None).version == "b"
    assert rollback_target(models, "a").version == "a"


def small_data(tmp_path: Path) -> Path:
    """90 shipped examples, plus three school stories mislabelled "ban" (the seed of the
    false positive: the first model learns that school phone rules are bans)."""
    rng = random.Random(0)
    chosen = rng.sample(load_jsonl(DATA_DIR / "ban.jsonl"), 30)
    others = load_jsonl(DATA_DIR / "hard_negatives.jsonl") + load_jsonl(DATA_DIR / "ordinary.jsonl")
    chosen += rng.sample([e for e in others if e.label == "other"], 60)
    rows = [{"id": e.id, "title": e.title, "text": e.text, "label": e.label} for e in chosen]
    rows += [{"id": f"school-{n}", "title": t, "text": x, "label": "ban"}
             for n, (t, x) in enumerate(SIMILAR[:3])]  # fmt: skip
    data = tmp_path / "data"
    data.mkdir()
    with (data / "small.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(row | {"source_note": ""}) + "\n" for row in rows)
    return data


def article(n: int, title: str, text: str) -> Article:
    url = f"https://schools.example.org/{n}.html"
    item = FeedItem("https://schools.example.org/feed.xml", url, url, url, title, text[:60])
    return Article(item, title, text, None, "Example", "en", "trafilatura")


def alerts_on_fresh_state(path: Path, scorer: RegistryScorer, art: Article) -> int:
    store = SQLiteStore(path)
    try:
        return AlertingIngest(store, 14 * 86400.0, 0.5)(scorer.score([art]), T0)[1]
    finally:
        store.close()


def test_relabel_retrain_promote_reject_and_rollback(tmp_path: Path) -> None:
    data = small_data(tmp_path)
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(f'[state]\npath = "{tmp_path / "state.sqlite3"}"\n', encoding="utf-8")
    settings = load_settings(cfg, {})
    options = RetrainOptions(data_dir=data, folds=2, gate=GATE, corpus=None)
    store = SQLiteStore(tmp_path / "state.sqlite3")
    first = fit_candidate(load_examples(data), folds=2, seed=0, now=lambda: T0)
    register(store, first, save_versioned(first, tmp_path / "models"), "active", T0)
    scorer = RegistryScorer(active_lookup(store))
    fp = article(0, FP_TITLE, FP_TEXT)

    # the false positive alerts with the first model
    assert AlertingIngest(store, 14 * 86400.0, 0.5)(scorer.score([fp]), T0) == (1, 1)
    alert_id = store.alerts()[0].id
    apply_label(store, alert_id, "not_ban", "U0ALICE", "slack", T0)
    similar = "".join(
        json.dumps({"id": f"school-{n}", "title": t, "text": x, "label": "other",
                    "source_note": "source=cli who=bob"}) + "\n"
        for n, (t, x) in enumerate(SIMILAR)
    )  # fmt: skip
    import_labels(store, parse_records(similar.splitlines(), "similar", T0))

    good = retrain(settings, store, options, tick(T0 + timedelta(hours=1)))
    assert good.status == "active", good.reasons
    assert scorer.model_version == good.version  # hot reload: the next batch uses it
    assert alerts_on_fresh_state(tmp_path / "fresh1.sqlite3", scorer, fp) == 0
    record = store.model(good.version or "")
    assert record is not None and record.labels_seen == 6
    assert {"cv_precision", "shipped_recall", "confirmed_recall"} <= set(record.metrics)
    assert store.model(first.metadata.version).status == "retired"  # type: ignore[union-attr]

    # a deliberately bad label set: every shipped ban says "other", every other says "ban"
    flipped = [
        json.dumps({"id": e.id, "title": e.title, "text": e.text,
                    "label": "other" if e.label == "ban" else "ban", "source_note": ""}) + "\n"
        for e in load_examples(data)
    ]  # fmt: skip
    import_labels(store, parse_records(flipped, "flipped", T0 + timedelta(hours=2)))
    bad = retrain(settings, store, options, tick(T0 + timedelta(hours=3)))
    assert bad.status == "rejected"
    assert any(r.startswith("shipped: recall") for r in bad.reasons), bad.reasons
    assert store.active_model().version == good.version  # type: ignore[union-attr]
    assert "shipped: recall" in (store.model(bad.version or "").reason or "")  # type: ignore[union-attr]

    # rollback from the command line; the running scorer switches on its next batch
    assert main(["models", "rollback", "--config", str(cfg)]) == 0
    assert scorer.model_version == first.metadata.version
    assert alerts_on_fresh_state(tmp_path / "fresh2.sqlite3", scorer, fp) == 1
    store.close()


def test_training_failure_is_a_rejection_with_the_reason(tmp_path: Path) -> None:
    data = small_data(tmp_path)
    store = SQLiteStore(tmp_path / "state.sqlite3")
    bans_flipped = [
        json.dumps({"id": e.id, "title": e.title, "text": e.text, "label": "other",
                    "source_note": ""}) + "\n"
        for e in load_examples(data) if e.label == "ban"
    ]  # fmt: skip
    import_labels(store, parse_records(bans_flipped, "flipped", T0))
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(f'[state]\npath = "{tmp_path / "state.sqlite3"}"\n', encoding="utf-8")
    options = RetrainOptions(data_dir=data, folds=2, gate=GATE, corpus=None)
    result = retrain(load_settings(cfg, {}), store, options, tick())
    assert result.status == "rejected" and result.version is None
    assert "too few examples" in result.reasons[0]
    assert store.active_model() is None
    store.close()


@pytest.mark.parametrize("args", [["models", "rollback"], ["models", "rollback", "m-nope"]])
def test_rollback_without_a_target_fails_cleanly(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(f'[state]\npath = "{tmp_path / "state.sqlite3"}"\n', encoding="utf-8")
    assert main([*args, "--config", str(cfg)]) == 1
    assert "models:" in capsys.readouterr().err
