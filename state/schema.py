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
    # 2: story/event dedupe and the alerts outbox.
    """
    ALTER TABLE items ADD COLUMN minhash BLOB;          -- MinHash signature (ban items only)
    ALTER TABLE items ADD COLUMN event_id TEXT;         -- the event a ban item was filed under
    ALTER TABLE items ADD COLUMN story_of INTEGER;      -- item id of the story this one copies
    CREATE TABLE events (
        id            TEXT PRIMARY KEY,
        summary       TEXT NOT NULL,                    -- JSON Summary of the first report
        first_seen    TEXT NOT NULL,
        last_seen     TEXT NOT NULL,                    -- window for joining runs from here
        source_count  INTEGER NOT NULL DEFAULT 1,
        alert_id      TEXT                              -- the top-level alert
    );
    CREATE INDEX events_last_seen ON events (last_seen);
    CREATE TABLE alerts (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,  -- delivery order
        id            TEXT NOT NULL UNIQUE,             -- idempotency key sent with the message
        event_id      TEXT NOT NULL REFERENCES events (id),
        kind          TEXT NOT NULL,                    -- 'alert' | 'update'
        item_id       INTEGER NOT NULL REFERENCES items (id),
        parent_id     TEXT,                             -- updates: the event's top-level alert
        summary       TEXT NOT NULL,                    -- JSON Summary
        new_facts     TEXT NOT NULL DEFAULT '[]',       -- JSON list
        source_count  INTEGER NOT NULL DEFAULT 1,
        created_at    TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'pending',  -- 'pending' | 'sent' | 'failed'
        attempts      INTEGER NOT NULL DEFAULT 0,       -- > 0: may have reached Slack
        last_error    TEXT,
        next_attempt  TEXT,                             -- NULL = now
        message_ts    TEXT,                             -- Slack ts once sent
        channel       TEXT,
        sent_at       TEXT
    );
    CREATE INDEX alerts_status ON alerts (status, seq);
    """,
    # 3: labels with provenance, the model registry, small service bookkeeping.
    """
    CREATE TABLE labels (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order, latest per key wins
        example_id     TEXT NOT NULL,                    -- 'item-<text hash>' or an imported id
        item_id        INTEGER REFERENCES items (id),    -- NULL for imported examples
        alert_id       TEXT,                             -- the alert that was clicked, if any
        label          TEXT NOT NULL,                    -- 'ban' | 'not_ban'
        who            TEXT NOT NULL,                    -- Slack user id, OS user, or as imported
        labelled_at    TEXT NOT NULL,
        source         TEXT NOT NULL,                    -- 'slack' | 'cli' | 'import'
        model_version  TEXT,                             -- the model that scored the item
        score          REAL,                             -- its score then
        text_hash      TEXT NOT NULL,
        title          TEXT NOT NULL,                    -- what was labelled (training input)
        text           TEXT NOT NULL,
        note           TEXT NOT NULL DEFAULT ''          -- source_note as exported/imported
    );
    CREATE INDEX labels_example ON labels (example_id, seq);
    CREATE INDEX labels_item ON labels (item_id);
    CREATE TABLE models (
        version        TEXT PRIMARY KEY,                 -- ModelMetadata.version
        path           TEXT NOT NULL,                    -- the .skops file
        status         TEXT NOT NULL,                    -- 'active' | 'rejected' | 'retired'
        created_at     TEXT NOT NULL,
        activated_at   TEXT,                             -- last time it became active
        data_sha256    TEXT NOT NULL,
        metrics        TEXT NOT NULL DEFAULT '{}',       -- JSON {name: value}
        reason         TEXT,                             -- why rejected / how it came to be
        labels_seen    INTEGER NOT NULL DEFAULT 0        -- labels.seq high-water mark trained on
    );
    CREATE UNIQUE INDEX models_one_active ON models (status) WHERE status = 'active';
    CREATE TABLE meta (
        key            TEXT PRIMARY KEY,                 -- e.g. 'last_digest'
        value          TEXT NOT NULL
    );
    """,
    # 4: feed-health notices, learned posting cadence, digest threads.
    """
    ALTER TABLE feeds ADD COLUMN cadence REAL;          -- learned seconds between new items (EWMA)
    ALTER TABLE feeds ADD COLUMN cadence_gaps INTEGER NOT NULL DEFAULT 0;  -- gaps it learned from
    ALTER TABLE feeds ADD COLUMN cadence_seen TEXT;     -- the last_new_item already learned from
    ALTER TABLE feeds ADD COLUMN notice TEXT;           -- 'failing' | 'silent': a notice is out
    ALTER TABLE feeds ADD COLUMN notice_at TEXT;        -- when that notice was sent
    ALTER TABLE alerts ADD COLUMN thread_root TEXT;     -- digest mode: ts of the digest message
    """,
    # 5: the parse warning of a feed's last good poll (an ill-formed, "bozo" feed).
    """
    ALTER TABLE feeds ADD COLUMN last_warning TEXT;     -- NULL when the feed parsed cleanly
    """,
    # 6: event status lifecycle, report times, the routing of each scored item.
    """
    ALTER TABLE events ADD COLUMN status TEXT;          -- current lifecycle status (id)
    ALTER TABLE items ADD COLUMN event_at TEXT;         -- report time: published, else fetched
    ALTER TABLE items ADD COLUMN route TEXT;            -- alert|update|status|reply|review|drop
    ALTER TABLE items ADD COLUMN route_reason TEXT;     -- why it went there (review, drop)
    ALTER TABLE alerts ADD COLUMN event_status TEXT;    -- the event's status this alert reports
    ALTER TABLE alerts ADD COLUMN previous_status TEXT; -- status updates: the status before
    CREATE TABLE event_status (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id    TEXT NOT NULL REFERENCES events (id),
        status      TEXT NOT NULL,                      -- lifecycle status id
        at          TEXT NOT NULL,                      -- report time of the item saying so
        item_id     INTEGER REFERENCES items (id)
    );
    CREATE INDEX event_status_event ON event_status (event_id, at, seq);
    CREATE INDEX items_route ON items (route);
    """,
    # 7: the first-poll catch-up window of a feed (``feeds add --backfill``).
    """
    ALTER TABLE feeds ADD COLUMN backfill REAL;  -- seconds; NULL = polling.backfill; Inf = all
    """,
    # 8: Slack requests already handled (signed-request replay guard, 5-minute window).
    """
    CREATE TABLE slack_requests (
        key            TEXT PRIMARY KEY,                 -- sha256 of the request signature
        seen_at        TEXT NOT NULL                     -- pruned after the replay window
    );
    """,
    # 9: filing looks up ban stories by report time for every ban item (near-duplicate
    # check): without this index that is a scan of every item ever stored.
    """
    CREATE INDEX items_ban_report ON items ((COALESCE(event_at, fetched_at)))
        WHERE is_ban = 1 AND event_id IS NOT NULL;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
