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
from dsm.analytics.buckets import DAY, HOUR, NO_CODE, Bucket, KeyAddress, KeyAgg, OpAgg, bucket_rows, split_rows
from dsm.store import migrations, retention
from dsm.store.codec import pack, unpack
from dsm.store.events import EventRow

log = logging.getLogger(__name__)

TABLES = ("rollup_counts", "rollup_ops", "rollup_ui", "rollup_sessions", "rollup_keys")
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


def _upsert(table: str, width: int, updates: list[str]) -> str:
    marks = ",".join("?" * width)
    return f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT DO UPDATE SET {', '.join(updates)}"


_UPSERT = {
    "rollup_counts": _upsert("rollup_counts", 8, _add("count")),
    "rollup_ops": _upsert(
        "rollup_ops",
        12,
        [
            *_add("count", "successes", "failures", "lat_count", "lat_sum"),
            *_extreme("min", "lat_min"),
            *_extreme("max", "lat_max"),
            "hist = dsm_merge_hist(hist, excluded.hist)",
        ],
    ),
    "rollup_ui": _upsert("rollup_ui", 7, _add("count")),
    "rollup_sessions": _upsert(
        "rollup_sessions", 7, [*_add("count"), *_extreme("min", "first_ts"), *_extreme("max", "last_ts")]
    ),
    "rollup_keys": _upsert(
        "rollup_keys",
        16,
        [
            *_add("reads", "failures", "bytes", "sized", "lat_count", "lat_sum"),
            *_extreme("max", "max_size", "lat_max", "last_ts"),
            *_extreme("min", "first_ts"),
        ],
    ),
}


def _pack_hist(bins: sketch.Bins) -> bytes:
    return pack(bins)


def _merge_hist(a: bytes | None, b: bytes | None) -> bytes:
    return pack(sketch.merge(dict(unpack(a) or {}), unpack(b) or {}))


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


def write_rows(conn: sqlite3.Connection, rows: Iterable[EventRow]) -> None:
    """Add event rows into the rollup tables (hourly and daily rows as `GRAINS` says)."""
    _ensure_functions(conn)
    hours, days = split_rows(rows)
    by_grain = {HOUR: hours, DAY: days}
    for table, grains in GRAINS.items():
        rows = [
            row
            for grain in grains
            for (user, start), bucket in by_grain[grain].items()
            for row in _ROWS[table]((user, grain, start), bucket)
        ]
        if rows:
            conn.executemany(_UPSERT[table], rows)


def observe(conn: sqlite3.Connection, rows: list[EventRow]) -> None:
    """`EventStore` observer: runs in the writer's transaction with exactly the newly stored rows."""
    write_rows(conn, rows)


EVENT_COLUMNS = (
    "user_id, event_id, session, ts, kind, name, datastore, scope, key, latency_ms, size, ok, error_code,"
    " NULL, feature, view, NULL"
)


def rebuild(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None, chunk: int = 100_000) -> int:
    """Recompute every rollup from the raw events (inside the caller's transaction); returns events read."""
    for table in TABLES:
        conn.execute(f"DELETE FROM {table}")
    total = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    done, last_seq = 0, -1
    while True:
        rows = conn.execute(
            f"SELECT seq, {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (last_seq, chunk)
        ).fetchall()
        if not rows:
            break
        last_seq = rows[-1][0]
        write_rows(conn, (r[1:] for r in rows))
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return done


