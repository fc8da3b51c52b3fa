"""Configuration: the only reader of the config file and of ``os.environ``.

``load_settings(path, env)`` returns a frozen ``Settings`` or raises ``ConfigError``
with one line naming the offending key. Every key is optional; the table ``SCHEMA``
below is the single source of truth for keys, types, defaults and docs.

Precedence: environment > config file > defaults. The config file comes from
``--config PATH`` or ``MONITOR_CONFIG`` (a file, or a directory holding ``monitor.toml``).
Secrets (Slack tokens, webhook URL, signing secret) may come from the environment, from a
file named by ``<VARIABLE>_FILE`` (e.g. ``MONITOR_SLACK_BOT_TOKEN_FILE``, Docker and
Kubernetes secrets), or from the config file, and are never printed.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.core.errors import ConfigError
from monitor.core.records import Feed

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    None: 1,
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}


def parse_duration(value: Any) -> float:
    """``"10m"`` -> 600.0; plain numbers are seconds. Must be > 0."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '10m', '1h'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"expected a duration such as '30s', '10m', '1h', got {value!r}")
    if not math.isfinite(seconds):
        raise ValueError(f"must be a finite duration, got {value!r}")
    if seconds <= 0:
        raise ValueError(f"must be greater than zero, got {value!r}")
    return seconds


