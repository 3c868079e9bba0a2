"""The background schedule: automatic summary reports at each `reportFrequency` boundary, and retention.

Each tick, for every user with data: when `reporting.autoGenerateReports` is on and the user has
events in the last completed period (an hour, a UTC day, or a Monday-to-Monday UTC week), a
DAILY_SUMMARY of that period is generated once; the report carries `body.schedule` with the period,
which is how later ticks (and restarts) know it exists. Then rows older than
`analytics.retainDataDays` are removed. The clock is a parameter so tests can move through boundaries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from dsm.clock import Clock
from dsm.reports.pool import ReportPool
from dsm.reports.runner import generate_and_save
from dsm.store import analytics as analytics_store
from dsm.store import reports as report_store
from dsm.store import settings as settings_store
from dsm.store.database import Database
from dsm.store.portable import known_users
from dsm.store.reports import Report
from dsm.store.retention import clean_job
from dsm.store.settings import Settings

log = logging.getLogger(__name__)

DAY = 86400.0
PERIOD_SECONDS = {"hourly": 3600.0, "daily": DAY, "weekly": 7 * DAY}
WEEK_ORIGIN = 4 * DAY  # 1970-01-05 00:00 UTC was a Monday; weeks start on Mondays
SUMMARY = "DAILY_SUMMARY"


def last_period(frequency: str, at: float) -> tuple[float, float]:
    """The most recent complete period before `at`: [start, end) with `end` the last boundary."""
    length = PERIOD_SECONDS[frequency]
    origin = WEEK_ORIGIN if frequency == "weekly" else 0.0
    end = math.floor((at - origin) / length) * length + origin
    return end - length, end


@dataclass
class TickResult:
    generated: list[tuple[int, str]] = field(default_factory=list)  # (user id, report id)
    removed: dict[int, dict[str, int]] = field(default_factory=dict)  # user id -> rows removed per store


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        pool: ReportPool | None = None,
        notify: Callable[[int, Report], Awaitable[None]] | None = None,
    ) -> None:
        self.notify = notify  # told of each saved summary (the server's webhooks)
        self.db = db
        self.clock = clock
        self.pool = pool  # the server's report pool: automatic reports wait their turn like the others

    async def tick(self) -> TickResult:
        """One pass over every user; a failure is logged and does not stop the other work."""
        result = TickResult()
        at = self.clock()
        tables = self.db.tables
        for user_id in await self.db.read(lambda conn: known_users(conn, tables)):
            settings = (await self.db.read(lambda conn, u=user_id: settings_store.load(conn, u))).settings
            try:
                report_id = await self._summary(user_id, settings, at)
                if report_id is not None:
                    result.generated.append((user_id, report_id))
            except Exception:
                log.exception("automatic report for user %d failed", user_id)
            try:
                removed = await self._retention(user_id, settings, at)
                if removed:
                    result.removed[user_id] = removed
            except Exception:
                log.exception("retention for user %d failed", user_id)
        return result

    async def _retention(self, user_id: int, settings: Settings, at: float) -> dict[str, int] | None:
        before = at - float(settings["analytics"]["retainDataDays"]) * DAY
        removed = await self.db.write(clean_job(self.db.tables, user_id, before))
        if not any(removed.values()):
            return None
        log.info("retention removed %s for user %d", removed, user_id)
        return removed

    async def _summary(self, user_id: int, settings: Settings, at: float) -> str | None:
        reporting = settings["reporting"]
        if not reporting["autoGenerateReports"]:
            return None
        frequency = str(reporting["reportFrequency"])
        start, end = last_period(frequency, at)
        due = await self.db.read(lambda conn: _is_due(conn, user_id, start, end))
        if not due:
            return None
        schedule = {"frequency": frequency, "from": start, "to": end}
        report = await generate_and_save(
            self.db,
            user_id,
            SUMMARY,
            {"from": start, "to": end},
            at,
            extra={"schedule": schedule},
            pool=self.pool,
            notify=self.notify,
        )
        log.info("generated %s summary %s for user %d", frequency, report.id, user_id)
        return report.id

    async def run(self, interval: float) -> None:
        """Tick now and then every `interval` seconds until cancelled."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduled tick failed")
            await asyncio.sleep(interval)


def _is_due(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> bool:
    """Events in [start, end) and no summary of exactly that period saved yet."""
    if not analytics_store.has_events(conn, user_id, start, end):
        return False
    for content in report_store.bodies_since(conn, user_id, SUMMARY, start):
        for section in ("schedule", "period"):
            marker = content.get(section) if isinstance(content, dict) else None
            if isinstance(marker, dict) and marker.get("from") == start and marker.get("to") == end:
                return False
    return True


def scheduler_context(services_key: web.AppKey[Any]) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs the schedule while the app runs (after the services are open)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[services_key]
        scheduler = Scheduler(services.db, services.clock, services.reports, services.notifier.report_saved)
        task = asyncio.create_task(scheduler.run(services.config.schedule_interval), name="dsm-scheduler")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
