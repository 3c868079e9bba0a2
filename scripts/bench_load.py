"""Load benchmark: 50 Studio sessions streaming events into `dsm serve` while reports are generated.

Phases (the server runs in its own process, as users run it; every session is its own WebSocket):
  A  the sessions stream: each flushes a batch every 0.25 s (the plugin's flush interval), at --rate events/s;
  B  the same, while --burst report requests are generated at once, wave after wave;
  C  the same, while every session asks for a report at the same moment (the queue the pool makes).
In every phase 10 sessions also read (settings, report and edit lists, status, snapshots, cache figures) as
the plugin's panels do.
Printed: acknowledgement latency (send to reply, so after COMMIT) p50/p99 per phase, report latency p50/p99,
read op latency p50/p99,
the longest report queue seen in `status`, events acknowledged against events stored, the server's peak memory,
and the ratios to phase A. Targets: ack p99 < 100 ms with 50 sessions streaming (A, B), report p99 < 1 s with 10
generated at once (B). Figures, not a test: machines are noisy.

Usage: python scripts/bench_load.py [--sessions 50] [--rate 40] [--seconds 20] [--burst 10] [--history 300000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_ingest import Server as IngestServer
from bench_ingest import make_event as ingest_event
from dsm.link.client import LinkClient
from dsm.store.database import Database
from dsm.store.events import EventStore, parse_events
from dsm.store.schema import companion_schema

FLUSH_S = 0.25
DAY = 86400.0
REPORTS = (
    ("DAILY_SUMMARY", False),
    ("PERFORMANCE_ANALYSIS", True),
    ("USAGE_ANALYTICS", True),
    ("DATASTORE_AUDIT", True),
)
# Read ops as the plugin's panels send them: each is one or a few indexed queries on the read path.
READ_OPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("settings.get", {}),
    ("reports.list", {"limit": 20}),
    ("status", {}),
    ("edits.list", {"limit": 20}),
    ("history.list", {}),
    ("cache.stats", {}),
)
READERS = 10
READ_EVERY_S = 0.05
ACK_TARGET_MS = 100.0
REPORT_TARGET_MS = 1000.0


def make_event(session: str, seq: int, ts: float) -> dict[str, Any]:
    """A plugin session's mix (bench_ingest's), stamped `ts`."""
    return {**ingest_event(session, seq), "ts": ts}


async def seed_history(path: Path, users: list[int], total: int, now: float) -> None:
    """`total` events over the last 7 days, spread over the users, written as the server writes them."""
    db = await Database.open(path, companion_schema())
    store = EventStore(list(db.schema.observers))
    per_user = max(1, total // len(users))
    step = 7 * DAY / per_user
    done = 0
    try:
        for user in users:
            wire = [make_event(f"H{user}", i, now - 7 * DAY + i * step) for i in range(per_user)]
            for start in range(0, per_user, 5000):
                rows = parse_events(user, wire[start : start + 5000], 5001, now)
                await db.write(store.append_job(rows))
            done += per_user
            print(f"\r  history: {done:,}/{per_user * len(users):,} events", end="", file=sys.stderr, flush=True)
    finally:
        await db.close()
    print(file=sys.stderr)


def _peak(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server(IngestServer):
    """`dsm serve` in its own process (`dsm.serve_process.start_serve`, through bench_ingest's `Server`)."""

    def peak_memory_mb(self) -> tuple[float, float] | None:
        """Peak memory of the server process and of its report workers together (Linux only: VmHWM)."""
        if self.proc is None or not Path(f"/proc/{self.proc.pid}/status").exists():
            return None
        children = [
            int(c) for t in Path(f"/proc/{self.proc.pid}/task").glob("*/children") for c in t.read_text().split()
        ]
        return _peak(self.proc.pid), sum(_peak(child) for child in children)


@dataclass
class Phase:
    acks: list[float] = field(default_factory=list)
    reports: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    fsyncs: list[float] = field(default_factory=list)
    refused: int = 0


def probe_disk(folder: Path, until: float, out: list[float]) -> None:
    """The machine's own noise: a 4 KB write and fsync of another file on the same disk, 20 times a second.
    An acknowledgement waits for one fsync; when these are slow, so are acks, whatever the server does."""
    path = folder / "fsync-probe"
    with path.open("wb") as file:
        while time.perf_counter() < until:
            started = time.perf_counter()
            file.write(b"x" * 4096)
            file.flush()
            os.fsync(file.fileno())
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)


@dataclass
class Session:
    client: LinkClient
    user: int
    name: str
    seq: itertools.count[int] = field(default_factory=itertools.count)
    acked: int = 0


