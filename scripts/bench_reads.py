"""Read-path benchmark, in process: many small reads (a user's settings) through `Database.read`, a few at once.

Measures what one read costs on the read path itself (no WebSocket, no other load): wall time per read (p50, p99),
reads per second and CPU per read. `scripts/bench_load.py` measures read ops over the link under load.

Usage: python scripts/bench_reads.py [--reads 4000] [--at-once 8]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from dsm.store import settings
from dsm.store.database import Database
from dsm.store.schema import companion_schema

WARMUP = 200


async def run(reads: int, at_once: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "reads.sqlite3", companion_schema())
        try:
            await db.write(settings.update_job(1, {"analytics": {"retainDataDays": 40}}, 1.0))
            took: list[float] = []
            gate = asyncio.Semaphore(at_once)

            async def one() -> None:
                async with gate:
                    started = time.perf_counter()
                    await db.read(lambda conn: settings.load(conn, 1))
                    took.append((time.perf_counter() - started) * 1000)

            for _ in range(WARMUP):
                await one()
            took.clear()
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(one() for _ in range(reads)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            await db.close()
    took.sort()
    print(
        f"{reads:,} reads, {at_once} at once: p50 {took[reads // 2]:.3f} ms, p99 {took[int(reads * 0.99)]:.3f} ms,"
        f" {reads / wall:,.0f} reads/s, CPU {cpu / reads * 1e6:.0f} us per read"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reads", type=int, default=4000)
    parser.add_argument("--at-once", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.reads, args.at_once))


if __name__ == "__main__":
    main()
