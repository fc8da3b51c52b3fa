"""The config the alert-level benches give ``monitor run``: one local feed, a fake Slack,
a given model (bench/alerts.py, bench/replay.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.fake_slack import FakeSlack


def write_config(
    tmp: Path, feed_url: str, slack: FakeSlack, model: Path, *, concurrency: int | None = None
) -> Path:
    """``tmp/monitor.toml``: state in ``tmp``, private addresses allowed (the feed is on
    127.0.0.1), the feed polled every second; ``concurrency`` None keeps the default."""
    polling = '[polling]\nallow_private_addresses = true\ntimeout = "5s"\n'
    if concurrency is not None:
        polling += f"concurrency = {concurrency}\n"
    config = tmp / "monitor.toml"
    config.write_text(
        f'[state]\npath = "{tmp / "state.sqlite3"}"\n'
        + polling
        + f'[classifier]\nmodel_path = "{model}"\n'
        f'[slack]\nchannel = "{slack.channel}"\napi_url = "{slack.api_url}"\n'
        f'[[feeds]]\nurl = "{feed_url}"\ninterval = "1s"\n',
        encoding="utf-8",
    )
    return config
