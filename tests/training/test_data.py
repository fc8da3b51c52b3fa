"""Loading and validating the labelled data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.data import (
    DATA_DIR,
    Example,
    TrainingDataError,
    data_sha256,
    load_examples,
    trainable,
    with_extra,
)

SHARED_SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds"


def _write(directory: Path, rows: list[dict[str, str]]) -> Path:
    (directory / "seeds").mkdir(exist_ok=True)
    path = directory / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return directory


def _row(id_: str, label: str = "other", title: str = "t", text: str = "") -> dict[str, str]:
    return {"id": id_, "title": title, "text": text, "label": label, "source_note": ""}


def test_shipped_data_loads_with_seeds_as_bans() -> None:
    examples = load_examples()
    seeds = [e for e in examples if e.id.startswith("seed-")]
    assert len(seeds) == 5 and all(e.label == "ban" and e.title and e.text for e in seeds)
    assert {e.label for e in examples} <= {"ban", "other", "borderline"}


def test_seeds_are_verbatim_copies_of_the_shared_ones() -> None:
    if not SHARED_SEEDS.is_dir():
        pytest.skip("../shared/seeds not present")
    for shared in SHARED_SEEDS.glob("*.txt"):
        assert (DATA_DIR / "seeds" / shared.name).read_bytes() == shared.read_bytes()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_row("a"), _row("a")], "duplicate example id 'a'"),
        ([_row("a", label="maybe")], "unknown label 'maybe'"),
        ([_row("a", title="", text=" ")], "neither title nor text"),
        ([{"id": "a", "title": "t", "label": "ban"}], "'text' missing"),
    ],
)
def test_invalid_data_is_refused_with_a_clear_error(
    tmp_path: Path, rows: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(TrainingDataError, match=message):
        load_examples(_write(tmp_path, rows))


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text(json.dumps(_row("a")) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match=r"x\.jsonl:2: not valid JSON"):
        load_examples(tmp_path)


def test_borderline_is_loaded_but_not_trainable(tmp_path: Path) -> None:
    examples = load_examples(_write(tmp_path, [_row("a"), _row("b", label="borderline")]))
    assert [e.id for e in trainable(examples)] == ["a"]


def test_extra_examples_relabel_by_id_and_append_new_ones() -> None:
    base = [Example("a", "t", "", "other"), Example("b", "t", "", "other")]
    extra = [Example("b", "t", "", "ban"), Example("c", "t", "", "ban")]
    merged = with_extra(base, extra)
    assert [(e.id, e.label) for e in merged] == [("a", "other"), ("b", "ban"), ("c", "ban")]
    assert data_sha256(merged) != data_sha256(base)
    assert data_sha256(merged) == data_sha256(list(reversed(merged)))
