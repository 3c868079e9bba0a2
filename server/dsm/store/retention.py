"""Removing old data from every store (`data.clean` and the retention schedule)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# (store name, table, time column) for everything that ages out. Tables added by later modules
# (for example rollups) register themselves here.
AGED_TABLES: list[tuple[str, str, str]] = [
    ("events", "events", "ts"),
    ("realtimeSnapshots", "realtime_snapshots", "ts"),
    ("reports", "reports", "created_at"),
    ("historical", "historical_snapshots", "created_at"),
    ("cache", "cache_entries", "cached_at"),
    ("edits", "edits", "ts"),
]


def clean_job(user_id: int | None, before: float) -> Callable[[sqlite3.Connection], dict[str, int]]:
    """Delete rows older than `before` (for one user, or all when None); counts per store."""

    def job(conn: sqlite3.Connection) -> dict[str, int]:
        removed: dict[str, int] = {}
        for store, table, column in AGED_TABLES:
            if user_id is None:
                cursor = conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (before,))
            else:
                cursor = conn.execute(f"DELETE FROM {table} WHERE user_id = ? AND {column} < ?", (user_id, before))
            removed[store] = removed.get(store, 0) + cursor.rowcount
        return removed

    return job
