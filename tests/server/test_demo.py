"""`dsm demo`: a month sent through the real link into a real server, and every report type finding it."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from dsm.cli import main
from dsm.config import ServerConfig
from dsm.demo.month import ANOMALY_HOURS_BEFORE, BURST_ERRORS, DAY, HOUR, SWEEP_KEYS, THROTTLE_DAYS_BEFORE, month
from dsm.demo.send import send_month
from dsm.link.client import LinkClient
from dsm.reports.catalog import NAMES
from support import FIXED_NOW, ManualClock, RunningServer, rows, section_rows

SEED = 7


def _metric(body: dict[str, Any], name: str) -> Any:
    return next(m["value"] for m in body["metrics"] if m["name"] == name)


def test_the_same_seed_gives_the_same_month_and_every_event_lies_before_the_end() -> None:
    first, again, other = month(SEED, FIXED_NOW), month(SEED, FIXED_NOW), month(SEED + 1, FIXED_NOW)
    assert [s.events for s in first] == [s.events for s in again]
    assert [s.events for s in first] != [s.events for s in other]
    stamps = [e["ts"] for s in first for e in s.events]
    assert stamps and max(stamps) < FIXED_NOW and min(stamps) >= FIXED_NOW - 31 * DAY
    days = {math.floor(ts / DAY) for ts in stamps}
    assert len(days) >= 28  # Studio use on nearly every day of the month


async def test_every_report_type_finds_what_the_demo_month_holds(server: RunningServer, clock: ManualClock) -> None:
    sent = await send_month(server.ws_url, 5, month(SEED, clock()))
    assert sent.events > 10_000 and sent.duplicates == 0 and sent.edits > 0 and sent.sessions > 40
    assert sorted(sent.reports) == sorted(NAMES)
    client = await LinkClient.connect(server.ws_url)
    try:
        await client.hello(5, session_id="check")
        bodies = {t: (await client.call("reports.get", {"id": i}))["report"]["body"] for t, i in sent.reports.items()}
        cache = await client.call("cache.stats", {})
        edits = (await client.call("edits.list", {"limit": 1000}))["edits"]
    finally:
        await client.close()
    assert len(bodies) == len(NAMES)
    for report_type, body in bodies.items():
        assert body["insights"], report_type
        assert any(isinstance(m["value"], int | float) and m["value"] > 0 for m in body["metrics"]), report_type

    anomaly_hour = math.floor(clock() / HOUR) * HOUR - ANOMALY_HOURS_BEFORE * HOUR
    found = {a["type"]: a for a in section_rows(bodies["ANOMALY_DETECTION"], "anomalies")}
    assert {"error_burst", "key_sweep"} <= set(found)
    assert found["error_burst"]["from"] == anomaly_hour and found["error_burst"]["severity"] == "high"
    assert anomaly_hour <= found["key_sweep"]["from"] < anomaly_hour + HOUR
    assert any("error burst" in line for line in bodies["ANOMALY_DETECTION"]["insights"])

    performance = bodies["PERFORMANCE_ANALYSIS"]
    budget = section_rows(performance, "budgetEvents")
    assert {(r["name"], r["code"]) for r in budget} >= {("datastore_error", 301), ("budget_exhausted", None)}
    assert _metric(performance, "perf.budgetEvents") == sum(r["count"] for r in budget) > 0
    assert any("throttl" in line for line in performance["insights"])
    assert 0.9 < _metric(performance, "perf.successRate") < 1.0  # failures, but not many
    assert _metric(performance, "perf.p50") < _metric(performance, "perf.p95") < _metric(performance, "perf.p99")

    audit = bodies["DATASTORE_AUDIT"]
    assert _metric(audit, "audit.writes") == len(edits) == sent.edits
    assert 0 < _metric(audit, "audit.failedWrites") < _metric(audit, "audit.writes")
    assert _metric(audit, "audit.undos") > 0
    assert _metric(bodies["DAILY_SUMMARY"], "sessions.count") >= 1
    assert _metric(bodies["USAGE_ANALYTICS"], "usage.viewChanges") > 0
    assert _metric(bodies["CUSTOM_ANALYSIS"], "keys.families") > 0
    assert cache["hits"] > 0 and cache["misses"] > 0


async def test_the_throttling_day_and_anomaly_hour_are_where_the_default_periods_look(clock: ManualClock) -> None:
    sessions = month(SEED, clock())
    errors = [e for s in sessions for e in s.events if e.get("errorCode") == 301]
    assert errors
    day = math.floor(clock() / DAY) * DAY - THROTTLE_DAYS_BEFORE * DAY
    assert all(day <= e["ts"] < day + DAY for e in errors)
    hour = math.floor(clock() / HOUR) * HOUR - ANOMALY_HOURS_BEFORE * HOUR
    in_hour = [e for s in sessions for e in s.events if hour <= e["ts"] < hour + HOUR]
    assert len({e.get("key") for e in in_hour if e["name"] == "getData"}) >= SWEEP_KEYS
    assert sum(1 for e in in_hour if e["kind"] == "error") >= BURST_ERRORS


def test_dsm_demo_fills_its_own_database_and_says_how_to_see_the_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db), "--seed", "3", "--now", "2026-06-15T12:00:00"]) == 0
    captured = capsys.readouterr()
    assert "demo ready:" in captured.out and "7 reports for user 1" in captured.out
    assert f"dsm serve --db {db}" in captured.out and "http://127.0.0.1:34873/" in captured.out
    assert "generated ANOMALY_DETECTION" in captured.err and "sent " in captured.err  # progress on stderr
    assert rows(db, "SELECT COUNT(*) FROM reports WHERE user_id = 1")[0][0] == len(NAMES)
    events = rows(db, "SELECT COUNT(*) FROM events WHERE user_id = 1")[0][0]
    assert main(["demo", "--db", str(db), "--seed", "3", "--now", "2026-06-15T12:00:00"]) == 0
    assert f"({events} already there)" in capsys.readouterr().out  # the same month again: all duplicates
    assert rows(db, "SELECT COUNT(*) FROM events")[0][0] == events

    assert main(["report", "list", "--type", "anomaly_detection", "--db", str(db)]) == 0
    assert "ANOMALY_DETECTION" in capsys.readouterr().out


def test_dsm_demo_help_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "--seed" in helptext and "--url" in helptext and "demo.sqlite3" in helptext
    both = ["demo", "--db", str(tmp_path / "d.sqlite3"), "--url", "ws://127.0.0.1:1/ws"]
    assert main(both) == 2
    assert "not both" in capsys.readouterr().err
    assert not (tmp_path / "d.sqlite3").exists()


async def _dsm(*args: str) -> tuple[int, str, str]:
    """`python -m dsm ...` as a separate process (its own event loop), against the test's server."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dsm", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_dsm_demo_sends_to_a_running_companion_with_its_token_as_a_named_user(
    server_factory: Callable[..., Awaitable[RunningServer]], config: ServerConfig
) -> None:
    running = await server_factory(config, token="t0k")
    now = str(FIXED_NOW)
    status, _, err = await _dsm("demo", "--url", running.ws_url, "--token", "wrong", "--now", now)
    assert status == 2 and "refused the demo data: unauthorized" in err
    status, out, err = await _dsm("demo", "--url", running.ws_url, "--token", "t0k", "--user", "42", "--now", now)
    assert status == 0, err
    assert f"open http://127.0.0.1:{running.port}/?user=42 to see them" in out
    assert "log in with the URL `dsm serve --token` printed" in out  # the browser has no session yet
    assert rows(config.db_path, "SELECT COUNT(*) FROM reports WHERE user_id = 42")[0][0] == len(NAMES)
    assert rows(config.db_path, "SELECT COUNT(DISTINCT user_id) FROM events")[0][0] == 1


async def test_dsm_demo_says_when_no_companion_answers(unused_tcp_port: int) -> None:
    status, _, err = await _dsm("demo", "--url", f"ws://127.0.0.1:{unused_tcp_port}/ws", "--now", str(FIXED_NOW))
    assert status == 7 and f"no companion answers at ws://127.0.0.1:{unused_tcp_port}/ws" in err