async def stream(session: Session, rate: float, until: float, phase: list[Phase], offset: float) -> None:
    """Flush a batch every FLUSH_S, without waiting for the previous acknowledgement (as the queue may).
    Sessions start `offset` apart: Studio windows do not flush in step."""
    per_flush = max(1, round(rate * FLUSH_S))
    pending: set[asyncio.Task[None]] = set()
    next_flush = time.perf_counter() + offset
    await asyncio.sleep(offset)

    async def append(events: list[dict[str, Any]]) -> None:
        sent = time.perf_counter()
        reply = await session.client.request("events.append", {"events": events}, timeout=120)
        took = (time.perf_counter() - sent) * 1000
        if reply.get("ok"):
            session.acked += reply["body"]["accepted"]
            phase[0].acks.append(took)
        else:
            phase[0].refused += 1

    while time.perf_counter() < until:
        now = time.time()
        events = [make_event(session.name, next(session.seq), now) for _ in range(per_flush)]
        task = asyncio.create_task(append(events))
        pending.add(task)
        task.add_done_callback(pending.discard)
        next_flush += FLUSH_S
        await asyncio.sleep(max(0.0, next_flush - time.perf_counter()))
    await asyncio.gather(*pending)


async def one_report(session: Session, n: int, phase: list[Phase]) -> None:
    report_type, ranged = REPORTS[n % len(REPORTS)]
    now = time.time()
    options = {"from": now - 7 * DAY, "to": now} if ranged else {}
    sent = time.perf_counter()
    reply = await session.client.request("reports.generate", {"type": report_type, "options": options}, 300)
    if not reply.get("ok"):
        raise RuntimeError(f"report failed: {reply}")
    phase[0].reports.append((time.perf_counter() - sent) * 1000)


async def read_ops(sessions: list[Session], until: float, phase: list[Phase]) -> None:
    """The panels' reads while everything else runs: each of READERS sessions asks for one of READ_OPS every
    READ_EVERY_S (the plugin's views refresh this way), one after the other."""

    async def reader(session: Session, offset: int) -> None:
        n = offset
        while time.perf_counter() < until:
            op, body = READ_OPS[n % len(READ_OPS)]
            n += 1
            sent = time.perf_counter()
            reply = await session.client.request(op, body, 120)
            if not reply.get("ok"):
                raise RuntimeError(f"{op} failed: {reply}")
            phase[0].reads.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(READ_EVERY_S)

    await asyncio.gather(*(reader(s, i) for i, s in enumerate(sessions[:READERS])))


async def report_waves(sessions: list[Session], burst: int, until: float, phase: list[Phase]) -> None:
    n = 0
    while time.perf_counter() < until:
        wave = [one_report(sessions[(n + i) % len(sessions)], n + i, phase) for i in range(burst)]
        n += burst
        await asyncio.gather(*wave)


async def watch_queue(client: LinkClient, until: float, peak: list[int]) -> None:
    while time.perf_counter() < until:
        queue = (await client.call("status"))["reportQueue"]
        peak[0] = max(peak[0], queue["waiting"])
        await asyncio.sleep(0.05)


