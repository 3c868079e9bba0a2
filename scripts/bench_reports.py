"""Benchmark: DAILY_SUMMARY and PERFORMANCE_ANALYSIS over millions of stored events, read from the rollups,
against the same figures computed by a plain SQL scan of the raw events.

    .venv/bin/python scripts/bench_reports.py                      # 1M and 5M events (several minutes)
    .venv/bin/python scripts/bench_reports.py --events 200000      # quick run

Events (30 days, a few users) are built in Python and inserted with executemany inside writer jobs, the
rollup observer running in the same transaction as in the server. Targets: < 200 ms per report at 5M
events and >= 20x faster than the raw scan.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dsm.analytics import rollups
from dsm.analytics.sketch import RELATIVE_ERROR
from dsm.reports.common import day_text
from dsm.reports.engine import generate_report
from dsm.reports.model import section_by_id
from dsm.store.connection import open_connection
from dsm.store.database import Database
from dsm.store.events import INSERT_SQL
from dsm.store.schema import companion_schema

DAY = 86400
DAYS = 30
FIRST_DAY = 20400
NOW = (FIRST_DAY + DAYS) * DAY + 3600.0  # the benchmark's clock: an hour after its last day, every day closed
OPS = ("getData", "getData", "getData", "listKeys", "listDataStores", "listVersions")
DATASTORES = ("PlayerData", "Inventory", "GameSettings", "Leaderboards")
FEATURES = ("explorer", "editor", "search", "analytics", "settings")
VIEWS = ("Explorer", "Editor", "Analytics", "Settings")


def event_rows(total: int, users: int, seed: int = 1) -> Iterator[tuple[Any, ...]]:
    """`total` event rows (the `events` table's column order) spread over DAYS days and `users` users."""
    rng = random.Random(seed)
    per_user = total // users
    step = DAYS * DAY / per_user
    for user in range(1, users + 1):
        t = FIRST_DAY * DAY + rng.uniform(0, step)
        for i in range(per_user):
            session = f"s{user}_{int(t // 7200)}"  # a new session every two hours
            roll = rng.random()
            ds = scope = key = feature = view = latency = size = ok = code = None
            if roll < 0.55:
                kind, name = "datastore", rng.choice(OPS)
                ds, scope = rng.choice(DATASTORES), "global"
                if name in ("getData", "listVersions"):
                    key = f"player_{rng.randint(1, 500)}"
                latency = rng.lognormvariate(4.0, 0.6)
                ok = 1 if rng.random() > 0.04 else 0
                if ok == 0:
                    code = rng.choice((301, 302, 101, 501))
                elif name == "getData":
                    size = rng.randint(100, 60_000)
            elif roll < 0.9:
                kind, name = "ui", rng.choice(("button_click", "view_change", "data_refresh"))
                feature, view = rng.choice(FEATURES), rng.choice(VIEWS)
            elif roll < 0.97:
                kind, name, latency = "perf", "render", rng.uniform(1, 30)
            else:
                kind, name = "error", rng.choice(("network_error", "decode_error"))
            row = (user, f"{session}-{i}", session, t, kind, name, ds, scope, key, latency, size, ok, code)
            yield (*row, None, feature, view, None, 0.0)
            t += step


def insert_job(batch: list[tuple[Any, ...]]) -> Callable[[sqlite3.Connection], None]:
    def job(conn: sqlite3.Connection) -> None:
        conn.executemany(INSERT_SQL, batch)
        rollups.observe(conn, batch, NOW)

    return job


async def fill(path: Path, total: int, users: int) -> float:
    started = time.perf_counter()
    db = await Database.open(path, companion_schema(), lambda: NOW)
    batch: list[tuple[Any, ...]] = []
    done = 0
    for row in event_rows(total, users):
        batch.append(row)
        if len(batch) == 100_000:
            await db.write(insert_job(batch))
            done += len(batch)
            batch = []
            print(f"\r  stored {done:,}/{total:,} events", end="", file=sys.stderr, flush=True)
    if batch:
        await db.write(insert_job(batch))
    await db.close()
    print(file=sys.stderr)
    return time.perf_counter() - started


# ---- the same figures from a plain scan of the raw events -----------------------------------------


def _nearest(values: list[float], p: float) -> float | None:
    return values[max(1, math.ceil(p * len(values))) - 1] if values else None


def raw_ops(conn: sqlite3.Connection, user: int, start: float, end: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    lat: dict[str, list[float]] = {}
    for name, count, ok in conn.execute(
        "SELECT name, COUNT(*), SUM(ok) FROM events WHERE user_id = ? AND ts >= ? AND ts < ? AND kind = 'datastore'"
        " GROUP BY name",
        (user, start, end),
    ):
        out[name] = {"count": count, "successRate": ok / count}
    for name, latency in conn.execute(
        "SELECT name, latency_ms FROM events WHERE user_id = ? AND ts >= ? AND ts < ? AND kind = 'datastore'"
        " AND latency_ms IS NOT NULL ORDER BY name, latency_ms",
        (user, start, end),
    ):
        lat.setdefault(name, []).append(latency)
    for name, values in lat.items():
        out[name].update({p: _nearest(values, q) for p, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))})
    return out


