"""Hourly and daily rollups of the raw events, kept up to date as events commit (migration 2).

Five tables, each with a `grain` (3600 or 86400) and a `bucket` (UTC start of the hour or day):
counts by kind/name/error code/outcome, DataStore operations with a latency sketch, UI events by
feature and view, sessions (events, first and last time) and per-key access (calls, sizes,
latency, first/last). A report reads whole days from the daily rows, whole hours from the hourly
rows and only the partial hours at the edges of its period from the raw events.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dsm.analytics import sketch
from dsm.analytics.buckets import DAY, HOUR, Bucket, split_rows
from dsm.store import migrations
from dsm.store.codec import pack, unpack
from dsm.store.events import EventRow
from dsm.store.tables import TableSpec

log = logging.getLogger(__name__)

TABLE_NAMES = ("rollup_counts", "rollup_ops", "rollup_ui", "rollup_sessions", "rollup_keys")
# Hourly rows only where hour-level figures are needed (activity series, anomaly detection); every extra
# row is an upsert on the ingest path. Periods not on whole days read the other tables' edges raw.
GRAINS: dict[str, tuple[int, ...]] = {
    "rollup_counts": (HOUR, DAY),
    "rollup_ops": (HOUR, DAY),
    "rollup_ui": (DAY,),
    "rollup_sessions": (DAY,),
    "rollup_keys": (DAY,),
}
_PK = "user_id INTEGER NOT NULL, grain INTEGER NOT NULL, bucket INTEGER NOT NULL"
SCHEMA = f"""
CREATE TABLE rollup_counts ({_PK}, kind TEXT NOT NULL, name TEXT NOT NULL, error_code INTEGER NOT NULL,
    ok INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (user_id, grain, bucket, kind, name, error_code, ok)) WITHOUT ROWID;
CREATE TABLE rollup_ops ({_PK}, name TEXT NOT NULL, count INTEGER NOT NULL, successes INTEGER NOT NULL,
    failures INTEGER NOT NULL, lat_count INTEGER NOT NULL, lat_sum REAL NOT NULL, lat_min REAL, lat_max REAL,
    hist BLOB NOT NULL, PRIMARY KEY (user_id, grain, bucket, name)) WITHOUT ROWID;
CREATE TABLE rollup_ui ({_PK}, name TEXT NOT NULL, feature TEXT NOT NULL, view TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (user_id, grain, bucket, name, feature, view)) WITHOUT ROWID;
CREATE TABLE rollup_sessions ({_PK}, session TEXT NOT NULL, count INTEGER NOT NULL, first_ts REAL NOT NULL,
    last_ts REAL NOT NULL, PRIMARY KEY (user_id, grain, bucket, session)) WITHOUT ROWID;
CREATE TABLE rollup_keys ({_PK}, datastore TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL,
    reads INTEGER NOT NULL, failures INTEGER NOT NULL, bytes REAL NOT NULL, sized INTEGER NOT NULL, max_size REAL,
    lat_count INTEGER NOT NULL, lat_sum REAL NOT NULL, lat_max REAL, first_ts REAL NOT NULL, last_ts REAL NOT NULL,
    PRIMARY KEY (user_id, grain, bucket, datastore, scope, key)) WITHOUT ROWID
"""


def _add(*cols: str) -> list[str]:
    return [f"{c} = {c} + excluded.{c}" for c in cols]


def _extreme(fn: str, *cols: str) -> list[str]:
    # min()/max() with several arguments return NULL if any is NULL, so each side falls back to the other.
    return [f"{c} = {fn}(coalesce({c}, excluded.{c}), coalesce(excluded.{c}, {c}))" for c in cols]


# What an upsert does when the rollup row exists: add counts and sums, keep extremes, merge sketches.
_ON_CONFLICT = {
    table: "ON CONFLICT DO UPDATE SET " + ", ".join(updates)
    for table, updates in {
        "rollup_counts": _add("count"),
        "rollup_ops": [
            *_add("count", "successes", "failures", "lat_count", "lat_sum"),
            *_extreme("min", "lat_min"),
            *_extreme("max", "lat_max"),
            "hist = dsm_merge_hist(hist, excluded.hist)",
        ],
        "rollup_ui": _add("count"),
        "rollup_sessions": [*_add("count"), *_extreme("min", "first_ts"), *_extreme("max", "last_ts")],
        "rollup_keys": [
            *_add("reads", "failures", "bytes", "sized", "lat_count", "lat_sum"),
            *_extreme("max", "max_size", "lat_max", "last_ts"),
            *_extreme("min", "first_ts"),
        ],
    }.items()
}
_WIDTH = {"rollup_counts": 8, "rollup_ops": 12, "rollup_ui": 7, "rollup_sessions": 7, "rollup_keys": 16}
_UPSERT = {t: f"INSERT INTO {t} VALUES ({','.join('?' * n)}) {_ON_CONFLICT[t]}" for t, n in _WIDTH.items()}
UPSERT_ROWS = 32
_UPSERT_MANY = {
    t: f"INSERT INTO {t} VALUES {','.join(['(' + ','.join('?' * n) + ')'] * UPSERT_ROWS)} {_ON_CONFLICT[t]}"
    for t, n in _WIDTH.items()
}


def _upsert(conn: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Full chunks of 32 rows go in one statement each (one trip into SQLite); the rest row by row."""
    whole = len(rows) - len(rows) % UPSERT_ROWS
    for start in range(0, whole, UPSERT_ROWS):
        conn.execute(_UPSERT_MANY[table], [v for row in rows[start : start + UPSERT_ROWS] for v in row])
    if whole < len(rows):
        conn.executemany(_UPSERT[table], rows[whole:])


