"""bench/extract.py on a folder in the benchmark layout, run as users run it (a process):
the service's path scores the pages, and the readability fallback is part of that path."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support.pages import FILLER, article, aside_story

ROOT = Path(__file__).resolve().parents[2]
STORY = [
    "The national communications regulator on Tuesday ordered internet providers to block "
    "access to the messaging app Telegram, citing a court ruling on the company.",
    "Telegram said it was studying the decision and would appeal. A spokesperson for the "
    "company said the platform had complied with every lawful request it had received.",
    "Digital rights groups criticised the move as disproportionate, arguing that millions "
    "of people rely on the app to communicate with relatives and to run small businesses.",
]


def layout(folder: Path, pages: dict[str, tuple[bytes, str]]) -> Path:
    (folder / "html").mkdir()
    truth = {}
    for key, (html, body) in pages.items():
        (folder / "html" / f"{key}.html.gz").write_bytes(gzip.compress(html))
        truth[key] = {"articleBody": body, "url": f"https://news.example/{key}"}
    (folder / "ground-truth.json").write_text(json.dumps(truth), "utf-8")
    return folder


def bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "extract.py"), *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def figures(out: str) -> dict[str, float]:
    match = re.search(r"F1 ([\d.]+) \(P ([\d.]+) R ([\d.]+)\); (\d+) texts from readability", out)
    assert match, out
    return dict(zip(("f1", "p", "r", "rescued"), map(float, match.groups()), strict=True))


def test_the_path_scores_the_pages_and_rescues_what_trafilatura_drops(tmp_path: Path) -> None:
    folder = layout(tmp_path, {
        "plain": (article("Council budget", FILLER), "\n".join(FILLER)),
        "aside": (aside_story("Telegram blocked", STORY), "\n".join(STORY)),
    })  # fmt: skip
    path = figures(bench(str(folder)))
    alone = figures(bench(str(folder), "--task", "trafilatura"))
    assert path["rescued"] == 1 and alone["rescued"] == 0
    assert path["r"] > 0.95 and path["p"] > 0.8  # titles and bylines are not in the truth
    assert alone["r"] < 0.6  # trafilatura alone found nothing on one page of two


def test_help_documents_the_layout_and_no_folder_is_not_an_error() -> None:
    assert "ground-truth.json" in bench("--help") and "html/<key>.html.gz" in bench("--help")
    assert "no benchmark folder given" in bench()
