"""The schedule: one automatic summary per reportFrequency boundary, and retention of old rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rio_support import DAY, DAY0, append_events, table, wire_events

from dsm.link.client import LinkClient
from dsm.scheduler import Scheduler, last_period
from dsm.store import settings
from dsm.store.codec import unpack
from dsm.store.database import Database
from dsm.store.schema import companion_schema
from support import ManualClock

HOUR = 3600.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "sched.sqlite3", companion_schema(), ManualClock(DAY0))
    yield database
    await database.close()


def summaries(db: Database, user_id: int) -> list[dict[str, object]]:
    rows = table(db.path, "SELECT body FROM reports WHERE user_id = ? AND type = 'DAILY_SUMMARY'", (user_id,))
    return [unpack(r[0])["schedule"] for r in rows]


def test_last_period_for_each_frequency() -> None:
    at = DAY0 + 2 * DAY + 5 * HOUR + 17  # Wednesday 2026-11-25 05:00:17 UTC
    assert last_period("hourly", at) == (DAY0 + 2 * DAY + 4 * HOUR, DAY0 + 2 * DAY + 5 * HOUR)
    assert last_period("daily", at) == (DAY0 + DAY, DAY0 + 2 * DAY)
    assert last_period("weekly", at) == (DAY0 - 7 * DAY, DAY0)  # DAY0 is a Monday
    assert last_period("daily", DAY0) == (DAY0 - DAY, DAY0)  # exactly on a boundary: the day just ended


async def test_one_summary_per_daily_boundary_however_often_it_ticks(db: Database) -> None:
    await append_events(db, 1, wire_events(DAY0, 100))  # 2026-11-23, 00:00 to 08:15
    clock = ManualClock(DAY0 + DAY + 12 * HOUR)
    scheduler = Scheduler(db, clock)
    first = await scheduler.tick()
    assert [user for user, _ in first.generated] == [1]
    for _ in range(3):  # later ticks in the same day, and a restart (a new scheduler), add nothing
        clock.at += HOUR
        assert (await scheduler.tick()).generated == []
        assert (await Scheduler(db, clock).tick()).generated == []
    assert summaries(db, 1) == [{"frequency": "daily", "from": DAY0, "to": DAY0 + DAY}]
    report_body = unpack(table(db.path, "SELECT body FROM reports")[0][0])
    assert report_body["period"] == {"from": DAY0, "to": DAY0 + DAY}  # the engine summarised that day
    clock.at = DAY0 + 2 * DAY + 60  # the next day has no events: nothing to summarise
    assert (await scheduler.tick()).generated == []
    await append_events(db, 1, wire_events(DAY0 + 2 * DAY + 10, 10, session="S2"))
    clock.at = DAY0 + 3 * DAY + 60
    assert len((await scheduler.tick()).generated) == 1
    assert (await scheduler.tick()).generated == []
    assert [s["from"] for s in summaries(db, 1)] == [DAY0, DAY0 + 2 * DAY]


async def test_hourly_frequency_and_users_are_scheduled_separately(db: Database) -> None:
    await append_events(db, 1, wire_events(DAY0, 40))  # one event every 5 minutes from 00:00
    await append_events(db, 2, wire_events(DAY0, 40))
    await db.write(settings.update_job(2, {"reporting": {"reportFrequency": "hourly"}}, db.clock()))
    clock = ManualClock(DAY0 + HOUR + 30)
    scheduler = Scheduler(db, clock)
    assert sorted(u for u, _ in (await scheduler.tick()).generated) == [2]  # user 1's day has not ended
    clock.at = DAY0 + 2 * HOUR + 30
    assert [u for u, _ in (await scheduler.tick()).generated] == [2]
    assert (await scheduler.tick()).generated == []
    assert [(s["from"], s["to"]) for s in summaries(db, 2)] == [(DAY0, DAY0 + HOUR), (DAY0 + HOUR, DAY0 + 2 * HOUR)]
    assert summaries(db, 1) == []


async def test_automatic_reports_can_be_turned_off(db: Database) -> None:
    await append_events(db, 1, wire_events(DAY0, 20))
    await db.write(settings.update_job(1, {"reporting": {"autoGenerateReports": False}}, db.clock()))
    result = await Scheduler(db, ManualClock(DAY0 + DAY + 60)).tick()
    assert result.generated == [] and summaries(db, 1) == []


async def test_retention_removes_rows_older_than_retain_data_days(db: Database) -> None:
    now = DAY0 + 40 * DAY
    await append_events(db, 1, wire_events(DAY0, 50))  # 40 days old
    await append_events(db, 1, wire_events(now - 2 * DAY, 30, session="S2"))  # 2 days old
    await append_events(db, 3, wire_events(DAY0, 10, session="S3"))
    await db.write(
        settings.update_job(
            3, {"analytics": {"retainDataDays": 60}, "reporting": {"autoGenerateReports": False}}, db.clock()
        )
    )
    rollups_before = table(
        db.path, "SELECT COUNT(*) FROM rollup_counts WHERE user_id = 1 AND bucket < ?", (now - 30 * DAY,)
    )[0][0]
    assert rollups_before > 0
    result = await Scheduler(db, ManualClock(now)).tick()
    assert result.removed[1]["events"] == 50
    assert 3 not in result.removed  # keeps 60 days
    assert table(db.path, "SELECT COUNT(*), MIN(ts) >= ? FROM events WHERE user_id = 1", (now - 30 * DAY,))[0] == (
        30,
        1,
    )
    assert table(db.path, "SELECT COUNT(*) FROM events WHERE user_id = 3")[0][0] == 10
    assert (
        table(db.path, "SELECT COUNT(*) FROM rollup_counts WHERE user_id = 1 AND bucket < ?", (now - 30 * DAY,))[0][0]
        == 0
    )
    assert (await Scheduler(db, ManualClock(now)).tick()).removed == {}


async def test_a_running_server_generates_yesterdays_summary_once(server_factory, config, clock) -> None:  # type: ignore[no-untyped-def]
    running = await server_factory(config, schedule_interval=0.05)
    today = clock() // DAY * DAY
    client = await LinkClient.connect(running.ws_url)
    try:
        await client.hello(5)
        events = wire_events(today - DAY + HOUR, 12)
        assert (await client.call("events.append", {"events": events}))["accepted"] == 12
        reports: list[dict[str, object]] = []
        for _ in range(100):
            reports = (await client.call("reports.list", {"type": "DAILY_SUMMARY"}))["reports"]
            if reports:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # several more ticks
        reports = (await client.call("reports.list", {"type": "DAILY_SUMMARY"}))["reports"]
        assert len(reports) == 1
        body = (await client.call("reports.get", {"id": reports[0]["id"]}))["report"]["body"]
        assert body["schedule"] == {"frequency": "daily", "from": today - DAY, "to": today}
    finally:
        await client.close()