def _pack_hist(bins: sketch.Bins) -> bytes:
    return pack(bins)


def _merge_hist(a: bytes | None, b: bytes | None) -> bytes:
    return pack(sketch.merge(unpack(a) or {}, unpack(b) or {}))


def _ensure_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("dsm_merge_hist", 2, _merge_hist, deterministic=True)


def _count_rows(head: tuple[int, int, int], b: Bucket) -> Iterator[tuple[Any, ...]]:
    for (kind, name, code, ok), n in b.counts.items():
        yield (*head, kind, name, code, ok, n)


def _op_rows(head: tuple[int, int, int], b: Bucket) -> Iterator[tuple[Any, ...]]:
    for name, op in b.ops.items():
        stats = (op.count, op.successes, op.failures, op.lat_count, op.lat_sum, op.lat_min, op.lat_max)
        yield (*head, name, *stats, _pack_hist(op.hist))


def _ui_rows(head: tuple[int, int, int], b: Bucket) -> Iterator[tuple[Any, ...]]:
    for (name, feature, view), n in b.ui.items():
        yield (*head, name, feature, view, n)


def _session_rows(head: tuple[int, int, int], b: Bucket) -> Iterator[tuple[Any, ...]]:
    for sid, (n, first, last) in b.sessions.items():
        yield (*head, sid, n, first, last)


def _key_rows(head: tuple[int, int, int], b: Bucket) -> Iterator[tuple[Any, ...]]:
    for (ds, scope, key), k in b.keys.items():
        stats = (k.reads, k.failures, k.bytes, k.sized, k.max_size, k.lat_count, k.lat_sum, k.lat_max)
        yield (*head, ds, scope, key, *stats, k.first, k.last)


_ROWS = {
    "rollup_counts": _count_rows,
    "rollup_ops": _op_rows,
    "rollup_ui": _ui_rows,
    "rollup_sessions": _session_rows,
    "rollup_keys": _key_rows,
}


# Per-key rows are the costly part of keeping rollups on ingest (about one upsert per value read), so for
# the days that are still open they are not kept as events arrive: readers take the open days' per-key figures
# from the raw events, and `close_key_days` aggregates each day in SQL once it is over. `keys_closed_through`
# (a UTC day start) splits the two: per-key rollup rows exist exactly for the events before it.
KEYS_CLOSED = "keys_closed_through"


def keys_closed_through(conn: sqlite3.Connection) -> float:
    row = conn.execute("SELECT value FROM rollup_state WHERE name = ?", (KEYS_CLOSED,)).fetchone()
    return float(row[0]) if row else 0.0


_CLOSE_KEYS_SQL = (
    "INSERT INTO rollup_keys SELECT user_id, 86400, CAST(ts / 86400 AS INTEGER) * 86400, datastore,"
    " COALESCE(scope, ''), COALESCE(key, ''), COUNT(*), COUNT(CASE WHEN ok = 0 THEN 1 END), TOTAL(size),"
    " COUNT(size), MAX(size), COUNT(latency_ms), TOTAL(latency_ms), MAX(latency_ms), MIN(ts), MAX(ts)"
    " FROM events WHERE ts >= ? AND ts < ? AND kind = 'datastore' AND datastore IS NOT NULL"
    " GROUP BY user_id, 3, datastore, 5, 6 "
)


def close_key_days(conn: sqlite3.Connection, now: float) -> None:
    """Aggregate the per-key rows of every day that ended since the last close (inside the caller's transaction)."""
    start, end = keys_closed_through(conn), now // DAY * DAY
    if end <= start:
        return
    conn.execute(_CLOSE_KEYS_SQL + _ON_CONFLICT["rollup_keys"], (start, end))
    conn.execute("UPDATE rollup_state SET value = ? WHERE name = ?", (end, KEYS_CLOSED))


