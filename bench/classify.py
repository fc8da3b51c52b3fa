"""Benchmark `monitor classify`: throughput on 20,000 items, model load time, peak memory.

Runs the same code path as the CLI (``training.commands.classify_command``) on
synthetic one-line items (no corpus text is needed), with a model trained from
``training/data`` into a temporary directory. Prints a table. Wall seconds depend on what
else the machine runs; items per CPU-second (the process's own CPU time, one core) is the
stable figure on a shared machine.

    .venv/bin/python bench/classify.py [--items 20000] [--model PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.artifact import ModelArtifact
from training.commands import classify_command, train_command

_SUBJECTS = ["Iran", "The regulator", "A court", "Brazil", "The ministry", "Local council", "Apple"]
_VERBS = ["blocks", "bans", "praises", "considers banning", "lifts its ban on", "reviews"]
_OBJECTS = ["Telegram", "TikTok", "a new bridge", "the budget", "X", "imports of steel", "ChatGPT"]


def synthetic_jsonl(count: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        text = " ".join(rng.choice(_OBJECTS + _SUBJECTS) for _ in range(rng.randint(0, 40)))
        lines.append(json.dumps({"id": f"b{n}", "title": title, "text": text}))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or Path(tmp) / "model.skops"
        if args.model is None:
            train_command(model)
        start = time.perf_counter()
        ModelArtifact.load(model)
        load_seconds = time.perf_counter() - start
        data = synthetic_jsonl(args.items)
        out = io.StringIO()
        start, cpu_start = time.perf_counter(), time.process_time()
        classify_command(model, io.StringIO(data), out)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("items", f"{args.items:,}"),
        ("classify seconds (incl. load)", f"{seconds:.2f}"),
        ("items / second", f"{args.items / seconds:,.0f}"),
        ("items / CPU-second", f"{args.items / cpu_seconds:,.0f}"),
        ("model load seconds", f"{load_seconds:.3f}"),
        ("peak RSS (MB)", f"{peak_mb:.0f}"),
        ("output lines", f"{out.getvalue().count(chr(10)):,}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
