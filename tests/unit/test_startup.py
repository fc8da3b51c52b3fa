"""Start-up stays light: what only models and ban items need is imported when first used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "skops", "scipy", "datasketch")


def test_the_service_modules_do_not_import_scikit_learn_scipy_or_datasketch() -> None:
    script = (
        "import sys, monitor.cli, monitor.bootstrap, monitor.pipeline, monitor.service\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_minhash_still_works_when_first_used() -> None:
    from monitor.alerting.dedupe import minhash_signature, similarity

    text = "the ministry ordered app stores to remove the messaging app from sale today"
    assert similarity(minhash_signature(text), minhash_signature(text)) == 1.0