async def run(args: argparse.Namespace) -> None:
    users = [1000 + i for i in range(args.sessions)]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.sqlite3"
        print(f"seeding {args.history:,} events of history ...", file=sys.stderr)
        await seed_history(db, users, args.history, time.time())
        async with Server(db) as server:
            sessions = []
            for user in users:
                client = await LinkClient.connect(server.url)
                await client.hello(user, session_id=f"L{user}")
                sessions.append(Session(client, user, f"L{user}"))
            watcher = await LinkClient.connect(server.url)
            await watcher.hello(1)
            print(f"warming up ({args.warmup:.0f} s, not measured) ...", file=sys.stderr)
            warm_until = time.perf_counter() + args.warmup
            await asyncio.gather(*(stream(s, args.rate, warm_until, [Phase()], 0.0) for s in sessions))
            phases: dict[str, Phase] = {}
            peak = [0]
            for name in ("A", "B", "C"):
                print(f"phase {name} ({args.seconds:.0f} s) ...", file=sys.stderr)
                phase = [Phase()]
                phases[name] = phase[0]
                until = time.perf_counter() + args.seconds
                work = [
                    asyncio.create_task(stream(s, args.rate, until, phase, i * FLUSH_S / len(sessions)))
                    for i, s in enumerate(sessions)
                ]
                work.append(asyncio.create_task(read_ops(sessions, until, phase)))
                work.append(asyncio.create_task(asyncio.to_thread(probe_disk, db.parent, until, phase[0].fsyncs)))
                if name == "B":
                    work.append(asyncio.create_task(report_waves(sessions, args.burst, until, phase)))
                if name == "C":
                    await asyncio.sleep(args.seconds / 4)  # streaming is steady first
                    asks = asyncio.gather(*(one_report(s, i, phase) for i, s in enumerate(sessions)))
                    work += [asyncio.ensure_future(asks), asyncio.create_task(watch_queue(watcher, until, peak))]
                await asyncio.gather(*work)
            acked = sum(s.acked for s in sessions)
            for client in [*(s.client for s in sessions), watcher]:
                await client.close()
            memory = server.peak_memory_mb()
        conn = sqlite3.connect(db)
        stored = conn.execute("SELECT COUNT(*) FROM events WHERE session LIKE 'L%'").fetchone()[0]
        conn.close()
    report(args, phases, peak[0], acked, stored, memory)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def report(
    args: argparse.Namespace,
    phases: dict[str, Phase],
    peak: int,
    acked: int,
    stored: int,
    mb: tuple[float, float] | None,
) -> None:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    a, b, c = phases["A"], phases["B"], phases["C"]
    rate = args.sessions * args.rate
    rows = [
        (f"A ack p50, {args.sessions} sessions x {args.rate:.0f} events/s ({rate:,.0f}/s) (ms)", pct(a.acks, 0.5), ""),
        ("A ack p99 (ms)", pct(a.acks, 0.99), f"< 100 ms  {mark(pct(a.acks, 0.99) < ACK_TARGET_MS)}"),
        (f"B ack p99 while {args.burst} reports are generated at once (ms)", pct(b.acks, 0.99),
         f"< 100 ms  {mark(pct(b.acks, 0.99) < ACK_TARGET_MS)}"),
        (f"B report p50, {args.burst} at once, {len(b.reports)} reports (ms)", pct(b.reports, 0.5), ""),
        ("B report p99 (ms)", pct(b.reports, 0.99), f"< 1000 ms  {mark(pct(b.reports, 0.99) < REPORT_TARGET_MS)}"),
        (f"C ack p99 while {args.sessions} reports are asked at once (ms)", pct(c.acks, 0.99), ""),
        (f"C report p50 / p99 / max of the {len(c.reports)} (ms)", pct(c.reports, 0.5), ""),
        ("", pct(c.reports, 0.99), ""),
        ("", max(c.reports, default=float("nan")), ""),
        (f"A read op p50, {READERS} sessions reading ({len(a.reads)} reads) (ms)", pct(a.reads, 0.5), ""),
        ("A read op p99 (ms)", pct(a.reads, 0.99), ""),
        ("B read op p50 / p99 while reports are generated (ms)", pct(b.reads, 0.5), ""),
        ("", pct(b.reads, 0.99), ""),
        ("C longest report queue seen in status (requests waiting)", float(peak), ""),
    ]  # fmt: skip
    print()
    print(f"{'measure':<72} {'figure':>10}  target")
    for label, value, target in rows:
        print(f"{label:<72} {value:>10.1f}  {target}")
    print(f"{'ratio B ack p99 / A ack p99':<72} {pct(b.acks, 0.99) / pct(a.acks, 0.99):>10.2f}")
    print(f"{'ratio C ack p99 / A ack p99':<72} {pct(c.acks, 0.99) / pct(a.acks, 0.99):>10.2f}")
    fsyncs = " / ".join(f"{pct(p.fsyncs, 0.99):.1f}" for p in (a, b, c))
    print(f"{'machine noise: fsync p99 of another file in A / B / C (ms)':<72} {fsyncs:>10}")
    refused = a.refused + b.refused + c.refused
    print(f"{'events acknowledged / stored / refused requests':<72} {acked:>10,}  {stored:,} / {refused}")
    print(f"{'reports per second in B':<72} {len(b.reports) / args.seconds:>10.1f}")
    memory = f"{mb[0]:,.1f}  + {mb[1]:,.1f} in report workers" if mb is not None else "n/a (Linux only)"
    print(f"{'server peak memory (MB)':<72} {memory:>10}")
    print(f"{'acks per phase A / B / C':<72} {len(a.acks):>10,}  {len(b.acks):,} / {len(c.acks):,}")
    if stored != acked:
        print(f"!! {acked - stored} acknowledged events are missing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=50, help="Studio sessions, one WebSocket and user each")
    parser.add_argument("--rate", type=float, default=40.0, help="events per second per session")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--burst", type=int, default=10, help="reports generated at once in phase B")
    parser.add_argument("--history", type=int, default=300_000, help="events stored before the run (7 days)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of streaming before phase A")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
