"""Ingest benchmark: how close the whole link path comes to raw SQLite, ack latency, server memory.

Prints one table:
  (a) raw sqlite3 batched inserts of event rows with time-ordered keys (the limit),
  (b) events/s through the whole path: WebSocket, JSON frames of 100 events, 8 in flight, ack after commit,
  (c) acknowledgement latency p50/p99 at a steady 5,000 events/s,
  (d) the server's peak memory after 1M events,
and the ratio b/a. Targets: b >= 40% of a, p99 < 25 ms, memory < 150 MB.

Usage: python scripts/bench_ingest.py [--events 1000000] [--raw-rows 300000] [--steady-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from dsm.link.client import LinkClient
from dsm.serve_process import start_serve
from dsm.store.connection import open_connection
from dsm.store.events import INSERT_SQL, parse_events
from dsm.store.migrations import migrate
from dsm.store.schema import companion_schema

BATCH = 100
IN_FLIGHT = 8
STEADY_RATE = 5000
# Live events: the plugin stamps what happens now (events for past days take the slower per-key path).
BASE_TS = time.time() - 600


def make_event(session: str, seq: int) -> dict:
    """A plugin session's mix: 45% UI, 25% value reads of distinct player keys, 10% listings, 15% perf, 5% errors."""
    base = {"id": f"{session}-{seq:09d}", "ts": BASE_TS + seq * 0.001}
    slot = seq % 20
    if slot < 9:
        return {
            **base,
            "kind": "ui",
            "name": ("button_click", "view_change", "search_query")[slot % 3],
            "feature": ("DataExplorer", "Reports", "Settings")[slot % 3],
            "view": ("Keys", "Value", "Reports")[seq % 3],
        }
    if slot < 14:
        return {
            **base,
            "kind": "datastore",
            "name": "getData",
            "datastore": f"Store{seq % 7}",
            "scope": "global",
            "key": f"player_{seq % 20000}",
            "latencyMs": 20.0 + seq % 180,
            "ok": True,
            "size": 200 + seq % 4000,
        }
    if slot < 16:
        return {
            **base,
            "kind": "datastore",
            "name": ("listKeys", "listDataStores")[slot % 2],
            "datastore": f"Store{seq % 7}",
            "latencyMs": 50.0 + seq % 300,
            "ok": True,
        }
    if slot < 19:
        return {**base, "kind": "perf", "name": "ui_render", "feature": "DataExplorer", "latencyMs": 1.0 + seq % 16}
    return {
        **base,
        "kind": "error",
        "name": "datastore_access",
        "datastore": "Store1",
        "errorCode": 301,
        "message": "Request budget exhausted",
        "ok": False,
    }


def make_frames(session: str, count: int) -> list[str]:
    frames = []
    for start in range(0, count, BATCH):
        events = [make_event(session, seq) for seq in range(start, min(start + BATCH, count))]
        frames.append(json.dumps({"id": f"r{start}", "op": "events.append", "body": {"events": events}}))
    return frames


def bench_raw(rows: int, folder: Path) -> float:
    """(a) the same rows into the same table and indexes (migrated schema), pre-built tuples, executemany in
    batches of 1,000 with one commit each, same pragmas as the server: the limit of the storage itself."""
    conn = open_connection(folder / "raw.sqlite3")
    migrate(conn, time.time(), companion_schema().migrations)
    data = parse_events(1, [make_event("RAW", i) for i in range(rows)], rows, time.time())  # the server's own rows
    started = time.perf_counter()
    for start in range(0, rows, 1000):
        conn.execute("BEGIN")
        conn.executemany(INSERT_SQL, data[start : start + 1000])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


class Server:
    """`dsm serve` in its own process, as users run it (its log into `log`, if given)."""

    def __init__(self, db: Path, log: Path | None = None) -> None:
        self.db = db
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def __aenter__(self) -> Server:
        self.proc, self.url, _line = await start_serve(self.db, timeout=60, log=self.log)
        return self

    def peak_rss_mb(self) -> float | None:
        status = Path(f"/proc/{self.proc.pid}/status") if self.proc else None
        if status is None or not status.exists():
            return None  # only Linux exposes VmHWM; elsewhere the figure is not measured
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    async def __aexit__(self, *exc: object) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 60)


