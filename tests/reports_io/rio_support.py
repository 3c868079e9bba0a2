"""Builders for the report export/import tests: a hand-made report body, events, a seeded database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from dsm.reports.cli import event_store
from dsm.store.database import Database
from dsm.store.events import parse_events
from dsm.store.reports import Report
from dsm.store.schema import companion_schema
from support import ManualClock, rows

HOSTILE = "<script>alert('x')</script>"
DAY = 86400.0
# 2026-11-23 00:00 UTC, a Monday; the tests' "yesterday" when the clock says 2026-11-24 12:00.
DAY0 = 1795392000.0


def _metric(section: str, name: str, label: str, value: float, unit: str, previous: float | None, better: str | None):
    change = None if previous is None else value - previous
    pct = None if previous is None else change / previous  # type: ignore[operator]
    return {"section": section, "name": name, "label": label, "value": value, "unit": unit} | {
        "previous": previous,
        "change": change,
        "changePct": pct,
        "better": better,
    }


def _column(name: str, label: str, unit: str) -> dict[str, str]:
    return {"name": name, "label": label, "unit": unit}


def sample_body() -> dict[str, Any]:
    """A report body written out by hand in the report model, with hostile text where users control names."""
    return {
        "period": {"from": DAY0, "to": DAY0 + DAY},
        "baseline": {"label": "the day before", "from": DAY0 - DAY, "to": DAY0},
        "insights": ["Events up 23% from the day before.", f"Most used feature: {HOSTILE}"],
        "metrics": [
            _metric("totals", "events.total", "Total events", 123, "count", 100, None),
            _metric("dataStore", "latency.p95", "p95 latency", 181.5, "ms", None, "down"),
            _metric("dataStore", "ops.successRate", "Success, rate", 0.975, "ratio", 0.99, "up"),
            _metric("dataStore", "datastore.failures", "Failed DataStore calls", 13, "count", 1, "down"),
            _metric("dataStore", "latency.p99", "p99 latency", 60.0, "ms", 240.0, "down"),
            _metric("keys", "key.=HYPERLINK", '=HYPERLINK("x")', 4096, "bytes", 2048, None),
            _metric("ui", f"feature.{HOSTILE}", f"Feature {HOSTILE}", 7, "count", 9, None),
        ],
        "sections": [
            {
                "id": "activity",
                "kind": "series",
                "title": "Activity over time",
                "unit": "count",
                "stacked": True,
                "step": 3600,
                "fields": [
                    {"name": "ui", "label": "UI"},
                    {"name": "datastore", "label": "DataStore"},
                    {"name": "error", "label": "Errors"},
                ],
                "points": [
                    {"t": DAY0 + h * 3600, "ui": (h * 7) % 13, "datastore": (h * 5) % 11, "error": h % 3}
                    for h in range(24)
                ],
            },
            {
                "id": "operations",
                "kind": "operations",
                "title": "DataStore operations",
                "rows": [
                    {"name": "getData", "count": 80, "successes": 78, "failures": 2, "successRate": 0.975}
                    | {"p50": 40.0, "p95": 181.5, "p99": 240.0, "avgLatencyMs": 61.2}
                    | {"minLatencyMs": 3.0, "maxLatencyMs": 300.0},
                    {"name": "listKeys", "count": 20, "successes": 20, "failures": 0, "successRate": 1.0}
                    | {"p50": 22.0, "p95": 51.0, "p99": 70.0, "avgLatencyMs": 25.0}
                    | {"minLatencyMs": 9.0, "maxLatencyMs": 80.0},
                ],
            },
            {
                "id": "errors",
                "kind": "errors",
                "title": "Errors",
                "rows": [
                    {"category": "throttled", "code": 303, "count": 5},
                    {"category": HOSTILE, "code": None, "count": 1},
                ],
            },
            {
                "id": "topKeys",
                "kind": "table",
                "title": "Most read keys",
                "columns": [
                    _column("key", "Key", "text"),
                    _column("reads", "Reads", "count"),
                    _column("lastRead", "Last read", "time"),
                    _column("session", "Time in session", "seconds"),
                ],
                "rows": [
                    {"key": HOSTILE, "reads": 12, "lastRead": DAY0 + 3600, "session": 3725.0},
                    {"key": "player_1", "reads": 3, "lastRead": None, "session": 12.5},
                ],
            },
            {
                "id": "notes",
                "kind": "facts",
                "title": "Notes",
                "items": [
                    {"name": "link", "label": HOSTILE, "value": "visit https://evil.example/x", "unit": "text"},
                    {"name": "plain", "label": "Plain", "value": 1, "unit": "count"},
                ],
            },
            {
                "id": "found",
                "kind": "findings",
                "title": "Findings",
                "items": [
                    {
                        "severity": "high",
                        "type": "error_burst",
                        "title": f"Error burst in {HOSTILE}",
                        "from": DAY0 + 7200,
                        "to": DAY0 + 10800,
                        "facts": [{"name": "z", "label": "Peak z-score", "value": 9.5, "unit": "number"}],
                    }
                ],
            },
        ],
    }


def legacy_body() -> dict[str, Any]:
    """A body as companions before the report model saved it (no `sections`, no `better`), with hostile text."""
    return {
        "period": {"from": DAY0, "to": DAY0 + DAY},
        "metrics": [
            {
                "section": "totals",
                "name": "events.total",
                "label": "Total events",
                "value": 123,
                "unit": "count",
                "previous": 100,
                "change": 23,
                "changePct": 0.23,
            },
            {
                "section": "datastore",
                "name": "latency.p95",
                "label": "p95 latency",
                "value": 181.5,
                "unit": "ms",
                "previous": None,
                "change": None,
                "changePct": None,
            },
            {
                "section": "datastore",
                "name": "ops.successRate",
                "label": "Success, rate",
                "value": 0.975,
                "unit": "ratio",
                "previous": 0.99,
                "change": -0.015,
                "changePct": -0.01515,
            },
            {
                "section": "keys",
                "name": "key.=HYPERLINK",
                "label": '=HYPERLINK("x")',
                "value": 4096,
                "unit": "bytes",
                "previous": 2048,
                "change": 2048,
                "changePct": 1.0,
            },
            {
                "section": "ui",
                "name": f"feature.{HOSTILE}",
                "label": f"Feature {HOSTILE}",
                "value": 7,
                "unit": "count",
                "previous": 9,
                "change": -2,
                "changePct": -0.2222,
            },
        ],
        "series": {
            "activity": [
                {"t": DAY0 + h * 3600, "ui": (h * 7) % 13, "datastore": (h * 5) % 11, "error": h % 3} for h in range(24)
            ]
        },
        "operations": [
            {
                "name": "getData",
                "count": 80,
                "successes": 78,
                "failures": 2,
                "successRate": 0.975,
                "p50": 40.0,
                "p95": 181.5,
                "p99": 240.0,
                "avgLatencyMs": 61.2,
                "maxLatencyMs": 300.0,
            },
            {
                "name": "listKeys",
                "count": 20,
                "successes": 20,
                "failures": 0,
                "successRate": 1.0,
                "p50": 22.0,
                "p95": 51.0,
                "p99": 70.0,
                "avgLatencyMs": 25.0,
                "maxLatencyMs": 80.0,
            },
        ],
        "errors": [{"category": "throttled", "code": 303, "count": 5}, {"category": HOSTILE, "code": None, "count": 1}],
        "insights": ["Events up 23% on the day before.", f"Most used feature: {HOSTILE}"],
        "topKeys": [{"key": HOSTILE, "reads": 12}, {"key": "player_1", "reads": 3}],
        "notes": {HOSTILE: "visit https://evil.example/x", "plain": 1},
    }


def sample_report(body: dict[str, Any] | None = None) -> Report:
    return Report("rpt_test1", "DAILY_SUMMARY", DAY0 + DAY + 60, f"Daily summary {HOSTILE}", body or sample_body())


def wire_events(base: float, count: int, session: str = "S1") -> list[dict[str, Any]]:
    """A mix of DataStore calls (some failing), UI clicks, errors and timings, one every 5 minutes."""
    out: list[dict[str, Any]] = []
    for i in range(count):
        ts, eid = base + i * 300, f"{session}-{i}"
        kind = i % 4
        if kind == 0:
            out.append(
                {
                    "id": eid,
                    "ts": ts,
                    "kind": "datastore",
                    "name": ("getData", "listKeys")[i % 2],
                    "datastore": "Players",
                    "scope": "global",
                    "key": f"player_{i}",
                    "latencyMs": 10.0 + i % 50,
                    "ok": i % 7 != 0,
                    "size": 100 + i,
                    "props": {"n": i},
                }
            )
        elif kind == 1:
            out.append(
                {"id": eid, "ts": ts, "kind": "ui", "name": "button_click", "feature": "explorer", "view": "main"}
            )
        elif kind == 2:
            out.append(
                {
                    "id": eid,
                    "ts": ts,
                    "kind": "error",
                    "name": "request_failed",
                    "errorCode": 502,
                    "message": "HTTP 502",
                }
            )
        else:
            out.append({"id": eid, "ts": ts, "kind": "perf", "name": "render", "latencyMs": 5.0})
    return out


def open_db(path: Path) -> Awaitable[Database]:
    """A database whose clock stands at noon two days after DAY0, after every event the tests make."""
    return Database.open(path, companion_schema(), ManualClock(DAY0 + 2 * DAY + 12 * 3600))


async def append_events(db: Database, user_id: int, events: list[dict[str, Any]]) -> int:
    result = await db.write(event_store(db).append_job(parse_events(user_id, events, 100_000, db.clock())))
    return result.accepted


def seed(db_path: Path, user_id: int, events: list[dict[str, Any]]) -> int:
    """Append events to a database file from synchronous code (e.g. before calling the CLI)."""

    async def run() -> int:
        db = await open_db(db_path)
        try:
            return await append_events(db, user_id, events)
        finally:
            await db.close()

    return asyncio.run(run())


table = rows  # reading the database file directly, as in the server tests
