"""Start-up behaviour a container depends on: SIGTERM during the first start's training
exits 0 at once; an unusable state directory is one clear line (never a traceback);
``MONITOR_CONFIG`` may name a directory with or without ``monitor.toml``; the build
context leaves out the venv, the state and the secrets."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from monitor.core.settings import load_settings
from tests.support.seedfeed import REPO_ROOT, kill_group, monitor_env, wait_for


def test_sigterm_during_first_start_training_exits_0_within_10_s(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state.sqlite3"}"\n[[feeds]]\n'
                      'url = "http://127.0.0.1:1/feed.xml"\n', encoding="utf-8")  # fmt: skip
    log = tmp_path / "run.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(config)],
            cwd=REPO_ROOT, env=monitor_env(), stdout=sink, stderr=sink, start_new_session=True,
        )  # fmt: skip
    try:
        assert wait_for(lambda: "training_first_model" in log.read_text(), 60), log.read_text()
        time.sleep(0.5)  # well inside the training
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        elapsed = time.monotonic() - sent
    finally:
        kill_group(proc)
    output = log.read_text()
    assert proc.returncode == 0, output
    assert elapsed < 10, f"{elapsed:.1f}s"
    assert "during=start-up" in output and "Traceback" not in output


def _status(path: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[state]\npath = "{path}"\n', encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "monitor", "status", "--config", str(config)],
        cwd=REPO_ROOT, env=monitor_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_an_unwritable_or_impossible_state_directory_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    for path in ("/sys/monitor/state.sqlite3", str(tmp_path / "a_file" / "state.sqlite3")):
        run = _status(path, tmp_path)
        assert run.returncode == 1, run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
        assert "not writable by uid" in run.stderr and "10001" in run.stderr


def test_monitor_config_may_name_a_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert load_settings(None, {"MONITOR_CONFIG": str(empty)}).source == "defaults"
    full = tmp_path / "full"
    full.mkdir()
    (full / "monitor.toml").write_text("[polling]\nconcurrency = 3\n", encoding="utf-8")
    assert load_settings(None, {"MONITOR_CONFIG": str(full)}).polling.concurrency == 3


def test_the_build_context_leaves_out_the_venv_state_and_secrets() -> None:
    ignored = (REPO_ROOT / ".dockerignore").read_text("utf-8").split()
    assert {".venv", ".git", ".env", "var", "tests"} <= set(ignored)
    copied = {"monitor", "classifiers", "training", "state", "README.md", "pyproject.toml"}
    assert not copied & set(ignored)
