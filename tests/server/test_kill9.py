"""Nothing acknowledged is lost: `dsm serve` killed outright (kill -9; TerminateProcess on Windows) while
events stream in keeps every acknowledged event, once, after a restart. The 20-cycle run is scripts/soak_kill.py."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from dsm.link.client import LinkClient
from support import event, rows, start_dsm_serve, stop_process

BATCHES = 60
BATCH = 100


def batch(b: int, now: float) -> list[dict[str, Any]]:
    """Events stamped by the server's clock (its retention would drop events of long ago at a restart)."""
    return [event(b * BATCH + i, session="K", ts=now - 3600) for i in range(BATCH)]


async def stream_then_kill(db: Path) -> tuple[float, list[int]]:
    """Batches stream with 8 in flight; kill -9 once 20 are acknowledged. (server time, acknowledged batches)."""
    proc, port = await start_dsm_serve(db)
    client = await LinkClient.connect(f"ws://127.0.0.1:{port}/ws")
    replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
    try:
        await client.hello(1)
        now = (await client.call("status"))["startedAt"]
        acked_so_far = 0
        for b in range(BATCHES):
            replies[b] = client.expect(f"b{b}")
            await client.send("events.append", {"events": batch(b, now)}, f"b{b}")
            if b >= 8:  # keep 8 unanswered, as the plugin may
                reply = await asyncio.wait_for(replies[b - 8], 60)
                acked_so_far += bool(reply.get("ok"))
            if acked_so_far == 20:
                break
        proc.kill()  # while 8 batches are in flight: no signal handler, no shutdown, the process is gone
        await proc.wait()
        answered = await asyncio.gather(*replies.values(), return_exceptions=True)
    finally:
        await client.close()
        await stop_process(proc)
    acked = []
    for b, reply in zip(replies, answered, strict=True):
        if isinstance(reply, dict) and reply.get("ok"):
            assert reply["body"] == {"accepted": BATCH, "duplicates": 0}
            acked.append(b)
    assert len(acked) >= 20
    return now, acked


async def test_kill_9_loses_no_acknowledged_event_and_stores_none_twice(tmp_path: Path) -> None:
    db = tmp_path / "kill.sqlite3"
    now, acked = await stream_then_kill(db)
    assert acked

    proc, port = await start_dsm_serve(db)  # the file opens after the kill (its quick_check passes)
    client = await LinkClient.connect(f"ws://127.0.0.1:{port}/ws")
    try:
        stored = dict(rows(db, "SELECT event_id, COUNT(*) FROM events GROUP BY event_id"))
        for b in acked:
            for e in batch(b, now):
                assert stored.get(e["id"]) == 1, e["id"]
        # sending everything again stores nothing twice: each acknowledged batch is all duplicates
        await client.hello(1)
        for b in range(BATCHES):
            again = await client.call("events.append", {"events": batch(b, now)})
            assert again["accepted"] + again["duplicates"] == BATCH
            if b in acked:
                assert again["duplicates"] == BATCH
        assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events") == [(BATCHES * BATCH,) * 2]
    finally:
        await client.close()
        await stop_process(proc)


def report_workers(pid: int) -> set[int]:
    """The server's child processes started by multiprocessing's spawn."""
    children = {int(c) for task in Path(f"/proc/{pid}/task").glob("*/children") for c in task.read_text().split()}
    return {child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()}


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its new parent has not reaped it yet


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the processes through /proc")
async def test_report_workers_leave_with_a_killed_server(tmp_path: Path) -> None:
    proc, port = await start_dsm_serve(tmp_path / "workers.sqlite3")
    client = await LinkClient.connect(f"ws://127.0.0.1:{port}/ws")
    try:
        await client.hello(1)
        assert (await client.call("reports.generate", {"type": "DAILY_SUMMARY"}))["report"]["type"] == "DAILY_SUMMARY"
        workers = await asyncio.to_thread(report_workers, proc.pid)
        assert workers  # the report ran in a worker process
        proc.kill()
        await proc.wait()
        async with asyncio.timeout(30):
            while True:
                if not any(running(pid) for pid in workers):
                    break
                await asyncio.sleep(0.05)
    finally:
        await client.close()
        await stop_process(proc)
