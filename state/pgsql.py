"""The small dialect layer between the shared SQL and psycopg.

- ``pg_sql``: the shared statements use SQLite's ``?`` marks; psycopg wants ``%s`` (and a
  literal ``%`` doubled). No shared statement has a ``?`` inside a string literal.
- ``Row``: rows read by name or by position, like ``sqlite3.Row``, so the row-to-record
  code (``state.codec``) serves both engines.
- ``redact_url``: a database URL without its password, for messages and logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from psycopg import Cursor


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Row(tuple[Any, ...]):
    """A result row: ``row["name"]`` or ``row[0]``; ``keys()`` lists the column names."""

    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def row_factory(cursor: Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names = [column.name for column in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._index = index
        return row

    return make


def redact_url(text: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``; any text
    that is not such a URL is returned unchanged except for a ``password=`` value."""
    parts = urlsplit(text) if "://" in text and " " not in text.strip() else None
    if parts is not None and parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return _PASSWORD_WORD.sub(r"\1***", text)


_PASSWORD_WORD = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)