def parse_size(value: Any) -> int:
    """``"5MB"`` -> 5_000_000; plain integers are bytes. Must be > 0."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as '5MB'")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        unit = m.group(2).lower() if m.group(2) else None
        size = int(float(m.group(1)) * _SIZE_UNITS[unit])
    else:
        raise ValueError(f"expected a size such as '5MB' or a number of bytes, got {value!r}")
    if size <= 0:
        raise ValueError(f"must be greater than zero, got {value!r}")
    return size


@dataclass(frozen=True)
class _Duration:
    """A duration parser with finite bounds, named in its error message and the docs."""

    low: str
    high: str

    @property
    def bounds(self) -> str:
        return f"{self.low} to {self.high}"

    def __call__(self, value: Any) -> float:
        seconds = parse_duration(value)
        if not parse_duration(self.low) <= seconds <= parse_duration(self.high):
            raise ValueError(f"must be between {self.low} and {self.high}, got {value!r}")
        return seconds


@dataclass(frozen=True)
class _Count:
    """A whole number from 1 to ``high``."""

    high: int

    @property
    def bounds(self) -> str:
        return f"1 to {self.high}"

    def __call__(self, value: Any) -> int:
        number = _positive_int(value)
        if number > self.high:
            raise ValueError(f"must be between 1 and {self.high}, got {value!r}")
        return number


_duration, _count = _Duration, _Count


def _size(value: Any) -> int:
    size = parse_size(value)
    if not 1000 <= size <= 1000**3:
        raise ValueError(f"must be between 1KB and 1GB, got {value!r}")
    return size


@dataclass(frozen=True)
class _Backfill:
    """A first-poll catch-up window: a duration in seconds (0s to 3650d), or "all"
    (``math.inf``: every item of a new feed goes through the full path)."""

    bounds: str = '0s to 3650d, or "all"'

    def __call__(self, value: Any) -> float:
        if isinstance(value, str) and value.strip().lower() == "all":
            return math.inf
        seconds = parse_duration(value)
        if not 0 <= seconds <= parse_duration("3650d"):
            raise ValueError(f'must be between 0s and 3650d, or "all", got {value!r}')
        return seconds


parse_backfill = _Backfill()


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {
        "true",
        "1",
        "yes",
        "on",
        "false",
        "0",
        "no",
        "off",
    }:
        return value.lower() in {"true", "1", "yes", "on"}
    raise ValueError(f"expected true or false, got {value!r}")


def _probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}") from None
    if not 0.0 < number < 1.0:
        raise ValueError(f"expected a number between 0 and 1 (exclusive), got {value!r}")
    return number


def _optional_probability(value: Any) -> float | None:
    return None if value is None else _probability(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return _text(value) or None


def _http_url(value: Any) -> str:
    text = _text(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return text


def _optional_url(value: Any) -> str | None:
    return _http_url(value) if value else None


def _optional_database_url(value: Any) -> str | None:
    if not value:
        return None
    text = _text(value)
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError("expected a postgresql:// URL")  # the value may hold a password
    return text


def _path(value: Any) -> Path:
    text = _text(value)
    if not text.strip():
        raise ValueError("expected a file path, got an empty string")
    return Path(text).expanduser()


def _optional_path(value: Any) -> Path | None:
    return _path(value) if value else None


def _notify_mode(value: Any) -> str:
    if value not in {"instant", "digest"}:
        raise ValueError(f"expected 'instant' or 'digest', got {value!r}")
    return str(value)


def _optional_listen(value: Any) -> str | None:
    if not value:
        return None
    host, _, port = _text(value).rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return str(value)


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = value.upper() if options[0].isupper() and isinstance(value, str) else value
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(text)

    return parse


def _clock_time(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"expected a time of day 'HH:MM' (UTC), got {value!r}")
    return value


@dataclass(frozen=True)
class Key:
    """One configuration key: its parser, default and one-line doc."""

    parse: Callable[[Any], Any]
    default: Any  # as written in the config file (e.g. "15m"), or None
    doc: str
    env: str | None = None  # environment variable that overrides it
    secret: bool = False


# Section -> key -> Key. Feeds are the [[feeds]] array, described by FEED_KEYS.
SCHEMA: dict[str, dict[str, Key]] = {
    "state": {
        "path": Key(
            _path,
            "var/monitor.sqlite3",
            "SQLite file holding feeds, items, alerts, labels and models",
            env="MONITOR_STATE_PATH",
        ),
        "url": Key(
            _optional_database_url,
            None,
            "PostgreSQL database (postgresql://user:pass@host/db) instead of the SQLite file;"
            " several replicas may share it",
            env="MONITOR_DATABASE_URL",
            secret=True,
        ),
        "lease": Key(
            parse_duration,
            "10m",
            "PostgreSQL: a replica that stops mid-poll loses its feeds to the others after this",
        ),
        "pool_size": Key(_positive_int, 10, "PostgreSQL: connections per replica, at most"),
    },
    "polling": {
        "interval": Key(_duration("1s", "30d"), "15m", "default time between polls of a feed"),
        "timeout": Key(_duration("100ms", "10m"), "20s", "overall deadline for one HTTP fetch"),
        "max_bytes": Key(_size, "5MB", "largest response body accepted"),
        "concurrency": Key(_count(256), 8, "fetches in flight at once"),
        "per_host": Key(_count(64), 2, "fetches in flight at once to one host"),
        "allow_private_addresses": Key(
            _bool, False, "allow URLs resolving to loopback/private/link-local addresses"
        ),
        "max_backoff": Key(_duration("1s", "30d"), "6h", "longest wait after repeated failures"),
        "extract_timeout": Key(
            _duration("100ms", "10m"), "15s", "hard deadline for extracting one article"
        ),
        "extract_workers": Key(
            _count(16), 1, "extraction worker processes (each adds ~50 MB of memory)"
        ),
        "max_items_per_feed": Key(_count(10_000), 100, "newest items considered per feed per poll"),
        "backfill": Key(
            parse_backfill,
            "24h",
            "a new feed's first poll alerts only on items this recent (or 'all'); "
            "older ones are stored as seen",
        ),
        "user_agent": Key(
            _text,
            "appban-monitor/0.1 (+https://github.com/appban-monitor/appban-monitor)",
            "User-Agent header sent with every request",
        ),
    },
    "classifier": {
        "threshold": Key(
            _optional_probability,
            None,
            "score at or above which an article is a ban (default: the model's own)",
        ),
        "model_path": Key(
            _optional_path,
            None,
            "model artifact to use (default: the active model in the state directory)",
        ),
    },
    "dedupe": {
        "event_window": Key(_duration("1m", "365d"), "14d", "how long later reports join an event"),
        "near_duplicate": Key(
            _probability, 0.4, "MinHash Jaccard at or above which two texts are one story"
        ),
        "lifecycle_window": Key(
            parse_duration,
            "365d",
            "how long later status follow-ups (court block, lifting) join a tracked event",
        ),
    },
    "alerting": {
        "alert_threshold": Key(
            _optional_probability,
            None,
            "score for a top-level alert, if no fact contradicts a ban (default: the "
            "classifier threshold)",
        ),
        "review_margin": Key(
            _probability,
            0.15,
            "scores this far below the alert threshold, and contradicted items, go to review",
        ),
        "reaction_replies": Key(
            _bool,
            False,
            "post explainers/reactions about a tracked event as thread replies (else drop)",
        ),
    },
    "slack": {
        "channel": Key(
            _optional_text, None, "channel id or name to post to", env="MONITOR_SLACK_CHANNEL"
        ),
        "api_url": Key(
            _optional_url,
            None,
            "Slack Web API base URL (for tests/proxies)",
            env="MONITOR_SLACK_API_URL",
        ),
        "webhook_url": Key(
            _optional_url,
            None,
            "incoming webhook URL (no threads)",
            env="MONITOR_SLACK_WEBHOOK_URL",
            secret=True,
        ),
        "bot_token": Key(
            _optional_text,
            None,
            "bot token xoxb-... (prefer the env variable)",
            env="MONITOR_SLACK_BOT_TOKEN",
            secret=True,
        ),
        "app_token": Key(
            _optional_text,
            None,
            "app-level token xapp-... for Socket Mode",
            env="MONITOR_SLACK_APP_TOKEN",
            secret=True,
        ),
        "team_id": Key(
            _optional_text,
            None,
            "workspace id (T...) whose label clicks count (others are refused)",
            env="MONITOR_SLACK_TEAM_ID",
        ),
        # -- interactivity over a Request URL --------------------------
        "signing_secret": Key(
            _optional_text,
            None,
            "signing secret verifying Slack's requests to the [http] endpoint",
            env="MONITOR_SLACK_SIGNING_SECRET",
            secret=True,
        ),
    },
    # -- labels, retraining, review --------------------------------------
    "retrain": {
        "min_new_labels": Key(_count(1_000_000), 5, "retrain once this many new labels arrived"),
        "every": Key(
            _duration("1m", "365d"), "1d", "retrain at least this often when labels are new"
        ),
        "enabled": Key(_bool, True, "retrain automatically in the running service"),
    },
    "http": {
        "listen": Key(
            _optional_listen,
            None,
            "HOST:PORT for /healthz, /metrics and Slack's /slack/actions (off when unset)",
            env="MONITOR_HTTP_LISTEN",  # the container image turns it on
        ),
        "ops_listen": Key(
            _optional_listen,
            None,
            "HOST:PORT for /livez, /readyz, /healthz and /metrics apart from Slack's path",
            env="MONITOR_HTTP_OPS_LISTEN",
        ),
    },
    "logging": {
        "format": Key(
            _choice("text", "json"),
            "text",
            "'text' (key=value) or 'json' lines",
            env="MONITOR_LOG_FORMAT",
        ),
        "level": Key(
            _choice("DEBUG", "INFO", "WARNING", "ERROR"),
            "INFO",
            "log level",
            env="MONITOR_LOG_LEVEL",
        ),
    },
    "retention": {
        "article_text": Key(
            _duration("1d", "3650d"), "180d", "empty the full text of items older than this"
        ),
        "keep_models": Key(_count(1000), 10, "files of rejected/retired models kept (newest)"),
    },
    "review": {
        "digest": Key(_bool, True, "post a daily Slack digest of items to label"),
        "digest_size": Key(_count(100), 10, "items in the review digest"),
    },
    "notify": {
        "jsonl_path": Key(
            _optional_path, None, "also append every alert/update to this JSONL file"
        ),
        "mode": Key(_notify_mode, "instant", "'instant' or 'digest'"),
        "digest_time": Key(_clock_time, "08:00", "when the daily digest is sent (UTC, HH:MM)"),
        # -- feed-health notices -----------------------------------------
        "feed_failure_threshold": Key(
            _count(1000), 5, "notify once when a feed fails this many polls in a row"
        ),
        "feed_silence_factor": Key(
            _count(1000), 10, "notify once when a feed is silent this many times its cadence"
        ),
        "feed_silence_min": Key(
            _duration("1m", "365d"),
            "2d",
            "never call a feed silent before this long without new items",
        ),
    },
}

FEED_KEYS: dict[str, Key] = {
    "url": Key(_http_url, None, "feed URL (required)"),
    "name": Key(_text, "", "display name"),
    "interval": Key(_duration("1s", "30d"), None, "time between polls of this feed"),
}


@dataclass(frozen=True)
class Section:
    """Values of one config section, by key name."""

    values: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Settings:
    """The whole configuration. Access as ``settings.polling.timeout``."""

    sections: Mapping[str, Section]
    feeds: tuple[Feed, ...]
    feeds_from_config: bool = False  # True when [[feeds]] was given in the file
    source: str = "defaults"  # where it came from, for `monitor status`
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Section:
        sections = object.__getattribute__(self, "sections")
        if name in sections:
            return sections[name]
        raise AttributeError(name)

    def with_values(self, section: str, **values: Any) -> Settings:
        """A copy with some values replaced (used by tests and the CLI)."""
        merged = dict(self.sections[section].values) | values
        return replace(self, sections=dict(self.sections) | {section: Section(merged)})

    @property
    def state_dir(self) -> Path:
        return Path(self.sections["state"].values["path"]).parent


def default_feeds() -> tuple[Feed, ...]:
    """The curated embedded feed list (monitor/core/default_feeds.toml)."""
    text = resources.files("monitor.core").joinpath("default_feeds.toml").read_text("utf-8")
    return _parse_feeds(tomllib.loads(text).get("feeds", []), "default_feeds.toml")


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (if any) and the environment; validate everything."""
    env = {} if env is None else env
    path = path or _config_in(env.get("MONITOR_CONFIG")) or None
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        data = _read_toml(Path(path))
        source = str(path)
    sections = {}
    for name, keys in SCHEMA.items():
        raw = data.pop(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(f"config: [{name}] must be a table")
        sections[name] = Section(_parse_section(name, keys, raw, env))
    feeds_raw = data.pop("feeds", None)
    if data:
        unknown = sorted(data)[0]
        raise ConfigError(
            f"config: unknown section or key '{unknown}' (known: {_known_sections()})"
        )
    feeds = _parse_feeds(feeds_raw, "feeds") if feeds_raw is not None else default_feeds()
    return Settings(sections, feeds, feeds_from_config=feeds_raw is not None, source=source)


def _config_in(value: str | None) -> str | None:
    """``MONITOR_CONFIG`` names a file, or a directory whose ``monitor.toml`` is read when
    present (else the defaults and the environment): a compose file can mount a config
    directory that may be empty."""
    if value and Path(value).is_dir():
        candidate = Path(value) / "monitor.toml"
        return str(candidate) if candidate.is_file() else None
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config: cannot read {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config: {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None


def _parse_section(
    section: str, keys: dict[str, Key], raw: dict[str, Any], env: Mapping[str, str]
) -> dict[str, Any]:
    for name in raw:
        if name not in keys:
            raise ConfigError(
                f"config: unknown key '{section}.{name}' (known: {', '.join(sorted(keys))})"
            )
    values = {}
    for name, key in keys.items():
        env_value = _secret_file(key, env) or (env.get(key.env) if key.env else None)
        if env_value not in (None, ""):
            values[name] = _parse_value(key, env_value, f"{key.env} (for {section}.{name})")
        elif name in raw:
            values[name] = _parse_value(key, raw[name], f"{section}.{name}")
        else:
            values[name] = None if key.default is None else key.parse(key.default)
    return values


def _secret_file(key: Key, env: Mapping[str, str]) -> str | None:
    """``<VAR>_FILE`` of a secret's variable (Docker/Kubernetes secrets): the file's text,
    read once at start, without the trailing newline. It wins over ``<VAR>`` itself."""
    name = f"{key.env}_FILE" if key.secret and key.env else None
    if not name or not env.get(name):
        return None
    try:
        return Path(env[name]).read_text("utf-8").rstrip("\r\n") or None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigError(f"config: cannot read {name} ({env[name]}): {reason}") from None


def _parse_value(key: Key, value: Any, label: str) -> Any:
    try:
        return key.parse(value)
    except (ValueError, TypeError) as exc:
        shown = "(secret)" if key.secret else str(exc)
        raise ConfigError(f"config: bad value for '{label}': {shown}") from None


def _parse_feeds(raw: Any, label: str) -> tuple[Feed, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"config: '{label}' must be an array of tables ([[feeds]])")
    feeds: list[Feed] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"feeds[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"config: '{where}' must be a table with a url")
        for name in entry:
            if name not in FEED_KEYS:
                raise ConfigError(
                    f"config: unknown key '{where}.{name}' (known: {', '.join(FEED_KEYS)})"
                )
        if "url" not in entry:
            raise ConfigError(f"config: '{where}.url' is required")
        values = {
            name: _parse_value(key, entry[name], f"{where}.{name}")
            if name in entry
            else key.default
            for name, key in FEED_KEYS.items()
        }
        if values["url"] in seen:
            raise ConfigError(f"config: '{where}.url' repeats {values['url']}")
        seen.add(values["url"])
        feeds.append(Feed(url=values["url"], name=values["name"], interval=values["interval"]))
    return tuple(feeds)


def _known_sections() -> str:
    return ", ".join([*SCHEMA, "feeds"])


def sync_configured_feeds(store: Any, settings: Settings, now: Any) -> None:
    """Register the configured (or embedded default) feeds in the store."""
    origin = "config" if settings.feeds_from_config else "default"
    store.sync_feeds(settings.feeds, origin, now)
