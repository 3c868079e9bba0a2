"""Numbered schema migrations. The database records which ran, so a newer server opens an older file.

Never edit a migration that has shipped: add a new one with the next number, beside the store module that owns
its tables, and list it in `schema.companion_schema()`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection, float], None]  # (connection, now in Unix seconds)


def _script(sql: str) -> Callable[[sqlite3.Connection, float], None]:
    def run(conn: sqlite3.Connection, _now: float) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return run


V1_CORE = """
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    session TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    datastore TEXT,
    scope TEXT,
    key TEXT,
    latency_ms REAL,
    size INTEGER,
    ok INTEGER,
    error_code INTEGER,
    message TEXT,
    feature TEXT,
    view TEXT,
    props BLOB,
    received_at REAL NOT NULL
);
CREATE UNIQUE INDEX events_by_user_event ON events (user_id, event_id);
CREATE INDEX events_by_user_ts ON events (user_id, ts);

CREATE TABLE sessions (
    user_id INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    place_id INTEGER,
    game_id INTEGER,
    plugin_version TEXT,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (user_id, session_id)
) WITHOUT ROWID;

CREATE TABLE realtime_snapshots (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    ts REAL NOT NULL,
    session_time REAL,
    body BLOB NOT NULL
);
CREATE INDEX realtime_snapshots_by_user_ts ON realtime_snapshots (user_id, ts);

CREATE TABLE cache_entries (
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    datastore TEXT NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    bytes INTEGER NOT NULL,
    cached_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (user_id, kind, datastore, scope, key)
) WITHOUT ROWID;

CREATE TABLE cache_counters (
    user_id INTEGER PRIMARY KEY,
    hits INTEGER NOT NULL DEFAULT 0,
    misses INTEGER NOT NULL DEFAULT 0,
    puts INTEGER NOT NULL DEFAULT 0,
    expired INTEGER NOT NULL DEFAULT 0,
    bytes_written INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    created_at REAL NOT NULL,
    title TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX reports_by_user_created ON reports (user_id, created_at);
CREATE INDEX reports_by_user_type_created ON reports (user_id, type, created_at);

CREATE TABLE settings (
    user_id INTEGER PRIMARY KEY,
    body BLOB NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE historical_snapshots (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    category TEXT NOT NULL,
    created_at REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX historical_by_user_created ON historical_snapshots (user_id, created_at)
"""

# Migration 1; later ones live beside the code that reads their tables (rollups: 2 and 3, edits: 4) and are
# listed, in order, by `schema.companion_schema()`.
CORE: tuple[Migration, ...] = (
    Migration(1, "core stores: events, sessions, cache, reports, settings, historical", _script(V1_CORE)),
)


def checked(migrations: tuple[Migration, ...]) -> tuple[Migration, ...]:
    """The list in order; two migrations of one number (two branches merged) is a programming error."""
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a number: {sorted(versions)}")
    return tuple(sorted(migrations, key=lambda m: m.version))


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(
    conn: sqlite3.Connection, now: float, migrations: tuple[Migration, ...], target: int | None = None
) -> list[int]:
    """Apply every migration not yet recorded (up to `target`), each in its own transaction; `now` stamps them."""
    done = applied_versions(conn)
    ran: list[int] = []
    for migration in checked(migrations):
        if migration.version in done or (target is not None and migration.version > target):
            continue
        log.info("applying migration %d: %s", migration.version, migration.name)
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration.apply(conn, now)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, now),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        ran.append(migration.version)
    return ran


def latest_version(migrations: tuple[Migration, ...]) -> int:
    return max(m.version for m in migrations)
