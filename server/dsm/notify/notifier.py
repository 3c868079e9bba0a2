"""Webhook notifications, sent by one background task: an ANOMALY_DETECTION report that found anomalies, and
each DAILY_SUMMARY, go to the user's `notifications.webhookUrl` in its `webhookFormat`.

Saving a report reads the user's settings in force then and queues the payload (`report_saved`), so neither
ingest nor report generation ever waits for a receiver. A delivery that fails (an HTTP status of 300 or more, a
refused connection, no answer within `timeout`) is tried again after 1, 2, 4, 8 s (doubling; `sleep` is
injectable for tests), up to `attempts` times; each failure is logged and the figures (`status` →
`notifications`) keep the last error per user."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from dsm.clock import Clock
from dsm.notify.payloads import ANOMALY, DAILY_SUMMARY, Notice, metric, payload
from dsm.store import settings as settings_store
from dsm.store.database import Database
from dsm.store.reports import Report

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
QUEUE_SIZE = 100  # notices waiting; past it the newest is dropped (and counted), never ingest slowed


@dataclass
class Figures:
    """One user's deliveries, for `status`."""

    sent: int = 0
    failed: int = 0  # given up after every attempt
    retries: int = 0
    dropped: int = 0
    lastError: dict[str, Any] | None = None


@dataclass(frozen=True)
class Delivery:
    """A payload on its way to one user's webhook."""

    user_id: int
    url: str
    body: dict[str, Any]
    event: str


@dataclass
class Notifier:
    db: Database
    clock: Clock
    sleep: Sleep = asyncio.sleep
    attempts: int = 5
    backoff: float = 1.0
    timeout: float = 10.0
    figures: dict[int, Figures] = field(default_factory=dict)
    _queue: asyncio.Queue[Delivery] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    _delivering: int = 0
    _task: asyncio.Task[None] | None = None
    _session: aiohttp.ClientSession | None = None

    async def report_saved(self, user_id: int, report: Report) -> None:
        """Queue the notification a saved report makes under the user's settings, if any; never waits for a
        receiver (one settings lookup, then the queue)."""
        if report.type not in ("ANOMALY_DETECTION", "DAILY_SUMMARY"):
            return
        state = await self.db.read(lambda conn: settings_store.load(conn, user_id))
        settings = state.settings["notifications"]
        url = str(settings["webhookUrl"])
        notice = _notice(user_id, report, settings)
        if not url or notice is None:
            return
        delivery = Delivery(user_id, url, payload(notice, str(settings["webhookFormat"])), notice.event)
        try:
            self._queue.put_nowait(delivery)
        except asyncio.QueueFull:
            self._of(user_id).dropped += 1
            log.warning("webhook queue full: notification of report %s for user %d dropped", report.id, user_id)

    def snapshot(self, user_id: int | None = None) -> dict[str, Any]:
        """`status` → `notifications`: deliveries waiting or under way, and each user's figures."""
        users = {u: f for u, f in self.figures.items() if user_id is None or u == user_id}
        return {
            "pending": self._queue.qsize() + self._delivering,
            "users": {str(u): asdict(f) for u, f in users.items()},
        }

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    def _of(self, user_id: int) -> Figures:
        return self.figures.setdefault(user_id, Figures())

    async def _run(self) -> None:
        while True:
            delivery = await self._queue.get()
            self._delivering += 1
            try:
                await self._deliver(delivery)
            except Exception:  # a bug here must not end the task: later notices still go out
                log.exception("webhook notification for user %d failed", delivery.user_id)
            finally:
                self._delivering -= 1

    async def _deliver(self, delivery: Delivery) -> None:
        assert self._session is not None
        url, body, event = delivery.url, delivery.body, delivery.event
        figures, host = self._of(delivery.user_id), urlsplit(url).netloc
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._session.post(url, json=body) as response:
                    if response.status < 300:
                        figures.sent += 1
                        return
                    problem = f"HTTP {response.status} {response.reason or ''}".strip()
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            figures.lastError = {"at": self.clock(), "host": host, "event": event, "error": problem}
            if attempt == self.attempts:
                figures.failed += 1
                log.warning("webhook to %s failed %d times, given up: %s", host, attempt, problem)
                return
            figures.retries += 1
            delay = self.backoff * 2 ** (attempt - 1)
            log.warning(
                "webhook to %s failed (%s), try %d of %d in %g s", host, problem, attempt + 1, self.attempts, delay
            )
            await self.sleep(delay)


def _notice(user_id: int, report: Report, settings: dict[str, Any]) -> Notice | None:
    """The notice a report makes under the user's settings, or None."""
    if report.type == "ANOMALY_DETECTION" and settings["notifyAnomalies"] and (metric(report, "anomalies.total") or 0):
        return Notice(ANOMALY, user_id, report)
    if report.type == "DAILY_SUMMARY" and settings["notifyDailySummary"]:
        return Notice(DAILY_SUMMARY, user_id, report)
    return None