def _range_figures(conn: sqlite3.Connection, user: int, start: float, end: float) -> dict[str, Any]:
    q = (user, start, end)
    w = "user_id = ? AND ts >= ? AND ts < ?"
    return {
        "kinds": dict(conn.execute(f"SELECT kind, COUNT(*) FROM events WHERE {w} GROUP BY kind", q).fetchall()),
        "features": conn.execute(
            f"SELECT feature, COUNT(*) n FROM events WHERE {w} AND kind = 'ui' AND feature IS NOT NULL"
            " GROUP BY feature ORDER BY n DESC, feature LIMIT 10",
            q,
        ).fetchall(),
        "datastores": conn.execute(
            f"SELECT datastore, COUNT(*) n FROM events WHERE {w} AND kind = 'datastore' AND datastore IS NOT NULL"
            " GROUP BY datastore ORDER BY n DESC, datastore LIMIT 10",
            q,
        ).fetchall(),
        "keys": conn.execute(
            f"SELECT datastore, scope, key, COUNT(*) n FROM events WHERE {w} AND kind = 'datastore'"
            " AND key IS NOT NULL GROUP BY datastore, scope, key ORDER BY n DESC LIMIT 10",
            q,
        ).fetchall(),
        "errors": conn.execute(
            f"SELECT name, error_code, COUNT(*) FROM events WHERE {w} AND (kind = 'error' OR ok = 0)"
            " GROUP BY name, error_code",
            q,
        ).fetchall(),
        "sessions": conn.execute(
            f"SELECT session, COUNT(*), MAX(ts) - MIN(ts) FROM events WHERE {w} GROUP BY session", q
        ).fetchall(),
    }


def raw_daily(conn: sqlite3.Connection, user: int, day: float) -> dict[str, Any]:
    return {
        "today": _range_figures(conn, user, day, day + DAY),
        "before": _range_figures(conn, user, day - DAY, day),
        "week": _range_figures(conn, user, day - 7 * DAY, day),
        "ops": raw_ops(conn, user, day, day + DAY),
        "hourly": conn.execute(
            "SELECT CAST(ts / 3600 AS INTEGER), kind, COUNT(*) FROM events WHERE user_id = ? AND ts >= ? AND ts < ?"
            " GROUP BY 1, 2",
            (user, day, day + DAY),
        ).fetchall(),
    }


def raw_performance(conn: sqlite3.Connection, user: int, start: float, end: float) -> dict[str, Any]:
    length = end - start
    w = "user_id = ? AND ts >= ? AND ts < ? AND kind = 'datastore'"
    return {
        "ops": raw_ops(conn, user, start, end),
        "previous": raw_ops(conn, user, start - length, start),
        "slowKeys": conn.execute(
            f"SELECT datastore, key, AVG(latency_ms) a FROM events WHERE {w} AND key IS NOT NULL"
            " GROUP BY datastore, scope, key ORDER BY a DESC LIMIT 10",
            (user, start, end),
        ).fetchall(),
        "budget": conn.execute(
            "SELECT name, error_code, COUNT(*) FROM events WHERE user_id = ? AND ts >= ? AND ts < ?"
            " AND error_code BETWEEN 301 AND 306 GROUP BY 1, 2",
            (user, start, end),
        ).fetchall(),
    }


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def check(report_ops: list[dict[str, Any]], raw: dict[str, dict[str, Any]]) -> bool:
    """The rollup figures agree with the raw scan: counts exactly, percentiles within the sketch's error."""
    for row in report_ops:
        expected = raw[row["name"]]
        if row["count"] != expected["count"] or abs(row["successRate"] - expected["successRate"]) > 1e-9:
            return False
        for p in ("p50", "p95", "p99"):
            if abs(row[p] - expected[p]) > RELATIVE_ERROR * expected[p] + 1e-9:
                return False
    return len(report_ops) == len(raw)


