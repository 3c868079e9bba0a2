"""The analytics store beyond raw events: sessions seen in `hello`, real-time snapshots, live counters."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from dsm.store.codec import pack, unpack
from dsm.store.tables import Field, Merge, Portable, TableSpec

# `5min` feeds the plugin's Live chart (the last hour in 12 bars); buckets are aligned to Unix time, so UTC.
GRANULARITIES = {"5min": 300, "hourly": 3600, "daily": 86400}
DAY = 86400.0  # days are UTC days everywhere in the companion


def touch_session_job(
    user_id: int, session_id: str, place_id: int | None, game_id: int | None, plugin_version: str, stamp: float
) -> Callable[[sqlite3.Connection], None]:
    def job(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO sessions (user_id, session_id, place_id, game_id, plugin_version, first_seen, last_seen)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT (user_id, session_id) DO UPDATE SET last_seen = excluded.last_seen",
            (user_id, session_id, place_id, game_id, plugin_version, stamp, stamp),
        )

    return job


def save_realtime_job(
    user_id: int, ts: float, session_time: float | None, body: dict[str, Any]
) -> Callable[[sqlite3.Connection], int]:
    def job(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(
            "INSERT INTO realtime_snapshots (user_id, ts, session_time, body) VALUES (?,?,?,?)",
            (user_id, ts, session_time, pack(body)),
        )
        return int(cursor.lastrowid or 0)

    return job


def has_events(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> bool:
    """Whether the user has events with `start <= ts < end`."""
    row = conn.execute(
        "SELECT 1 FROM events WHERE user_id = ? AND ts >= ? AND ts < ? LIMIT 1", (user_id, start, end)
    ).fetchone()
    return row is not None


def realtime_points(conn: sqlite3.Connection, user_id: int, since: float) -> list[dict[str, Any]]:
    return [
        {"timestamp": ts, "sessionTime": session_time, "data": unpack(body)}
        for ts, session_time, body in conn.execute(
            "SELECT ts, session_time, body FROM realtime_snapshots WHERE user_id = ? AND ts >= ? ORDER BY ts",
            (user_id, since),
        )
    ]


def current(conn: sqlite3.Connection, user_id: int, session: str | None, now: float) -> dict[str, Any]:
    """Live counters straight from the stored events: all time, today (the UTC day of `now`), this session, per
    operation."""
    day_start = now // DAY * DAY
    totals = {
        kind: count
        for kind, count in conn.execute("SELECT kind, COUNT(*) FROM events WHERE user_id = ? GROUP BY kind", (user_id,))
    }
    today = {
        kind: count
        for kind, count in conn.execute(
            "SELECT kind, COUNT(*) FROM events WHERE user_id = ? AND ts >= ? GROUP BY kind",
            (user_id, day_start),
        )
    }
    operations = {
        name: {
            "count": count,
            "successes": successes,
            "failures": count - successes,
            "successRate": successes / count if count else 0.0,
            "avgLatencyMs": avg_latency,
        }
        for name, count, successes, avg_latency in conn.execute(
            "SELECT name, COUNT(*), COALESCE(SUM(ok), 0), AVG(latency_ms) FROM events"
            " WHERE user_id = ? AND kind = 'datastore' AND ts >= ? GROUP BY name",
            (user_id, day_start),
        )
    }
    top_features = [
        {"feature": feature, "count": count}
        for feature, count in conn.execute(
            "SELECT feature, COUNT(*) AS n FROM events WHERE user_id = ? AND kind = 'ui' AND ts >= ?"
            " AND feature IS NOT NULL GROUP BY feature ORDER BY n DESC, feature LIMIT 10",
            (user_id, day_start),
        )
    ]
    session_info: dict[str, Any] = {"id": session, "events": 0, "start": None, "end": None, "duration": 0.0}
    if session:
        count, start, end = conn.execute(
            "SELECT COUNT(*), MIN(ts), MAX(ts) FROM events WHERE user_id = ? AND session = ?",
            (user_id, session),
        ).fetchone()
        session_info.update(events=count, start=start, end=end, duration=(end - start) if count else 0.0)
    return {
        "timestamp": now,
        "sessionInfo": session_info,
        "summary": {
            "totalEvents": sum(totals.values()),
            "totalInteractions": totals.get("ui", 0),
            "dataStoreOperations": totals.get("datastore", 0),
            "errors": totals.get("error", 0),
            "todayEvents": sum(today.values()),
            "todayInteractions": today.get("ui", 0),
        },
        "byKind": totals,
        "today": today,
        "operations": operations,
        "topFeatures": top_features,
    }


def series(conn: sqlite3.Connection, user_id: int, since: float, bucket_seconds: int) -> list[dict[str, Any]]:
    """Event counts per time bucket and kind, oldest first. Failures are kept per kind too: one failed DataStore
    call is a failed `datastore` event, a failed `perf` sample and an `error` event, so only `failuresByKind`
    tells how many calls failed."""
    points: dict[float, dict[str, Any]] = {}
    for bucket, kind, count, errors in conn.execute(
        "SELECT CAST(ts / ? AS INTEGER) * ? AS b, kind, COUNT(*), SUM(ok = 0) FROM events"
        " WHERE user_id = ? AND ts >= ? GROUP BY b, kind ORDER BY b",
        (bucket_seconds, bucket_seconds, user_id, since),
    ):
        point = points.setdefault(
            float(bucket), {"timestamp": float(bucket), "total": 0, "byKind": {}, "failures": 0, "failuresByKind": {}}
        )
        point["total"] += count
        point["byKind"][kind] = count
        point["failures"] += errors or 0
        point["failuresByKind"][kind] = errors or 0
    return list(points.values())


# Sessions are kept whatever their age (they are tiny, and first/last seen is the user's history of Studio windows).
SESSIONS = TableSpec(
    "sessions",
    store="analytics",
    portable=Portable(
        "sessions",
        (
            Field("sessionId", "session_id", min_len=1, max_len=128),
            Field("placeId", "place_id", "integer", required=False),
            Field("gameId", "game_id", "integer", required=False),
            Field("pluginVersion", "plugin_version", required=False, max_len=200),
            Field("firstSeen", "first_seen", "time"),
            Field("lastSeen", "last_seen", "time"),
        ),
        Merge("widen", key=("session_id",), widen=(("first_seen", "MIN"), ("last_seen", "MAX"))),
        order="first_seen, session_id",
    ),
)
REALTIME = TableSpec(
    "realtime_snapshots",
    store="analytics",
    age_column="ts",
    retention_name="realtimeSnapshots",
    portable=Portable(
        "realtimeSnapshots",
        (
            Field("ts", "ts", "time"),
            Field("sessionTime", "session_time", "number", required=False),
            Field("bodyB64", "body", "blob"),
        ),
        Merge("keep", key=("ts", "body")),
        order="ts, id",
    ),
)
TABLES = (REALTIME, SESSIONS)  # the order `dsm doctor` has always listed them in
