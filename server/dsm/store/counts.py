"""Row counts per store, for `status` and `GET /api/status`."""

from __future__ import annotations

import sqlite3

STORE_TABLES: dict[str, tuple[str, ...]] = {
    "cache": ("cache_entries",),
    "analytics": ("events", "realtime_snapshots", "sessions"),
    "reports": ("reports",),
    "settings": ("settings",),
    "historical": ("historical_snapshots",),
    "edits": ("edits",),
    "shares": ("report_shares",),
}


def row_counts(conn: sqlite3.Connection, user_id: int | None = None) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for store, tables in STORE_TABLES.items():
        out[store] = {}
        for table in tables:
            if user_id is None:
                row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            else:
                row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,)).fetchone()
            out[store][table] = row[0]
    return out
