"""Configuration: defaults, overrides and one-line errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.errors import ConfigError
from monitor.core.settings import SCHEMA, load_settings, parse_duration, parse_size


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file_and_embed_a_curated_feed_list() -> None:
    settings = load_settings(None, {})
    assert 15 <= len(settings.feeds) <= 30
    assert all(f.url.startswith("https://") for f in settings.feeds)
    assert len({f.url for f in settings.feeds}) == len(settings.feeds)
    assert settings.polling.allow_private_addresses is False
    assert settings.polling.timeout == 20.0
    assert settings.feeds_from_config is False


def test_file_values_and_feeds_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[state]
path = "x/state.sqlite3"
[polling]
interval = "10m"
timeout = "5s"
max_bytes = "2MB"
concurrency = 3
per_host = 1
allow_private_addresses = true
[classifier]
threshold = 0.7
[slack]
channel = "#bans"
api_url = "http://127.0.0.1:9/api/"
[notify]
jsonl_path = "alerts.jsonl"
[[feeds]]
url = "https://example.org/feed.xml"
name = "Example"
interval = "1h"
""",
    )
    s = load_settings(path, {})
    assert s.state.path == Path("x/state.sqlite3")
    assert (s.polling.interval, s.polling.timeout, s.polling.max_bytes) == (600.0, 5.0, 2_000_000)
    assert (s.polling.concurrency, s.polling.per_host) == (3, 1)
    assert s.polling.allow_private_addresses is True
    assert s.classifier.threshold == 0.7
    assert s.slack.channel == "#bans"
    assert s.notify.jsonl_path == Path("alerts.jsonl")
    assert [(f.url, f.name, f.interval) for f in s.feeds] == [
        ("https://example.org/feed.xml", "Example", 3600.0)
    ]
    assert s.feeds_from_config is True


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[state]\npath = "from-file.sqlite3"\n[slack]\nchannel = "a"\n')
    env = {
        "MONITOR_STATE_PATH": "/data/env.sqlite3",
        "MONITOR_SLACK_CHANNEL": "C123",
        "MONITOR_SLACK_BOT_TOKEN": "xoxb-1-secret",
        "MONITOR_SLACK_APP_TOKEN": "xapp-1-secret",
        "MONITOR_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X",
        "MONITOR_SLACK_API_URL": "http://127.0.0.1:1234/api/",
    }
    s = load_settings(path, env)
    assert s.state.path == Path("/data/env.sqlite3")
    assert s.slack.channel == "C123"
    assert s.slack.bot_token == "xoxb-1-secret"
    assert s.slack.app_token == "xapp-1-secret"
    assert s.slack.webhook_url == "https://hooks.slack.com/services/T/B/X"
    assert s.slack.api_url == "http://127.0.0.1:1234/api/"


def test_monitor_config_env_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[polling]\nconcurrency = 5\n")
    assert load_settings(None, {"MONITOR_CONFIG": str(path)}).polling.concurrency == 5


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[polling]\ntimeout = "soon"\n', "polling.timeout"),
        ("[polling]\nconcurrency = 0\n", "polling.concurrency"),
        ('[polling]\nallow_private_addresses = "maybe"\n', "polling.allow_private_addresses"),
        ("[polling]\nmax_bytes = -1\n", "polling.max_bytes"),
        ("[polling]\nspeed = 3\n", "polling.speed"),
        ("[classifier]\nthreshold = 1.5\n", "classifier.threshold"),
        ('[slack]\napi_url = "ftp://x"\n', "slack.api_url"),
        ('[stat]\npath = "x"\n', "'stat'"),
        ('[[feeds]]\nname = "no url"\n', "feeds[0].url"),
        ('[[feeds]]\nurl = "file:///etc/passwd"\n', "feeds[0].url"),
        ('[[feeds]]\nurl = "https://a.example/f"\ninterval = "often"\n', "feeds[0].interval"),
        ('[[feeds]]\nurl = "https://a.example/f"\ncolour = 1\n', "feeds[0].colour"),
        ("feeds = 3\n", "feeds"),
        ("[polling\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), {})
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_unreadable_file_and_bad_env_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", {})
    with pytest.raises(ConfigError, match="MONITOR_SLACK_API_URL"):
        load_settings(None, {"MONITOR_SLACK_API_URL": "not a url"})


def test_secret_values_are_not_echoed_in_errors() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, {"MONITOR_SLACK_WEBHOOK_URL": "hooks-secret-value"})
    assert "hooks-secret-value" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("10m", 600.0), ("30s", 30.0), ("1.5h", 5400.0), (45, 45.0), ("2d", 172800.0)],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


def test_sizes() -> None:
    assert parse_size("5MB") == 5_000_000
    assert parse_size("1MiB") == 1_048_576
    assert parse_size(123) == 123
    with pytest.raises(ValueError):
        parse_size("lots")


def test_every_key_has_a_doc_and_a_parsable_default() -> None:
    for section, keys in SCHEMA.items():
        for name, key in keys.items():
            assert key.doc, f"{section}.{name} lacks a doc"
            if key.default is not None:
                key.parse(key.default)  # defaults are written as a user would write them
