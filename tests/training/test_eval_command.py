"""``monitor eval``'s report: CV of every kind, the served threshold, the corpus, the gate."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tests.training.conftest import small_examples
from training.commands import eval_command


def test_eval_reports_cv_corpus_false_alerts_per_20k_and_the_gate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rows = [
        {"id": e.id, "title": e.title, "text": e.text, "label": e.label,
         "source_note": e.source_note}
        for e in small_examples()
    ]  # fmt: skip
    (data / "small.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    corpus = tmp_path / "items.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "a", "date": "2024-01-01", "text": "Nepal bans TikTok nationwide.", "label": "ban"},
        {"id": "b", "date": "2024-01-02", "text": "Kenya's parliament debates a TikTok ban.",
         "label": "other"},
        {"id": "c", "date": "2024-01-03", "text": "A storm closes schools in Oslo.",
         "label": "other"},
    ]), "utf-8")  # fmt: skip
    out = io.StringIO()
    code = eval_command(out, data_dir=data, corpus=corpus)
    report = out.getvalue()
    assert "cross-validation on training/data" in report
    assert "default (kept)" in report and "logreg" in report
    assert "fp_per_20k" in report.splitlines()[2]
    assert "corpus items.jsonl" in report and "1 ban, 1 hard negatives, 1 ordinary" in report
    # the corpus is not the pinned evaluation set: the gate says so and eval exits 1
    assert code == 1 and "evaluation data changed" in report
