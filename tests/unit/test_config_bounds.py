"""Every duration and count has finite bounds; the error names the key and the bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.errors import ConfigError
from monitor.core.settings import load_settings


@pytest.mark.parametrize(
    ("section", "line", "bound"),
    [
        ("polling", "timeout = inf", "finite"),
        ("polling", "timeout = nan", "finite"),
        ("polling", "interval = inf", "finite"),
        ("polling", 'interval = "100000d"', "between 1s and 30d"),
        ("polling", 'timeout = "1h"', "between 100ms and 10m"),
        ("polling", 'extract_timeout = "2h"', "between 100ms and 10m"),
        ("polling", 'max_backoff = "1000d"', "between 1s and 30d"),
        ("polling", "concurrency = 100000", "between 1 and 256"),
        ("polling", "per_host = 1000", "between 1 and 64"),
        ("polling", "max_items_per_feed = 10000000", "between 1 and 10000"),
        ("polling", 'max_bytes = "50GB"', "between 1KB and 1GB"),
        ("dedupe", 'event_window = "1000000d"', "between 1m and 365d"),
        ("retrain", "every = 1e300", "between 1m and 365d"),
        ("review", "digest_size = 5000", "between 1 and 100"),
        ("notify", "feed_failure_threshold = 99999", "between 1 and 1000"),
        ("notify", 'feed_silence_min = "10000d"', "between 1m and 365d"),
    ],
)
def test_out_of_bounds_values_are_refused_with_the_bound(
    tmp_path: Path, section: str, line: str, bound: str
) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text(f"[{section}]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, {})
    key = line.split(" = ")[0]
    assert f"'{section}.{key}'" in str(info.value) and bound in str(info.value)


def test_a_feed_interval_is_bounded_too(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text('[[feeds]]\nurl = "https://a.example/f"\ninterval = inf\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds\[0\]\.interval"):
        load_settings(path, {})


def test_the_defaults_and_test_values_are_within_bounds(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text('[polling]\ntimeout = "2s"\ninterval = "1s"\n', encoding="utf-8")
    assert load_settings(path, {}).polling.timeout == 2.0
    assert load_settings(None, {}).dedupe.event_window == 14 * 86400