async def pump(url: str, frames: list[str], progress: str) -> float:
    """Send frames keeping IN_FLIGHT unacknowledged; returns acknowledged events per second."""
    client = await LinkClient.connect(url)
    await client.hello(1, session_id="BENCH")
    window = asyncio.Semaphore(IN_FLIGHT)
    accepted = 0

    async def one(frame: str, rid: str) -> None:
        nonlocal accepted
        try:
            reply = await client.expect(rid)
            if not reply.get("ok"):
                raise RuntimeError(reply)
            accepted += reply["body"]["accepted"]
        finally:
            window.release()

    tasks = []
    started = time.perf_counter()
    for n, frame in enumerate(frames):
        await window.acquire()
        rid = f"r{n * BATCH}"
        tasks.append(asyncio.create_task(one(frame, rid)))
        await client.send_raw(frame)
        if n % 1000 == 0:
            print(f"\r  {progress}: {n * BATCH:,} events sent", end="", file=sys.stderr, flush=True)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    await client.close()
    if accepted != len(frames) * BATCH:
        raise RuntimeError(f"only {accepted} of {len(frames) * BATCH} events accepted")
    return accepted / elapsed


async def steady(url: str, seconds: float) -> tuple[float, float]:
    """(c) frames of 100 events at 50 frames/s; latency from send to acknowledgement."""
    client = await LinkClient.connect(url)
    await client.hello(1, session_id="STEADY")
    frames = make_frames("STEADY", int(STEADY_RATE * seconds))
    interval = BATCH / STEADY_RATE
    latencies: list[float] = []

    async def timed(frame: str, rid: str) -> None:
        future = client.expect(rid)
        sent = time.perf_counter()
        await client.send_raw(frame)
        await future
        latencies.append((time.perf_counter() - sent) * 1000)

    tasks = []
    start = time.perf_counter()
    for n, frame in enumerate(frames):
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(frame, f"r{n * BATCH}")))
    await asyncio.gather(*tasks)
    await client.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return pct(0.50), pct(0.99)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events for (b) and (d)")
    parser.add_argument("--raw-rows", type=int, default=300_000, help="rows for (a)")
    parser.add_argument("--steady-seconds", type=float, default=10.0, help="duration of (c)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("(a) raw sqlite3 ...", file=sys.stderr)
        raw = bench_raw(args.raw_rows, folder)
        print("(b)+(d) whole path ...", file=sys.stderr)
        frames = make_frames("BENCH", args.events)
        async with Server(folder / "path.sqlite3") as server:
            path = await pump(server.url, frames, "(b)")
            peak = server.peak_rss_mb()
        del frames
        print("(c) steady 5,000 events/s ...", file=sys.stderr)
        async with Server(folder / "steady.sqlite3") as server:
            p50, p99 = await steady(server.url, args.steady_seconds)

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print(f"{'measure':<58} {'figure':>14}  target")
    print(f"{'(a) raw sqlite3 inserts, time-ordered keys (rows/s)':<58} {raw:>14,.0f}")
    print(f"{'(b) whole path, JSON x100, 8 in flight (events/s)':<58} {path:>14,.0f}")
    print(f"{'    ratio b/a':<58} {path / raw:>14.1%}  >= 40%  {mark(path / raw >= 0.4)}")
    print(f"{'(c) ack latency p50 at 5,000 events/s (ms)':<58} {p50:>14.2f}")
    print(f"{'(c) ack latency p99 at 5,000 events/s (ms)':<58} {p99:>14.2f}  < 25 ms  {mark(p99 < 25)}")
    memory = f"{peak:,.1f}" if peak is not None else "n/a"
    verdict = mark(peak < 150) if peak is not None else "(Linux only)"
    print(f"{f'(d) server peak memory after {args.events:,} events (MB)':<58} {memory:>14}  < 150 MB  {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
