"""Storing synthetic histories through the real writer path (EventStore + rollup observer) for the report tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import report_synth as synth

from dsm.analytics import rollups
from dsm.store.database import Database
from dsm.store.events import EventStore, parse_events
from dsm.store.schema import companion_schema
from support import ManualClock

FIRST_DAY = 20400  # 2025-11-08 UTC
DAYS = 30
USERS = (1, 2, 3)


@dataclass
class History:
    path: Path
    events: dict[int, list[synth.Event]]
    first_day: int
    days: int

    @property
    def end(self) -> float:
        return float((self.first_day + self.days) * synth.DAY)

    def day(self, n: int) -> float:
        return float((self.first_day + n) * synth.DAY)

    @property
    def now(self) -> float:
        """When the history was stored: noon of the day after its last day (every day of it is closed)."""
        return stored_at(self.first_day, self.days)


def stored_at(first_day: int, days: int) -> float:
    return float((first_day + days) * synth.DAY + 12 * 3600)


async def store_events(db: Database, user: int, events: list[synth.Event], batch: int = 1000) -> None:
    store = EventStore([rollups.observe], db.clock)
    for i in range(0, len(events), batch):
        await db.write(store.append_job(parse_events(user, events[i : i + batch], batch, db.clock())))


async def build(path: Path, events: dict[int, list[synth.Event]]) -> None:
    db = await Database.open(path, companion_schema(), ManualClock(stored_at(FIRST_DAY, DAYS)))
    try:
        await asyncio.gather(*(store_events(db, user, evs) for user, evs in events.items()))
    finally:
        await db.close()
