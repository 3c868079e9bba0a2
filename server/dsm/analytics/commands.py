"""`dsm rollups rebuild [--db]`: recompute every rollup from the raw events, with a progress line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dsm.config import default_db_path


def _rebuild(args: argparse.Namespace) -> int:
    from dsm.analytics import rollups
    from dsm.clock import system_clock
    from dsm.store.connection import open_connection
    from dsm.store.migrations import migrate

    path = args.db or default_db_path()
    started = time.monotonic()
    conn = open_connection(path)
    try:
        migrate(conn, system_clock())  # a new file or an older schema gets its tables first

        def progress(done: int, total: int) -> None:
            print(f"\rrebuilding rollups: {done:,}/{total:,} events", end="", file=sys.stderr, flush=True)

        conn.execute("BEGIN IMMEDIATE")
        try:
            read = rollups.rebuild(conn, system_clock(), progress)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    print(file=sys.stderr)
    print(f"rebuilt rollups from {read:,} events in {time.monotonic() - started:.1f}s ({path})")
    return 0


def add_rollups_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rollups", help="maintain the hourly/daily rollups the reports read")
    inner = p.add_subparsers(dest="rollups_command", required=True, metavar="ACTION")
    rebuild = inner.add_parser("rebuild", help="recompute every rollup from the raw events")
    rebuild.add_argument("--db", type=Path, default=None, help=f"SQLite database file (default: {default_db_path()})")
    rebuild.set_defaults(func=_rebuild)