def _migrate(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    read = rebuild(conn)
    if read:
        log.info("backfilled rollups from %d stored events", read)


MIGRATION = migrations.Migration(2, "rollups: hourly and daily aggregates of events (backfilled)", _migrate)


def install() -> None:
    """Register migration 2 and the rollup tables' retention (idempotent)."""
    if not any(m.version == MIGRATION.version for m in migrations.MIGRATIONS):
        migrations.register(MIGRATION)
    for table in TABLES:
        entry = ("rollups", table, "bucket")
        if entry not in retention.AGED_TABLES:
            retention.AGED_TABLES.append(entry)


install()


# ---- reading -------------------------------------------------------------------------------------

Span = tuple[int, float, float]  # (grain, from, to); grain 0 = raw events


def plan(start: float, end: float, max_grain: int = DAY, min_grain: int = HOUR) -> list[Span]:
    """Cover [start, end) with whole days, whole hours (if `min_grain` allows) and raw edges, coarsest first."""
    if min_grain >= DAY:
        d0, d1 = -(-start // DAY) * DAY, end // DAY * DAY
        spans = [(DAY, d0, d1), (0, start, d0), (0, d1, end)] if d0 < d1 else [(0, start, end)]
        return [s for s in spans if s[2] > s[1]]
    h0 = -(-start // HOUR) * HOUR
    h1 = end // HOUR * HOUR
    if h0 >= h1:
        return [(0, start, end)] if end > start else []
    spans = [(0, start, h0), (0, h1, end)]
    d0, d1 = -(-h0 // DAY) * DAY, h1 // DAY * DAY
    if max_grain >= DAY and d0 < d1:
        spans += [(DAY, d0, d1), (HOUR, h0, d0), (HOUR, d1, h1)]
    else:
        spans.append((HOUR, h0, h1))
    return [s for s in spans if s[2] > s[1]]


def _by_min_grain(parts: Iterable[str]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for part in parts:
        groups.setdefault(GRAINS[PARTS[part]][0], []).append(part)
    return groups


def _only(bucket: Bucket, parts: list[str]) -> Bucket:
    """The given parts of a bucket (raw edges must not add parts another span already covered)."""
    out = Bucket()
    for part in parts:
        setattr(out, part, getattr(bucket, part))
    return out


def _decode_into(table: str, out: Bucket, r: tuple[Any, ...]) -> None:
    if table == "rollup_counts":
        ck = (r[0], r[1], r[2], r[3])
        out.counts[ck] = out.counts.get(ck, 0) + r[4]
    elif table == "rollup_ops":
        op = OpAgg()
        op.count, op.successes, op.failures, op.lat_count, op.lat_sum, op.lat_min, op.lat_max = r[1:8]
        op.hist = unpack(r[8])
        known_op = out.ops.get(r[0])
        if known_op is None:
            out.ops[r[0]] = op
        else:
            known_op.merge(op)
    elif table == "rollup_ui":
        uk = (r[0], r[1], r[2])
        out.ui[uk] = out.ui.get(uk, 0) + r[3]
    elif table == "rollup_sessions":
        mine = out.sessions.get(r[0])
        if mine is None:
            out.sessions[r[0]] = [r[1], r[2], r[3]]
        else:
            mine[0] += r[1]
            mine[1] = min(mine[1], r[2])
            mine[2] = max(mine[2], r[3])
    else:
        k = KeyAgg()
        (k.reads, k.failures, k.bytes, k.sized, k.max_size, k.lat_count, k.lat_sum, k.lat_max, k.first, k.last) = r[
            3:13
        ]
        known = out.keys.get((r[0], r[1], r[2]))
        if known is None:
            out.keys[(r[0], r[1], r[2])] = k
        else:
            known.merge(k)


_COLUMNS = {
    "rollup_counts": "kind, name, error_code, ok, count",
    "rollup_ops": "name, count, successes, failures, lat_count, lat_sum, lat_min, lat_max, hist",
    "rollup_ui": "name, feature, view, count",
    "rollup_sessions": "session, count, first_ts, last_ts",
    "rollup_keys": "datastore, scope, key, reads, failures, bytes, sized, max_size, lat_count, lat_sum, lat_max,"
    " first_ts, last_ts",
}
PARTS = {
    "counts": "rollup_counts",
    "ops": "rollup_ops",
    "ui": "rollup_ui",
    "sessions": "rollup_sessions",
    "keys": "rollup_keys",
}


def _raw_rows(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> Iterable[tuple[Any, ...]]:
    return conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = ? AND ts >= ? AND ts < ?", (user_id, start, end)
    )


def series(
    conn: sqlite3.Connection,
    user_id: int,
    start: float,
    end: float,
    parts: Iterable[str] = ("counts",),
    grain: int = DAY,
) -> dict[int, Bucket]:
    """Buckets of `grain` seconds (HOUR or DAY) covering [start, end), read from rollups plus raw edges."""
    out: dict[int, Bucket] = {}
    for min_grain, group in _by_min_grain(parts).items():
        if min_grain > grain:
            raise ValueError(f"{group} are not kept per {grain} seconds")
        for span_grain, lo, hi in plan(start, end, grain, min_grain):
            if span_grain == 0:
                for (_user, hour), bucket in bucket_rows(_raw_rows(conn, user_id, lo, hi), HOUR).items():
                    out.setdefault(hour // grain * grain, Bucket()).merge(_only(bucket, group))
                continue
            for table in (PARTS[p] for p in group):
                sql = (
                    f"SELECT bucket, {_COLUMNS[table]} FROM {table}"
                    " WHERE user_id = ? AND grain = ? AND bucket >= ? AND bucket < ?"
                )
                for r in conn.execute(sql, (user_id, span_grain, lo, hi)):
                    _decode_into(table, out.setdefault(int(r[0]) // grain * grain, Bucket()), r[1:])
    return out


_SUMS = {
    "rollup_counts": ("kind, name, error_code, ok", "SUM(count)"),
    "rollup_ops": (
        "name",
        "SUM(count), SUM(successes), SUM(failures), SUM(lat_count), SUM(lat_sum), MIN(lat_min), MAX(lat_max),"
        " dsm_hist_sum(hist)",
    ),
    "rollup_ui": ("name, feature, view", "SUM(count)"),
    "rollup_sessions": ("session", "SUM(count), MIN(first_ts), MAX(last_ts)"),
    "rollup_keys": (
        "datastore, scope, key",
        "SUM(reads), SUM(failures), SUM(bytes), SUM(sized), MAX(max_size), SUM(lat_count), SUM(lat_sum),"
        " MAX(lat_max), MIN(first_ts), MAX(last_ts)",
    ),
}


class _HistSum:
    """SQL aggregate merging latency sketches, so a period's rows are summed inside SQLite."""

    def __init__(self) -> None:
        self.bins: sketch.Bins = {}

    def step(self, blob: bytes | None) -> None:
        if blob is not None:
            sketch.merge(self.bins, unpack(blob))

    def finalize(self) -> bytes:
        return pack(self.bins)


def _load_table(
    conn: sqlite3.Connection,
    total: Bucket,
    table: str,
    user_id: int,
    stored: list[Span],
    wanted: list[KeyAddress] | None,
) -> None:
    dims, sums = _SUMS[table]
    branch = f"SELECT * FROM {table} WHERE user_id = ? AND grain = ? AND bucket >= ? AND bucket < ?"
    extra: list[Any] = []
    if table == "rollup_keys" and wanted is not None:
        if not wanted:
            return
        branch += f" AND (datastore, scope, key) IN (VALUES {','.join(['(?,?,?)'] * len(wanted))})"
        extra = [v for address in wanted for v in address]
    sql = f"SELECT {dims}, {sums} FROM ({' UNION ALL '.join([branch] * len(stored))}) GROUP BY {dims}"
    for r in conn.execute(sql, [v for g, lo, hi in stored for v in (user_id, g, lo, hi, *extra)]):
        _decode_into(table, total, r)


def load(
    conn: sqlite3.Connection,
    user_id: int,
    start: float,
    end: float,
    parts: Iterable[str] = tuple(PARTS),
    keys_in: Iterable[KeyAddress] | None = None,
) -> Bucket:
    """Everything about [start, end) merged into one bucket (summed by SQLite over the covering rollup rows).

    `keys_in` limits the per-key part to those (datastore, scope, key) addresses.
    """
    conn.create_aggregate("dsm_hist_sum", 1, _HistSum)  # type: ignore[arg-type]
    wanted = None if keys_in is None else sorted(set(keys_in))
    total = Bucket()
    for min_grain, group in _by_min_grain(parts).items():
        spans = plan(start, end, DAY, min_grain)
        stored = [(g, lo, hi) for g, lo, hi in spans if g]
        for table in (PARTS[p] for p in group):
            if stored:
                _load_table(conn, total, table, user_id, stored, wanted)
        for g, lo, hi in spans:
            if not g:
                for bucket in bucket_rows(_raw_rows(conn, user_id, lo, hi), HOUR).values():
                    total.merge(_only(bucket, group))
    if wanted is not None:
        allowed = set(wanted)
        total.keys = {a: k for a, k in total.keys.items() if a in allowed}
    return total


def datastore_reads(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> dict[str, int]:
    """DataStore calls per DataStore in [start, end), summed inside SQLite."""
    out: dict[str, int] = {}
    for g, lo, hi in plan(start, end, DAY, DAY):
        if g:
            sql = (
                "SELECT datastore, SUM(reads) FROM rollup_keys WHERE user_id = ? AND grain = ? AND bucket >= ?"
                " AND bucket < ? GROUP BY datastore"
            )
            params: tuple[Any, ...] = (user_id, g, lo, hi)
        else:
            sql = (
                "SELECT datastore, COUNT(*) FROM events WHERE user_id = ? AND ts >= ? AND ts < ?"
                " AND kind = 'datastore' AND datastore IS NOT NULL GROUP BY datastore"
            )
            params = (user_id, lo, hi)
        for ds, n in conn.execute(sql, params):
            out[ds] = out.get(ds, 0) + n
    return out


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row in a canonical order (histograms decoded), for comparing two rollup states."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        rows = [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5, 6")]
        if table == "rollup_ops":
            rows = [(*r[:-1], sorted(unpack(r[-1]).items())) for r in rows]
        out[table] = sorted(rows, key=repr)
    return out


__all__ = ["DAY", "HOUR", "NO_CODE", "Bucket", "load", "observe", "plan", "rebuild", "series"]
