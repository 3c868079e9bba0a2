"""Per-key rollups of open days come from raw events; a day's per-key rows are aggregated once it closes."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dsm.analytics import periods, rollups
from dsm.analytics.buckets import DAY, bucket_rows
from dsm.store.connection import open_connection
from dsm.store.events import EventStore, parse_events
from dsm.store.migrations import migrate
from dsm.store.schema import companion_schema
from support import ManualClock

D0 = 1_795_000_000 // DAY * DAY  # a UTC day start


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(D0 + 10 * 3600)


def _events(rng: random.Random, prefix: str, day: float, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        event: dict[str, Any] = {
            "id": f"{prefix}-{i}",
            "ts": day + rng.uniform(0, DAY - 1),
            "kind": "datastore",
            "name": rng.choice(["getData", "listKeys"]),
            "datastore": rng.choice(["A", "B"]),
            "key": f"player_{rng.randint(1, 30)}",
            "ok": rng.random() > 0.1,
        }
        if rng.random() > 0.2:
            event["latencyMs"] = rng.uniform(1, 300)
        if rng.random() > 0.3:
            event["size"] = rng.randint(10, 5000)
        if rng.random() > 0.5:
            event["scope"] = "global"
        out.append(event)
    return out


def _append(conn: sqlite3.Connection, clock: ManualClock, events: list[dict[str, Any]], user: int = 1) -> None:
    conn.execute("BEGIN")
    EventStore([rollups.observe], clock).append_job(parse_events(user, events, 100_000, clock()))(conn)
    conn.execute("COMMIT")


def _figures(keys: dict[Any, Any]) -> dict[Any, tuple[Any, ...]]:
    """Per-key figures in a comparable form (sums rounded: float addition order differs between paths)."""
    return {
        a: (
            k.reads,
            k.failures,
            k.sized,
            k.max_size,
            k.lat_count,
            k.lat_max,
            k.first,
            k.last,
            round(k.bytes, 6),
            round(k.lat_sum, 6),
        )
        for a, k in keys.items()
    }


def _raw_keys(conn: sqlite3.Connection, start: float, end: float) -> dict[Any, tuple[Any, ...]]:
    total = None
    for bucket in bucket_rows(periods.raw_rows(conn, 1, start, end)).values():
        total = bucket if total is None else total.merge(bucket)
    return _figures(total.keys if total else {})


def _loaded_keys(conn: sqlite3.Connection, start: float, end: float) -> dict[Any, tuple[Any, ...]]:
    return _figures(periods.load(conn, 1, start, end, parts=("keys",)).keys)


def test_open_day_keys_are_read_raw_and_a_closed_day_is_aggregated_once(tmp_path: Path, clock: ManualClock) -> None:
    rng = random.Random(7)
    conn = open_connection(tmp_path / "k.sqlite3")
    migrate(conn, clock(), companion_schema().migrations)
    assert rollups.keys_closed_through(conn) == D0
    past = _events(rng, "past", D0 - DAY, 200)
    today = _events(rng, "today", D0, 300)
    _append(conn, clock, past + today)
    # the past day's per-key rows are kept as events arrive; the open day's are not
    buckets = {b for (b,) in conn.execute("SELECT DISTINCT bucket FROM rollup_keys")}
    assert buckets == {D0 - DAY}
    # ...yet reading any period gives the exact per-key figures
    for start, end in ((D0 - DAY, D0 + DAY), (D0, D0 + DAY), (D0 - DAY + 3600, D0 + 5 * 3600)):
        assert _loaded_keys(conn, start, end) == _raw_keys(conn, start, end)

    clock.at = D0 + DAY + 3600  # the next day: the first commit closes the day before
    late = _events(rng, "late", D0, 20)  # resent after midnight, still for the closed day
    _append(conn, clock, late + _events(rng, "next", D0 + DAY, 50))
    assert rollups.keys_closed_through(conn) == D0 + DAY
    assert {b for (b,) in conn.execute("SELECT DISTINCT bucket FROM rollup_keys")} == {D0 - DAY, D0}
    _append(conn, clock, _events(rng, "later", D0, 15))  # after the close: added to the day's rows directly

    def rows(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    stored = {
        (ds, scope, key): (
            reads,
            failures,
            sized,
            max_size,
            lat_count,
            lat_max,
            first,
            last,
            round(b, 6),
            round(lat_sum, 6),
        )
        for ds, scope, key, reads, failures, b, sized, max_size, lat_count, lat_sum, lat_max, first, last in rows(
            "SELECT datastore, scope, key, reads, failures, bytes, sized, max_size, lat_count, lat_sum, lat_max,"
            " first_ts, last_ts FROM rollup_keys WHERE bucket = ?",
            (D0,),
        )
    }
    assert stored == _raw_keys(conn, D0, D0 + DAY)  # every event of the day counted exactly once
    assert _loaded_keys(conn, D0 - DAY, D0 + 2 * DAY) == _raw_keys(conn, D0 - DAY, D0 + 2 * DAY)
    assert periods.datastore_reads(conn, 1, D0 - DAY, D0 + 2 * DAY) == {
        ds: n
        for ds, n in conn.execute("SELECT datastore, COUNT(*) FROM events WHERE kind = 'datastore' GROUP BY datastore")
    }
    conn.close()


def test_a_rebuild_matches_the_rows_kept_on_ingest(tmp_path: Path, clock: ManualClock) -> None:
    rng = random.Random(11)
    conn = open_connection(tmp_path / "r.sqlite3")
    migrate(conn, clock(), companion_schema().migrations)
    _append(conn, clock, _events(rng, "a", D0 - 2 * DAY, 100) + _events(rng, "b", D0, 100))
    clock.at = D0 + DAY + 60
    _append(conn, clock, _events(rng, "c", D0 + DAY, 10))
    incremental = rollups.snapshot(conn)
    conn.execute("BEGIN")
    rollups.rebuild(conn, clock())
    conn.execute("COMMIT")
    rebuilt = rollups.snapshot(conn)
    for table in rollups.TABLE_NAMES:
        assert len(incremental[table]) == len(rebuilt[table]), table
        for left, right in zip(incremental[table], rebuilt[table], strict=True):
            assert left == pytest.approx(right) if table != "rollup_ops" else left[:-1] == pytest.approx(right[:-1])
    conn.close()
