"""`dsm rollups rebuild [--db]`: recompute every rollup from the raw events, with a progress line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dsm.config import default_db_path
from dsm.exitcodes import Exit


def _rebuild(args: argparse.Namespace) -> int:
    from dsm.analytics import rollups
    from dsm.clock import system_clock
    from dsm.store.database import open_migrated
    from dsm.store.schema import companion_schema

    path = args.db or default_db_path()
    started = time.monotonic()
    conn, _created = open_migrated(path, companion_schema(), system_clock())  # checked; a new file gets its tables
    try:

        def progress(done: int, total: int) -> None:
            print(f"\rrebuilding rollups: {done:,}/{total:,} events", end="", file=sys.stderr, flush=True)

        conn.execute("BEGIN IMMEDIATE")
        try:
            read = rollups.rebuild(conn, system_clock(), progress)
            conn.execute("COMMIT")
        except KeyboardInterrupt:
            conn.execute("ROLLBACK")
            print(file=sys.stderr)
            print("dsm rollups: interrupted: the rollups are unchanged (rolled back)", file=sys.stderr)
            return Exit.INTERRUPTED
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