def bench(total: int, users: int, workdir: Path, repeat: int) -> list[tuple[Any, ...]]:
    path = workdir / f"bench_{total}.sqlite3"
    for old in workdir.glob(f"{path.name}*"):
        old.unlink()
    print(f"{total:,} events, {users} users, {DAYS} days: generating and storing ...", file=sys.stderr)
    fill_seconds = asyncio.run(fill(path, total, users))
    size_mb = path.stat().st_size / 1e6
    print(f"  stored in {fill_seconds:.1f}s ({total / fill_seconds:,.0f} events/s), {size_mb:,.0f} MB", file=sys.stderr)
    conn = open_connection(path, readonly=True)
    now = NOW
    day = (FIRST_DAY + DAYS - 1) * DAY
    week = (day - 6 * DAY, day + DAY)
    results = []
    try:
        daily_ms, daily = timed(lambda: generate_report(conn, 1, "DAILY_SUMMARY", {"date": day_text(day)}, now), repeat)
        raw_daily_ms, raw_d = timed(lambda: raw_daily(conn, 1, day), max(1, repeat // 2))
        ok_daily = check(section_by_id(daily.body, "operations")["rows"], raw_d["ops"]) and daily.body["metrics"][0][
            "value"
        ] == sum(raw_d["today"]["kinds"].values())
        results.append((total, "DAILY_SUMMARY", daily_ms, raw_daily_ms, ok_daily))
        perf_ms, perf = timed(
            lambda: generate_report(conn, 1, "PERFORMANCE_ANALYSIS", {"from": week[0], "to": week[1]}, now), repeat
        )
        raw_perf_ms, raw_p = timed(lambda: raw_performance(conn, 1, *week), max(1, repeat // 2))
        results.append(
            (
                total,
                "PERFORMANCE_ANALYSIS",
                perf_ms,
                raw_perf_ms,
                check(section_by_id(perf.body, "operations")["rows"], raw_p["ops"]),
            )
        )
    finally:
        conn.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", default="1000000,5000000", help="comma-separated totals (default 1M,5M)")
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5, help="runs per report (median is shown)")
    parser.add_argument("--dir", type=Path, default=None, help="where the databases go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    totals = [int(float(x)) for x in args.events.split(",")]
    temp = None if args.dir else tempfile.TemporaryDirectory(prefix="dsm-bench-")
    workdir = args.dir or Path(temp.name)  # type: ignore[union-attr]
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for total in totals:
            results += bench(total, args.users, workdir, args.repeat)
            if not args.keep:
                for old in workdir.glob(f"bench_{total}.sqlite3*"):
                    old.unlink()
    finally:
        if temp is not None:
            temp.cleanup()
    print(f"{'events':>10}  {'report':<22}{'rollups ms':>11}{'raw scan ms':>13}{'speed-up':>10}  figures")
    for total, name, fast, slow, ok in results:
        print(f"{total:>10,}  {name:<22}{fast:>11.1f}{slow:>13.1f}{slow / fast:>9.1f}x  {'agree' if ok else 'DIFFER'}")
    largest = [r for r in results if r[0] == max(totals)]
    print(
        f"targets at {max(totals):,} events: < 200 ms per report (worst {max(r[2] for r in largest):.1f} ms),"
        f" >= 20x the raw scan (lowest {min(r[3] / r[2] for r in largest):.1f}x)"
    )
    return 0 if all(r[4] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
