"""One client cannot fail another: in a transaction shared by many requests, a job whose own work or whose
deferred work (the rollups run before COMMIT) fails is rolled back alone and answered with its error, and every
other job of that transaction still commits and is acknowledged."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

from dsm.app import SERVICES
from dsm.store import settings as settings_store
from dsm.store.events import ROW_TS, parse_events
from support import FIXED_NOW, event, rows

USERS = range(100, 106)
PER_USER = 10
POISONED_USER = 999


def _poisoned_rows() -> list[tuple]:
    """An event batch with ts 1e308, as the edge let through before it checked the timestamp window: storing the
    row works, its hourly rollup bucket overflows SQLite's INTEGER in the deferred work."""
    (row,) = parse_events(POISONED_USER, [event(1, session="POISON", ts=FIXED_NOW)], 10, FIXED_NOW)
    return [(*row[:ROW_TS], 1e308, *row[ROW_TS + 1 :])]


def _fails_in_its_own_work(conn: sqlite3.Connection) -> None:
    settings_store.update_job(POISONED_USER, {"ui": {"enableNotifications": False}}, FIXED_NOW)(conn)
    raise RuntimeError("this job's own work failed after writing")


async def test_a_failing_job_is_rolled_back_alone_and_the_others_in_its_transaction_commit(server, connect, db_path):
    services = server.app[SERVICES]
    writer = services.db.writer
    clients = {user: await connect(user, session_id=f"U{user}") for user in USERS}

    # Hold the writer inside a transaction so that everything below queues up and joins it.
    inside, release = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        inside.set()
        release.wait(60)

    held = asyncio.create_task(services.db.write(hold))
    assert await asyncio.to_thread(inside.wait, 30)
    transactions_before = writer.transactions

    def append(user: int, seq: int) -> asyncio.Task:
        body = {"events": [event(seq, session=f"U{user}", ts=FIXED_NOW - 60)]}
        return asyncio.create_task(clients[user].call("events.append", body))

    first_half = [append(user, seq) for user in USERS for seq in range(PER_USER // 2)]
    poisoned = asyncio.create_task(services.db.write(services.events.append_job(_poisoned_rows())))
    broken = asyncio.create_task(services.db.write(_fails_in_its_own_work))
    second_half = [append(user, seq) for user in USERS for seq in range(PER_USER // 2, PER_USER)]
    valid = first_half + second_half
    # Wait until every request has reached the writer's queue (a thread's queue: there is no event to await).
    while writer.queued < len(valid) + 2:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    release.set()

    replies = await asyncio.gather(*valid)
    await held
    assert len(replies) == len(USERS) * PER_USER
    assert all(reply == {"accepted": 1, "duplicates": 0} for reply in replies)
    poison_error = (await asyncio.gather(poisoned, return_exceptions=True))[0]
    assert isinstance(poison_error, OverflowError)
    broken_error = (await asyncio.gather(broken, return_exceptions=True))[0]
    assert isinstance(broken_error, RuntimeError)
    assert writer.transactions == transactions_before + 1  # all of it was one transaction

    for user in USERS:
        assert rows(db_path, "SELECT COUNT(*) FROM events WHERE user_id = ?", (user,)) == [(PER_USER,)]
        # their deferred work (the rollups) committed too
        counted = rows(db_path, "SELECT SUM(count) FROM rollup_counts WHERE user_id = ? AND grain = 3600", (user,))
        assert counted == [(PER_USER,)]
    for table in ("events", "rollup_counts", "settings"):
        assert rows(db_path, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (POISONED_USER,)) == [(0,)]
