"""Data survives restarts; users are isolated; an older schema opens without loss; the writer batches."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from dsm.link.client import LinkClient
from dsm.store.connection import open_connection
from dsm.store.migrations import migrate
from dsm.store.schema import companion_schema
from dsm.store.writer import Writer
from support import FIXED_NOW, event, rows


async def test_everything_survives_a_restart(server_factory, config):
    first = await server_factory(config)
    client = await LinkClient.connect(first.ws_url)
    await client.hello(1)
    await client.call("events.append", {"events": [event(i) for i in range(50)]})
    await client.call("settings.update", {"patch": {"analytics": {"retainDataDays": 7}}})
    await client.call("cache.put", {"type": "value", "datastore": "D", "key": "k", "value": {"a": 1}})
    snap = (await client.call("history.snapshot", {"label": "before restart"}))["snapshot"]
    await client.close()
    await first.runner.cleanup()

    second = await server_factory(config)
    client = await LinkClient.connect(second.ws_url)
    try:
        hello = await client.hello(1)
        assert hello["settings"]["analytics"]["retainDataDays"] == 7
        assert (await client.call("analytics.current"))["summary"]["totalEvents"] == 50
        assert (await client.call("cache.get", {"type": "value", "datastore": "D", "key": "k"}))["entry"]["value"] == {
            "a": 1
        }
        assert (await client.call("history.get", {"id": snap["id"]}))["snapshot"]["label"] == "before restart"
        assert await client.call("events.append", {"events": [event(49)]}) == {"accepted": 0, "duplicates": 1}
    finally:
        await client.close()


async def test_two_users_never_see_each_others_records(connect):
    alice, bob = await connect(100), await connect(200)
    await alice.call("events.append", {"events": [event(i) for i in range(5)]})
    await alice.call("cache.put", {"type": "datastores", "names": ["Secret"]})
    await alice.call("settings.update", {"patch": {"ui": {"enableNotifications": False}}})
    await alice.call("history.snapshot", {"label": "mine"})
    assert (await bob.call("analytics.current"))["summary"]["totalEvents"] == 0
    assert (await bob.call("cache.get", {"type": "datastores"}))["hit"] is False
    assert (await bob.call("settings.get"))["settings"]["ui"]["enableNotifications"] is True
    assert (await bob.call("history.list"))["snapshots"] == []
    assert (await bob.call("status"))["rows"]["analytics"]["events"] == 0
    assert (await bob.call("data.clean", {"olderThan": 0}))["removed"]["events"] == 0
    assert (await alice.call("analytics.current"))["summary"]["totalEvents"] == 5


async def test_a_database_made_by_the_first_schema_opens_without_loss(server_factory, config, db_path):
    conn = open_connection(db_path)
    migrate(conn, config.clock(), companion_schema().migrations, target=1)
    conn.execute(
        "INSERT INTO events (user_id, event_id, session, ts, kind, name, received_at) VALUES (1, 'OLD-1', 'OLD', 1e9,"
        " 'ui', 'button_click', 1e9)"
    )
    conn.execute(
        "INSERT INTO settings (user_id, body, updated_at) VALUES (1, X'81a2756981b3656e61626c654e6f74696669"
        "636174696f6e73c2', 5.0)"
    )  # msgpack {"ui": {"enableNotifications": false}}
    conn.close()
    running = await server_factory(config)
    client = await LinkClient.connect(running.ws_url)
    try:
        hello = await client.hello(1)
        assert hello["settings"]["ui"]["enableNotifications"] is False
        assert await client.call(
            "events.append", {"events": [{"id": "OLD-1", "ts": 1e9, "kind": "ui", "name": "x"}]}
        ) == {"accepted": 0, "duplicates": 1}
    finally:
        await client.close()
    versions = [r[0] for r in rows(db_path, "SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, companion_schema().latest_version() + 1))


def test_migrations_are_recorded_and_not_rerun(tmp_path):
    path = tmp_path / "m.sqlite3"
    conn = open_connection(path)
    assert migrate(conn, FIXED_NOW, companion_schema().migrations) == list(
        range(1, companion_schema().latest_version() + 1)
    )
    assert migrate(conn, FIXED_NOW, companion_schema().migrations) == []
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def started_writer(path: Path, *schema: str) -> Writer:
    """A running writer over a fresh file holding the given tables."""
    conn = open_connection(path)
    for statement in schema:
        conn.execute(statement)
    conn.close()
    writer = Writer(path)
    writer.start()
    return writer


async def test_a_failing_job_is_rolled_back_alone_and_its_batch_mates_commit(tmp_path):
    path = tmp_path / "w.sqlite3"
    writer = started_writer(path, "CREATE TABLE t (x INTEGER PRIMARY KEY)")

    def insert(x: int):
        return lambda c: c.execute("INSERT INTO t VALUES (?)", (x,)).rowcount

    def broken(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (999)")
        raise ValueError("boom")

    jobs = [writer.run(insert(i)) for i in range(200)] + [writer.run(broken)]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    await writer.close()
    assert isinstance(results[-1], ValueError)
    assert results[:-1] == [1] * 200
    assert rows(path, "SELECT COUNT(*), MAX(x) FROM t") == [(200, 199)]
    # many requests' jobs share a transaction
    assert writer.transactions < writer.jobs


async def test_closing_the_writer_commits_jobs_already_queued(tmp_path):
    path = tmp_path / "c.sqlite3"
    writer = started_writer(path, "CREATE TABLE t (x INTEGER)")
    pending = [
        asyncio.ensure_future(writer.run(lambda c, i=i: c.execute("INSERT INTO t VALUES (?)", (i,))))
        for i in range(100)
    ]
    await asyncio.sleep(0)
    await writer.close()
    await asyncio.gather(*pending)
    assert rows(path, "SELECT COUNT(*) FROM t") == [(100,)]
    with pytest.raises(RuntimeError):
        await writer.run(lambda c: None)


async def test_deferred_work_runs_once_per_transaction_and_not_for_a_failed_job(tmp_path):
    path = tmp_path / "d.sqlite3"
    writer = started_writer(
        path,
        "CREATE TABLE t (x INTEGER)",
        "CREATE TABLE totals (n INTEGER, calls INTEGER)",
        "INSERT INTO totals VALUES (0, 0)",
    )

    def add_total(c: sqlite3.Connection, items: list[int]) -> None:
        c.execute("UPDATE totals SET n = n + ?, calls = calls + 1", (sum(items),))

    def job(x: int, fail: bool = False):
        def run(c) -> None:
            c.execute("INSERT INTO t VALUES (?)", (x,))
            c.defer("totals", add_total, [x])
            if fail:
                raise ValueError("after deferring")

        return run

    jobs = [writer.run(job(x)) for x in (1, 2, 3)] + [writer.run(job(100, fail=True)), writer.run(job(4))]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    await writer.close()
    assert isinstance(results[3], ValueError)
    n, calls = rows(path, "SELECT n, calls FROM totals")[0]
    assert n == 1 + 2 + 3 + 4  # the failed job's deferred item was dropped with it
    assert calls == writer.transactions  # once per transaction, however many jobs deferred


async def test_jobs_that_arrive_while_a_transaction_runs_join_it(tmp_path):
    path = tmp_path / "j.sqlite3"
    writer = started_writer(path, "CREATE TABLE t (x INTEGER)")
    started, release = threading.Event(), threading.Event()

    def slow(c: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)
        c.execute("INSERT INTO t VALUES (0)")

    first = asyncio.ensure_future(writer.run(slow))
    await asyncio.to_thread(started.wait, 10)
    late = [
        asyncio.ensure_future(writer.run(lambda c, i=i: c.execute("INSERT INTO t VALUES (?)", (i,))))
        for i in range(1, 11)
    ]
    await asyncio.sleep(0.05)  # all ten are queued behind the running job
    release.set()
    await asyncio.gather(first, *late)
    await writer.close()
    assert (writer.transactions, writer.jobs) == (1, 11)  # one transaction, one fsync
    assert rows(path, "SELECT COUNT(*) FROM t") == [(11,)]
