"""`dsm doctor [--db]`: the full check of a database file, with a progress line; changes nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dsm.config import default_db_path
from dsm.exitcodes import epilog

LINE_WIDTH = 79


def _doctor(args: argparse.Namespace) -> int:
    from dsm.store.doctor import diagnose
    from dsm.store.schema import companion_schema

    live = sys.stderr.isatty()

    def clear() -> None:
        if live:  # plain `\r` and spaces: fine on every console, Windows' included
            sys.stderr.write("\r" + " " * LINE_WIDTH + "\r")
            sys.stderr.flush()

    last_topic = [""]

    def say(topic: str, text: str) -> None:
        clear()
        shown = "" if topic == last_topic[0] else topic  # rows of several stores under one heading
        last_topic[0] = topic
        print(f"{shown:<10}{text}", flush=True)

    def progress(what: str, done: int, total: int) -> None:
        if live and total:
            filled = 20 * done // total
            line = f"checking [{'#' * filled}{'.' * (20 - filled)}] {done}/{total} {what}"
            sys.stderr.write("\r" + line[:LINE_WIDTH].ljust(LINE_WIDTH))
            sys.stderr.flush()

    verdict = diagnose(args.db or default_db_path(), companion_schema(), say, progress)
    clear()
    if verdict.exit_code == 0:
        print(verdict.summary)
    else:
        print(f"dsm doctor: {verdict.summary}", file=sys.stderr)
    return verdict.exit_code


def add_doctor_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "doctor",
        help="check a database file thoroughly (integrity, schema version, rows per store)",
        description="Check a database file without changing it: SQLite header, schema version, quick_check, "
        "integrity_check of every table and its indexes, and the rows each store holds. Safe while dsm serve runs.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", type=Path, default=None, help=f"database file (default: {default_db_path()})")
    p.set_defaults(func=_doctor)
