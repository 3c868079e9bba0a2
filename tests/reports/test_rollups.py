"""Rollups: maintained as events commit, equal to a rebuild from raw events, deduplicated, backfilled on upgrade."""

from __future__ import annotations

import math
import random
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import report_synth as synth
from report_db import FIRST_DAY, History, store_events, stored_at

from dsm.analytics import periods, rollups, sketch
from dsm.analytics.buckets import bucket_rows
from dsm.cli import main
from dsm.store.connection import open_connection
from dsm.store.database import Database
from dsm.store.events import EventStore, parse_events
from dsm.store.migrations import migrate
from dsm.store.schema import companion_schema
from support import FIXED_NOW, ManualClock


def _approx_rows(a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]]) -> None:
    assert a.keys() == b.keys()
    for table in a:
        assert len(a[table]) == len(b[table]), table
        for left, right in zip(a[table], b[table], strict=True):
            for x, y in zip(left, right, strict=True):
                if isinstance(x, float) or isinstance(y, float):
                    assert x == pytest.approx(y, rel=1e-9, abs=1e-9), (table, left, right)
                else:
                    assert x == y, (table, left, right)


def _daily_counts(conn: sqlite3.Connection) -> Counter[tuple[int, int, str]]:
    rows = conn.execute(
        "SELECT user_id, bucket, kind, SUM(count) FROM rollup_counts WHERE grain = 86400 GROUP BY 1, 2, 3"
    )
    return Counter({(u, b, k): n for u, b, k, n in rows})


