"""Move an installation between engines: every table of a SQLite store into PostgreSQL.

Both ends are opened (and so migrated to the same schema version) first; the target must
be empty. Tables are copied in dependency order with every column and row id kept (then
the PostgreSQL id sequences continue after the highest copied id), in ONE target
transaction, and verified by counting each table on both sides afterwards. A model file
named by the registry is stored in the target too, so replicas on other machines can
serve it. Tables are discovered, not listed: a table a later migration adds is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.core.errors import StoreError
from state.postgres import PostgresStore
from state.sqlite import SQLiteStore

# Parents before children (foreign keys); other tables follow in name order.
FIRST = ("feeds", "items", "events", "alerts", "labels", "models", "meta")
BATCH = 500


@dataclass(frozen=True, slots=True)
class CopyReport:
    counts: dict[str, tuple[int, int]]  # table -> (source rows, target rows)

    @property
    def ok(self) -> bool:
        return all(a == b for a, b in self.counts.values())


def tables(source: SQLiteStore) -> list[str]:
    names = {
        r[0]
        for r in source.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(r[0]).startswith("sqlite_")
    }
    return [t for t in FIRST if t in names] + sorted(names - set(FIRST))


def copy_store(source: SQLiteStore, target: PostgresStore) -> CopyReport:
    if source.schema_version != target.schema_version:
        raise StoreError("state copy: the two databases have different schema versions")
    names = tables(source)
    busy = [t for t in names if target.query(f"SELECT COUNT(*) FROM {t}")[0][0]]
    if busy:
        raise StoreError(f"state copy: the target is not empty (table {busy[0]}); refusing")
    with target.transaction() as tx:
        for table in names:
            columns = [r[1] for r in source.query(f"PRAGMA table_info({table})")]
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
            )
            offset = 0
            while rows := source.query(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid LIMIT ? OFFSET ?",
                (BATCH, offset),
            ):
                for row in rows:
                    tx.execute(insert, tuple(row))
                offset += len(rows)
            for column in _identity_columns(tx, table):
                tx.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                    f" GREATEST((SELECT MAX({column}) FROM {table}), 1))"
                )
        _copy_model_files(source, tx)
    return CopyReport({t: (_count(source, t), _count(target, t)) for t in names})


def _identity_columns(tx: object, table: str) -> list[str]:
    rows = tx.execute(  # type: ignore[attr-defined]
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = ? AND is_identity = 'YES'",
        (table,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _copy_model_files(source: SQLiteStore, tx: object) -> None:
    import hashlib

    for version, path in source.query("SELECT version, path FROM models"):
        if Path(path).is_file():
            data = Path(path).read_bytes()
            tx.execute(  # type: ignore[attr-defined]
                "INSERT INTO model_files (version, sha256, data) VALUES (?, ?, ?)"
                " ON CONFLICT (version) DO NOTHING",
                (version, hashlib.sha256(data).hexdigest(), data),
            )


def _count(store: SQLiteStore, table: str) -> int:
    return int(store.query(f"SELECT COUNT(*) FROM {table}")[0][0])
