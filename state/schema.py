"""The database schema as code: numbered migrations, versioned with ``PRAGMA user_version``.

Migration N brings a database from version N-1 to N. They only ever append: a
released migration is never edited. A database whose version is newer than
``SCHEMA_VERSION`` was written by newer code and is refused (no silent downgrade).

All times are stored as ISO-8601 UTC text ("2024-01-02T03:04:05+00:00").
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: feeds and their health, items.
    """
    CREATE TABLE feeds (
        url                  TEXT PRIMARY KEY,      -- as configured (not canonicalised)
        name                 TEXT NOT NULL DEFAULT '',
        interval             REAL,                  -- seconds; NULL = polling.interval
        origin               TEXT NOT NULL,         -- 'config' | 'default' | 'cli' | 'opml'
        removed              INTEGER NOT NULL DEFAULT 0,  -- 1 by the user, 2 no longer configured
        etag                 TEXT,                  -- validators of the last 200 answer
        last_modified        TEXT,
        last_checked         TEXT,
        last_success         TEXT,
        last_error           TEXT,                  -- short text of the last failure
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_check           TEXT,                  -- NULL = due now
        last_new_item        TEXT,
        created_at           TEXT NOT NULL
    );
    CREATE TABLE items (
        id              INTEGER PRIMARY KEY,
        feed_url        TEXT NOT NULL,
        guid            TEXT NOT NULL,
        canonical_url   TEXT NOT NULL,              -- '' when the entry had no usable link
        url             TEXT NOT NULL,
        title           TEXT NOT NULL,
        summary         TEXT NOT NULL,
        published       TEXT,
        fetched_at      TEXT NOT NULL,
        text            TEXT NOT NULL,              -- extracted text, or the summary (see method)
        text_hash       TEXT NOT NULL,              -- sha256 of normalised text
        method          TEXT NOT NULL,              -- 'trafilatura' | 'summary'
        fallback_reason TEXT,
        sitename        TEXT NOT NULL DEFAULT '',
        language        TEXT,
        score           REAL,                       -- classifier output, NULL if not scored
        is_ban          INTEGER,
        why             TEXT,                       -- JSON list of terms
        model_version   TEXT,
        UNIQUE (feed_url, guid)
    );
    CREATE UNIQUE INDEX items_canonical_url ON items (canonical_url) WHERE canonical_url != '';
    CREATE INDEX items_text_hash ON items (text_hash);
    CREATE INDEX items_fetched_at ON items (fetched_at);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
