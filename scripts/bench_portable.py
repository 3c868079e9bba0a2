"""Benchmark (prints figures, asserts nothing): whole-data export/import of N events.

Run: `.venv/bin/python tests/reports_io/bench_portable.py [events]` (default 100000).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reports_io"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rio_support import DAY0, append_events, wire_events

from dsm.reports.cli import event_store
from dsm.store import portable
from dsm.store.database import Database
from dsm.store.schema import companion_schema


async def bench(tmp: Path, total: int) -> None:
    source = await Database.open(tmp / "source.sqlite3", companion_schema())
    target = await Database.open(tmp / "target.sqlite3", companion_schema())
    try:
        for start in range(0, total, 10_000):
            count = min(10_000, total - start)
            await append_events(source, 1, wire_events(DAY0 + start * 300, count, session=f"S{start}"))
        timings: dict[str, float] = {}

        def timed(name: str, started: float) -> None:
            timings[name] = time.perf_counter() - started

        started = time.perf_counter()
        doc = await source.read(lambda c: portable.export_user(c, 1, time.time(), tables=source.tables))
        timed("export (read)", started)
        started = time.perf_counter()
        size = portable.write_file(doc, tmp / "backup.dsm.json.gz")
        timed("write gzip", started)
        started = time.perf_counter()
        doc = portable.read_file(tmp / "backup.dsm.json.gz")
        timed("read gzip", started)
        started = time.perf_counter()
        parsed = portable.parse_document(doc, 2, target.tables)
        timed("validate", started)
        started = time.perf_counter()
        first = await target.write(portable.import_job(2, parsed, event_store(target)))
        timed("import", started)
        started = time.perf_counter()
        again = await target.write(portable.import_job(2, parsed, event_store(target)))
        timed("re-import", started)
    finally:
        await source.close()
        await target.close()
    print(f"{total} events, file {size / 1e6:.2f} MB gzip'd")
    for name, seconds in timings.items():
        print(f"  {name:<14} {seconds:6.2f} s  ({total / seconds:,.0f} events/s)")
    print(f"  imported {first['imported']['events']} new, re-import {again['imported']['events']} new")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("events", nargs="?", type=int, default=100_000, help="events to export and import")
    events = parser.parse_args().events
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(Path(tmp), events))
