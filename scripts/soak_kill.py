"""Soak: `dsm serve` killed outright (kill -9; TerminateProcess on Windows) again and again while Studio
sessions stream events and ask for reports; after every restart, every acknowledged event must be stored once.

Each cycle starts the server on the same database, streams from --sessions sessions (batches of 100 events,
8 unacknowledged each, as the plugin may), asks for a report now and then, kills the server after a random
0.5 to 3 seconds (seeded), and checks the file: every acknowledged event present, none stored twice. At the
end every acknowledged batch is sent again and must come back all duplicates.

Usage: python scripts/soak_kill.py [--cycles 20] [--sessions 6] [--seed 1] [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsm.link.client import LinkClient
from dsm.serve_process import start_serve

BATCH = 100
IN_FLIGHT = 8


@dataclass
class Tally:
    acked: set[tuple[int, str]] = field(default_factory=set)  # (user, event id)
    acked_batches: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)
    refused: int = 0
    reports: int = 0
    restarts: list[float] = field(default_factory=list)
    lingering_workers: int = 0


async def start(db: Path) -> tuple[asyncio.subprocess.Process, str, float]:
    started = time.perf_counter()
    proc, url, _line = await start_serve(db)
    return proc, url, time.perf_counter() - started


def batches(user: int, session: str, now: float) -> Iterator[list[dict[str, Any]]]:
    for n in range(1_000_000):
        yield [
            {"id": f"{session}-{n * BATCH + i:08d}", "ts": now + (n * BATCH + i) * 0.001, "kind": "ui", "name": "x"}
            for i in range(BATCH)
        ]


async def session_stream(url: str, user: int, session: str, tally: Tally, stop: asyncio.Event) -> None:
    try:
        client = await LinkClient.connect(url)
        await client.hello(user, session_id=session)
        now = (await client.call("status"))["startedAt"]
    except (OSError, ConnectionError, TimeoutError, asyncio.CancelledError):
        return
    window = asyncio.Semaphore(IN_FLIGHT)

    async def one(events: list[dict[str, Any]]) -> None:
        try:
            reply = await client.request("events.append", {"events": events}, timeout=10)
        except (ConnectionError, TimeoutError):
            return  # the server died with it in flight: not acknowledged
        finally:
            window.release()
        if reply.get("ok"):
            tally.acked.update((user, e["id"]) for e in events)
            tally.acked_batches.append((user, events))
        else:
            tally.refused += 1

    tasks: set[asyncio.Task[None]] = set()
    try:
        for events in batches(user, session, now):
            await window.acquire()
            if stop.is_set() or client.ws.closed:
                break
            task = asyncio.create_task(one(events))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await client.close()


async def ask_reports(url: str, tally: Tally, stop: asyncio.Event) -> None:
    try:
        client = await LinkClient.connect(url)
        await client.hello(1, session_id="reports")
        while not stop.is_set():
            reply = await client.request("reports.generate", {"type": "DAILY_SUMMARY"}, timeout=10)
            tally.reports += bool(reply.get("ok"))
            await asyncio.sleep(0.3)
    except (OSError, ConnectionError, TimeoutError):
        return
    finally:
        if "client" in locals():
            await client.close()


def worker_pids(pid: int) -> set[int]:
    """The server's child processes (its report workers); Linux only, else empty."""
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children.update(int(c) for c in task.read_text().split())
    return children


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for its new parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def verify(db: Path, tally: Tally) -> tuple[int, int]:
    """(acknowledged events missing, events stored twice)."""
    conn = sqlite3.connect(db)
    try:
        stored = set(conn.execute("SELECT user_id, event_id FROM events"))
        total, distinct = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT user_id || ':' || event_id) FROM events"
        ).fetchone()
    finally:
        conn.close()
    return len(tally.acked - stored), total - distinct


async def cycle(n: int, db: Path, args: argparse.Namespace, rng: random.Random, tally: Tally) -> None:
    proc, url, took = await start(db)
    tally.restarts.append(took)
    stop = asyncio.Event()
    work = [asyncio.create_task(session_stream(url, 1 + s % 3, f"c{n}s{s}", tally, stop)) for s in range(args.sessions)]
    work.append(asyncio.create_task(ask_reports(url, tally, stop)))
    await asyncio.sleep(rng.uniform(0.5, 3.0))
    workers = worker_pids(proc.pid)
    proc.kill()
    await proc.wait()
    stop.set()
    # replies that reached the clients before the kill are counted as their readers drain; then stop waiting
    _done, pending = await asyncio.wait(work, timeout=5)
    for task in pending:
        task.cancel()
    await asyncio.gather(*work, return_exceptions=True)
    await asyncio.sleep(1.0)  # report workers see their server gone and exit
    tally.lingering_workers += sum(await asyncio.to_thread(lambda: [alive(pid) for pid in workers]))
    missing, twice = verify(db, tally)
    print(
        f"cycle {n + 1:>2}: {len(tally.acked):>9,} events acknowledged so far, missing {missing}, twice {twice},"
        f" restart {took:.2f} s",
        file=sys.stderr,
    )
    if missing or twice:
        raise SystemExit(f"cycle {n + 1}: {missing} acknowledged events missing, {twice} stored twice")


async def resend_all(db: Path, tally: Tally) -> int:
    """Every acknowledged batch again: how many events were accepted as new (must be 0)."""
    proc, url, _ = await start(db)
    new = 0
    try:
        clients: dict[int, LinkClient] = {}
        for user, events in tally.acked_batches:
            if user not in clients:
                clients[user] = await LinkClient.connect(url)
                await clients[user].hello(user, session_id="resend")
            new += (await clients[user].call("events.append", {"events": events}))["accepted"]
        for client in clients.values():
            await client.close()
    finally:
        proc.terminate()
        await proc.wait()
    return new


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "soak.sqlite3"
        started = time.perf_counter()
        for n in range(args.cycles):
            await cycle(n, db, args, rng, tally)
        print("sending every acknowledged batch again ...", file=sys.stderr)
        new_on_resend = await resend_all(db, tally)
        missing, twice = verify(db, tally)
        elapsed = time.perf_counter() - started
        conn = sqlite3.connect(db)
        stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        conn.close()
    workers = str(tally.lingering_workers) if sys.platform.startswith("linux") else "n/a (Linux only)"
    print()
    print(f"{'kill -9 cycles':<52} {args.cycles:>12}")
    print(f"{'events acknowledged':<52} {len(tally.acked):>12,}")
    print(f"{'events stored (acknowledged + committed unanswered)':<52} {stored:>12,}")
    print(f"{'acknowledged events missing':<52} {missing:>12}")
    print(f"{'events stored twice':<52} {twice:>12}")
    print(f"{'new events when every acknowledged batch is resent':<52} {new_on_resend:>12}")
    print(f"{'reports generated meanwhile':<52} {tally.reports:>12}")
    print(f"{'report workers still alive after their server died':<52} {workers:>12}")
    restart = f"{statistics.median(tally.restarts):.2f} / {max(tally.restarts):.2f}"
    print(f"{'restart to listening, median / max (s)':<52} {restart:>12}")
    print(f"{'whole run (s)':<52} {elapsed:>12.1f}")
    if missing or twice or new_on_resend:
        raise SystemExit("FAILED: acknowledged data lost or stored twice")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=20, help="how many times to kill the server")
    parser.add_argument("--sessions", type=int, default=6, help="Studio sessions streaming (3 users)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random kill moments")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
