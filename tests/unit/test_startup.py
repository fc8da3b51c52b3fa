"""Start-up stays light: what only models and ban items need is imported when first used,
and the model loads on a thread once polling is under way."""

from __future__ import annotations

import platform
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.bootstrap import limit_malloc_arenas
from monitor.core.errors import FetchError
from monitor.core.ports import ScorerPort
from monitor.core.records import Validators
from monitor.ops.health import Beating, Heartbeat
from monitor.ops.metrics import MeteredScorer, Metrics
from monitor.scoring.score import BackgroundScorer
from tests.support.fakes import FakeFetcher, FakeScorer

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "skops", "scipy", "datasketch", "numpy")


def test_the_service_modules_do_not_import_numpy_scikit_learn_scipy_or_datasketch() -> None:
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


class Builds:
    """A model build that counts its calls and can be held until released."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.error = error

    def __call__(self) -> ScorerPort:
        self.calls += 1
        self.started.set()
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        return FakeScorer(model_version="fake-7")


def test_the_model_is_not_built_until_started_or_used() -> None:
    build = Builds()
    scorer = BackgroundScorer(build)
    assert build.calls == 0
    assert scorer.model_version == "fake-7"  # first use builds it, and waits
    assert build.calls == 1
    scorer.start()
    assert scorer.model_version == "fake-7" and build.calls == 1  # once per process


def test_start_returns_at_once_and_every_user_waits_for_the_one_build() -> None:
    build = Builds()
    build.release.clear()
    scorer = BackgroundScorer(build)
    scorer.start()
    scorer.start()
    versions: list[str] = []
    users = [threading.Thread(target=lambda: versions.append(scorer.model_version))
             for _ in range(3)]  # fmt: skip
    for user in users:
        user.start()
    build.release.set()
    for user in users:
        user.join(10)
    assert versions == ["fake-7"] * 3 and build.calls == 1


def test_ready_callbacks_run_once_the_model_is_built_or_at_once_after() -> None:
    scorer = BackgroundScorer(Builds())
    seen: list[str] = []
    scorer.when_ready(lambda s: seen.append(f"early {s.model_version}"))
    assert seen == []  # registering does not start the build
    scorer.wait()
    scorer.when_ready(lambda s: seen.append(f"late {s.model_version}"))
    assert seen == ["early fake-7", "late fake-7"]


def test_a_failed_build_raises_on_every_use_and_calls_no_callback() -> None:
    scorer = BackgroundScorer(Builds(error=RuntimeError("model file damaged")))
    seen: list[object] = []
    scorer.when_ready(seen.append)
    assert scorer.score([]) == []  # nothing to score needs no model
    for _ in range(2):
        with pytest.raises(RuntimeError, match="damaged"):
            scorer.wait()
    scorer.when_ready(seen.append)
    assert seen == []


def test_the_first_answered_fetch_starts_the_model_load() -> None:
    build = Builds()
    scorer = BackgroundScorer(build)
    heartbeat = Heartbeat(lambda: datetime(2026, 1, 1, tzinfo=UTC))
    heartbeat.on_first_beat(scorer.start)
    fetcher = Beating(FakeFetcher(etags={"https://a.example/f": '"1"'}), heartbeat.beat)
    with pytest.raises(FetchError, match="no such page"):
        fetcher.fetch("https://a.example/missing")  # no answer: not yet
    assert not build.started.is_set()
    fetcher.fetch("https://a.example/f", Validators('"1"', None))  # a 304 is an answer
    assert build.started.wait(10)  # on its own thread, nobody waiting for it
    fetcher.fetch("https://a.example/f", Validators('"1"', None))
    assert scorer.model_version == "fake-7" and build.calls == 1
    late: list[str] = []
    heartbeat.on_first_beat(lambda: late.append("ran"))  # after the first beat: at once
    assert late == ["ran"]


def test_model_metrics_wait_for_a_loading_model_without_starting_it() -> None:
    build = Builds()
    metrics = Metrics()
    MeteredScorer(BackgroundScorer(build), metrics)
    assert build.calls == 0
    assert metrics.registry.get_sample_value("appban_model_info", {"version": "fake-7"}) is None
    loading = BackgroundScorer(build)
    MeteredScorer(loading, metrics)
    loading.wait()
    assert metrics.registry.get_sample_value("appban_model_info", {"version": "fake-7"}) == 1


def test_malloc_arenas_are_capped_unless_the_environment_chose() -> None:
    assert limit_malloc_arenas({"MALLOC_ARENA_MAX": "8"}) is False
    if sys.platform == "linux" and platform.libc_ver()[0] == "glibc":
        assert limit_malloc_arenas({}) is True
