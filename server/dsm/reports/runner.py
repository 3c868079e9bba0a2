"""Generating a report and saving it: one path for the HTTP API, the CLI and the scheduler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from dsm.reports.engine import generate_report
from dsm.reports.pool import ReportPool
from dsm.store.database import Database
from dsm.store.reports import Report, save_job


async def compute(
    db: Database, user_id: int, report_type: str, options: dict[str, Any], now: float, pool: ReportPool | None = None
) -> Report:
    """Build a report (not saved) off the event loop: in `pool` when given (the server's bounded pool of
    processes), else in a worker thread (the command line). Invalid options raise `invalid_body`."""
    if pool is None:
        return await db.read(lambda conn: generate_report(conn, user_id, report_type, options, now))
    job = partial(generate_report, user_id=user_id, report_type=report_type, options=options, now=now)
    return await pool.read(db.path, job)


async def generate_and_save(
    db: Database,
    user_id: int,
    report_type: str,
    options: dict[str, Any],
    now: float,
    extra: dict[str, Any] | None = None,
    pool: ReportPool | None = None,
    notify: Callable[[int, Report], Awaitable[None]] | None = None,
) -> Report:
    """`compute` the report, then save it through the writer.

    `extra` adds sections to the body before saving (the scheduler marks its reports this way); `notify` is told
    of the saved report (the server's webhooks: `Notifier.report_saved`, which queues what it makes, never sends).
    """
    report = await compute(db, user_id, report_type, options, now, pool)
    if extra:
        report.body.update(extra)
    saved = await db.write(save_job(user_id, report))
    if notify is not None:
        await notify(user_id, saved)
    return saved


def parse_when(text: str, *, end_of_day: bool = False) -> float:
    """Unix seconds from `1732464000`, `2026-11-24` (a UTC day: its start, or its end with `end_of_day`)
    or an ISO date-time (UTC unless it names a zone). Raises ValueError with a readable message."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day.timestamp() + (86400.0 if end_of_day else 0.0)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r}: expected Unix seconds, YYYY-MM-DD or an ISO date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