def _expected_daily(events: dict[int, list[synth.Event]]) -> Counter[tuple[int, int, str]]:
    out: Counter[tuple[int, int, str]] = Counter()
    for user, evs in events.items():
        for e in evs:
            out[(user, int(e["ts"] // synth.DAY) * synth.DAY, e["kind"])] += 1
    return out


def test_rollups_hold_the_counts_of_the_raw_events(history: History) -> None:
    conn = open_connection(history.path, readonly=True)
    try:
        assert _daily_counts(conn) == _expected_daily(history.events)
        hourly = conn.execute("SELECT SUM(count) FROM rollup_counts WHERE grain = 3600").fetchone()[0]
        assert hourly == sum(len(v) for v in history.events.values())
    finally:
        conn.close()


def test_rebuilt_rollups_equal_the_incrementally_maintained_ones(history: History, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(history.path, copy)
    conn = open_connection(copy)
    try:
        incremental = rollups.snapshot(conn)
        assert sum(len(rows) for rows in incremental.values()) > 1000
        seen: list[tuple[int, int]] = []
        conn.execute("BEGIN IMMEDIATE")
        rollups.rebuild(conn, history.now, lambda done, total: seen.append((done, total)), chunk=5000)
        conn.execute("COMMIT")
        _approx_rows(incremental, rollups.snapshot(conn))
        total = sum(len(v) for v in history.events.values())
        assert seen[-1] == (total, total) and len(seen) == math.ceil(total / 5000)
    finally:
        conn.close()


def test_cli_rebuild_prints_progress_and_restores_rollups(history: History, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(history.path, copy)
    conn = open_connection(copy)
    expected = rollups.snapshot(conn)
    conn.execute("DELETE FROM rollup_counts")  # damage them
    conn.close()
    assert main(["rollups", "rebuild", "--db", str(copy)]) == 0
    out = capsys.readouterr()
    total = sum(len(v) for v in history.events.values())
    assert f"{total:,}/{total:,} events" in out.err
    assert f"rebuilt rollups from {total:,} events" in out.out
    conn = open_connection(copy, readonly=True)
    _approx_rows(expected, rollups.snapshot(conn))
    conn.close()


async def test_duplicates_do_not_double_count(db_path: Path) -> None:
    events = synth.history(5, 9, FIRST_DAY, days=6)
    assert len(events) > 300
    db = await Database.open(db_path, companion_schema(), ManualClock(stored_at(FIRST_DAY, 6)))
    try:
        await store_events(db, 9, events)
        again = await db.write(
            EventStore([rollups.observe], db.clock).append_job(parse_events(9, events[:250], 1000, db.clock()))
        )
        assert (again.accepted, again.duplicates) == (0, 250)
        await store_events(db, 9, events[100:300] + events[150:200])  # repeated inside one batch, and resent
    finally:
        await db.close()
    conn = open_connection(db_path, readonly=True)
    assert _daily_counts(conn) == _expected_daily({9: events})
    conn.close()


async def test_a_schema_v1_database_with_events_opens_with_correct_rollups(db_path: Path) -> None:
    events = {4: synth.history(11, 4, FIRST_DAY, days=3), 5: synth.history(11, 5, FIRST_DAY, days=3)}
    conn = open_connection(db_path)
    assert migrate(conn, FIXED_NOW, companion_schema().migrations, target=1) == [1]
    conn.execute("BEGIN")
    for user, evs in events.items():
        EventStore().append_job(parse_events(user, evs, 100_000, FIXED_NOW))(conn)  # a v1 server: no observer
    conn.execute("COMMIT")
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'rollup_counts'").fetchone() is None
    conn.close()
    db = await Database.open(
        db_path, companion_schema(), ManualClock(stored_at(FIRST_DAY, 3))
    )  # migration 2 creates and backfills the rollups
    await db.close()
    conn = open_connection(db_path, readonly=True)
    try:
        assert {v for (v,) in conn.execute("SELECT version FROM schema_migrations")} == set(
            range(1, companion_schema().latest_version() + 1)
        )
        assert _daily_counts(conn) == _expected_daily(events)
        latencies = [e["latencyMs"] for e in events[4] if e["kind"] == "datastore" and e["name"] == "getData"]
        op = periods.load(conn, 4, 0, 2e9, ("ops",)).ops["getData"]
        assert op.count == len(latencies) and op.lat_max == max(latencies)
        assert op.lat_sum == pytest.approx(sum(latencies))
    finally:
        conn.close()


def test_sketch_percentiles_are_within_the_documented_relative_error() -> None:
    rng = random.Random(3)
    for values in (
        [rng.lognormvariate(4, 1.2) for _ in range(5000)],
        [rng.uniform(0.01, 5) for _ in range(777)],
        [float(rng.randint(1, 10)) for _ in range(100)],
        [0.0, 0.0, 5.0],
    ):
        bins: sketch.Bins = {}
        for v in values:
            sketch.add(bins, v)
        for p, got in zip(
            (0.5, 0.9, 0.95, 0.99, 1.0), sketch.quantiles(bins, (0.5, 0.9, 0.95, 0.99, 1.0)), strict=True
        ):
            exact = synth.nearest_rank(values, p)
            assert got == pytest.approx(exact, rel=sketch.RELATIVE_ERROR, abs=1e-12), (p, got, exact)
    assert sketch.quantiles({}, (0.5,)) == [None]


def test_merging_sketches_equals_one_sketch_of_all_values() -> None:
    rng = random.Random(8)
    values = [rng.expovariate(1 / 80) for _ in range(2000)]
    whole: sketch.Bins = {}
    parts: list[sketch.Bins] = [{}, {}, {}]
    for i, v in enumerate(values):
        sketch.add(whole, v)
        sketch.add(parts[i % 3], v)
    merged: sketch.Bins = {}
    for part in parts:
        sketch.merge(merged, part)
    assert merged == whole


def test_a_period_is_read_from_days_hours_and_raw_edges() -> None:
    start = FIRST_DAY * synth.DAY + 1800.5  # 00:30:00.5 on day 0
    end = start + 2 * synth.DAY  # 00:30:00.5 on day 2
    spans = periods.plan(start, end)
    assert sum(hi - lo for _g, lo, hi in spans) == pytest.approx(end - start)
    assert (86400, (FIRST_DAY + 1) * synth.DAY, (FIRST_DAY + 2) * synth.DAY) in spans
    assert [s for s in spans if s[0] == 0] == [(0, start, FIRST_DAY * synth.DAY + 3600), (0, end - 1800.5, end)]


def _bucket_view(b: periods.Bucket) -> dict[str, Any]:
    return {
        "counts": b.counts,
        "ui": b.ui,
        "sessions": {k: tuple(v) for k, v in b.sessions.items()},
        "ops": {
            n: (o.count, o.successes, o.failures, o.lat_count, round(o.lat_sum, 6), o.lat_min, o.lat_max, o.hist)
            for n, o in b.ops.items()
        },
        "keys": {
            a: (k.reads, k.failures, k.bytes, k.sized, k.max_size, k.lat_count, round(k.lat_sum, 6), k.lat_max, k.first)
            for a, k in b.keys.items()
        },
        "lastRead": {a: k.last for a, k in b.keys.items()},
    }


def test_any_period_read_from_rollups_equals_aggregating_its_raw_events(history: History) -> None:
    rng = random.Random(21)
    conn = open_connection(history.path, readonly=True)
    try:
        windows = [(history.day(3), history.day(10)), (history.day(0), history.end)]
        for _ in range(6):
            start = history.day(0) + rng.uniform(0, 20 * synth.DAY)
            windows.append((start, start + rng.choice([1800.0, 5 * 3600.0, 2.5 * synth.DAY, 9 * synth.DAY])))
        for start, end in windows:
            expected = periods.Bucket()
            for bucket in bucket_rows(periods.raw_rows(conn, 2, start, end)).values():
                expected.merge(bucket)
            assert _bucket_view(periods.load(conn, 2, start, end)) == _bucket_view(expected), (start, end)
            hourly = periods.series(conn, 2, start, end, ("counts", "ops"), periods.HOUR)
            raw_hours = {hour: b for (_u, hour), b in bucket_rows(periods.raw_rows(conn, 2, start, end)).items()}
            assert {t: b.counts for t, b in hourly.items()} == {t: b.counts for t, b in raw_hours.items()}
    finally:
        conn.close()