def write_rows(conn: sqlite3.Connection, rows: Iterable[EventRow], now: float) -> None:
    """Add event rows into the rollup tables (hourly and daily rows as `GRAINS` says; per-key rows only for
    days already closed), then close the days that ended."""
    _ensure_functions(conn)
    hours, days = split_rows(rows, keys_closed_through(conn))
    by_grain = {HOUR: hours, DAY: days}
    for table, grains in GRAINS.items():
        rows = [
            row
            for grain in grains
            for (user, start), bucket in by_grain[grain].items()
            for row in _ROWS[table]((user, grain, start), bucket)
        ]
        if rows:
            _upsert(conn, table, rows)
    close_key_days(conn, now)


def observe(conn: sqlite3.Connection, rows: list[EventRow], now: float) -> None:
    """`EventStore` observer: runs in the writer's transaction with exactly the newly stored rows."""
    write_rows(conn, rows, now)


EVENT_COLUMNS = (
    "user_id, event_id, session, ts, kind, name, datastore, scope, key, latency_ms, size, ok, error_code,"
    " NULL, feature, view, NULL"
)


def rebuild(
    conn: sqlite3.Connection, now: float, progress: Callable[[int, int], None] | None = None, chunk: int = 100_000
) -> int:
    """Recompute every rollup from the raw events (inside the caller's transaction); returns events read."""
    for table in TABLE_NAMES:
        conn.execute(f"DELETE FROM {table}")
    _set_keys_closed(conn, now // DAY * DAY)
    total = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    done, last_seq = 0, -1
    while True:
        rows = conn.execute(
            f"SELECT seq, {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (last_seq, chunk)
        ).fetchall()
        if not rows:
            break
        last_seq = rows[-1][0]
        write_rows(conn, [r[1:] for r in rows], now)
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return done


def _set_keys_closed(conn: sqlite3.Connection, day_start: float) -> None:
    conn.execute(
        "INSERT INTO rollup_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (KEYS_CLOSED, day_start),
    )


def _migrate_keys_closed(conn: sqlite3.Connection, now: float) -> None:
    # Per-key rows of today are dropped: from now on they are aggregated when the day closes.
    conn.execute("CREATE TABLE IF NOT EXISTS rollup_state (name TEXT PRIMARY KEY, value REAL NOT NULL)")
    today = now // DAY * DAY
    conn.execute("DELETE FROM rollup_keys WHERE bucket >= ?", (today,))
    _set_keys_closed(conn, today)


def _migrate(conn: sqlite3.Connection, now: float) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("CREATE TABLE IF NOT EXISTS rollup_state (name TEXT PRIMARY KEY, value REAL NOT NULL)")
    read = rebuild(conn, now)
    if read:
        log.info("backfilled rollups from %d stored events", read)


MIGRATIONS = (
    migrations.Migration(2, "rollups: hourly and daily aggregates of events (backfilled)", _migrate),
    migrations.Migration(3, "rollups: per-key rows aggregated when a day closes", _migrate_keys_closed),
)
# Derived from the events: not exported (an import recomputes them through the event store's observers), not
# counted, aged out by their bucket.
TABLES = tuple(
    TableSpec(table, store="rollups", counted=False, age_column="bucket", retention_name="rollups")
    for table in TABLE_NAMES
)


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row in a canonical order (histograms decoded), for comparing two rollup states."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLE_NAMES:
        rows = [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5, 6")]
        if table == "rollup_ops":
            rows = [(*r[:-1], sorted(unpack(r[-1]).items())) for r in rows]
        out[table] = sorted(rows, key=repr)
    return out


OpTotal = tuple[int, str, int, int, int, float]  # user, operation, calls, failures, timed calls, latency sum (ms)


def op_totals(conn: sqlite3.Connection) -> list[OpTotal]:
    """Every user's all-time DataStore calls per operation, from the daily rows (for `/metrics`)."""
    return conn.execute(
        "SELECT user_id, name, SUM(count), SUM(failures), SUM(lat_count), SUM(lat_sum) FROM rollup_ops"
        " WHERE grain = ? GROUP BY user_id, name ORDER BY user_id, name",
        (DAY,),
    ).fetchall()


def recent_op_sketches(conn: sqlite3.Connection, since: float) -> dict[tuple[int, str], sketch.Bins]:
    """The latency sketches of the hours from `since`, merged per user and operation."""
    merged: dict[tuple[int, str], sketch.Bins] = {}
    for user_id, name, hist in conn.execute(
        "SELECT user_id, name, hist FROM rollup_ops WHERE grain = ? AND bucket >= ?", (HOUR, since)
    ):
        sketch.merge(merged.setdefault((user_id, str(name)), {}), unpack(hist) or {})
    return merged
