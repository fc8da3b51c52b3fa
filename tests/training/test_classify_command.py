"""The `monitor classify` JSONL contract, driven through classify_command with StringIO."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from training.classify_io import BATCH_SIZE
from training.commands import classify_command


def _run(saved_model: Path, text: str) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = classify_command(saved_model, io.StringIO(text), out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_scores_every_line_in_order(saved_model: Path) -> None:
    lines = [
        {"id": "a", "title": "Iran blocks Instagram and WhatsApp", "text": ""},
        {"id": "b", "title": "Local team wins the cup", "text": "Fans celebrate."},
    ]
    code, out = _run(saved_model, "".join(json.dumps(x) + "\n" for x in lines))
    assert code == 0
    assert [r["id"] for r in out] == ["a", "b"]
    for record in out:
        assert set(record) == {"id", "score", "is_ban", "why"}
        assert isinstance(record["score"], float) and 0.0 <= record["score"] <= 1.0
        assert isinstance(record["is_ban"], bool)
        assert isinstance(record["why"], list) and all(isinstance(w, str) for w in record["why"])
    assert out[0]["score"] > out[1]["score"]


def test_malformed_lines_get_error_lines_and_processing_continues(saved_model: Path) -> None:
    text = "\n".join(
        [
            "{not json",
            "[1, 2]",
            '{"id": "x1", "title": "t"}',
            '{"id": "x2", "title": 5, "text": ""}',
            '{"id": 7, "title": "t", "text": ""}',
            "   ",
            '{"id": "ok", "title": "Russia blocks LinkedIn", "text": ""}',
        ]
    )
    code, out = _run(saved_model, text + "\n")
    assert code == 0
    assert len(out) == 7  # one output line per input line, blank ones included
    assert [r["id"] for r in out] == [None, None, "x1", "x2", None, None, "ok"]
    assert [("error" in r) for r in out] == [True] * 6 + [False]
    assert "invalid JSON" in out[0]["error"]
    assert "object" in out[1]["error"]
    assert "text" in out[2]["error"]
    assert "title" in out[3]["error"]
    assert "id" in out[4]["error"]
    assert out[5]["error"] == "blank line"
    assert out[6]["score"] >= 0.0


def test_many_lines_cross_batches_and_keep_order(saved_model: Path) -> None:
    count = BATCH_SIZE + 7
    text = "".join(
        json.dumps({"id": f"i{n}", "title": f"Headline number {n}", "text": ""}) + "\n"
        for n in range(count)
    )
    code, out = _run(saved_model, text)
    assert code == 0
    assert [r["id"] for r in out] == [f"i{n}" for n in range(count)]


def test_empty_input_writes_nothing(saved_model: Path) -> None:
    assert _run(saved_model, "") == (0, [])
