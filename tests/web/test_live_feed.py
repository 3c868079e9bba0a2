"""The live feed behind the dashboard's push: a dashboard is woken only once the events it is told about are
visible to a reader, and only for its own user."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from dsm.store.database import Database
from dsm.store.events import EventStore, parse_events
from dsm.store.schema import companion_schema
from dsm.web.live import LiveFeed, sse
from support import ManualClock, event


async def test_a_dashboard_is_woken_after_commit_and_only_for_its_user(tmp_path: Path) -> None:
    clock = ManualClock()
    db = await Database.open(tmp_path / "dsm.sqlite3", companion_schema(), clock)
    feed = LiveFeed(asyncio.get_running_loop())
    events = EventStore([feed.observe], clock)
    db.writer.after_commit.append(feed.committed)
    try:
        with feed.watch(7) as mine, feed.watch(8) as other:

            async def dashboard() -> int:
                """Wakes, and reads at once with a connection of its own, as the dashboard's stream does."""
                await mine.wait()
                return _count(db.path, 7)

            waiter = asyncio.get_running_loop().create_task(dashboard())
            rows = parse_events(7, [event(i) for i in range(1, 4)], 1000, clock())
            result = await db.write(events.append_job(rows))
            assert result.accepted == 3
            assert await asyncio.wait_for(waiter, 30) == 3  # woken after COMMIT: all three are visible
            assert not other.is_set()  # user 8's dashboards were not told about user 7's events
            assert feed.watchers(7) == 1
        assert feed.watchers(7) == 0  # a closed stream stops watching
    finally:
        await db.close()


def _count(path: Path, user_id: int) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM events WHERE user_id = ?", (user_id,)).fetchone()[0])
    finally:
        conn.close()


def test_a_pushed_fragment_keeps_every_line() -> None:
    assert sse("panels", "<p>a</p>\n<p>b</p>") == b"event: panels\ndata: <p>a</p>\ndata: <p>b</p>\n\n"
