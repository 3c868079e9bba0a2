"""The full check behind `dsm doctor`: header, schema version, SQLite's integrity check, rows per store.

Read-only like the start-up check (`dsm.store.health`), but thorough: `quick_check` for the file's
structure, then `integrity_check` table by table (indexes agree with their rows), so a long check can
show which table it is on. Safe to run while `dsm serve` uses the file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dsm.exitcodes import Exit
from dsm.store.counts import counted_by_store
from dsm.store.health import (
    MOVE_AWAY,
    StoreFault,
    check_header,
    findings,
    newer_message,
    open_read_only,
    schema_version,
    summary,
)
from dsm.store.schema import Schema

Say = Callable[[str, str], None]  # (topic, text): one finding, printed as it comes
Progress = Callable[[str, int, int], None]  # (what, done, total)
MAX_PROBLEMS = 20
# `PRAGMA integrity_check(TABLE)` checks one table and its indexes; older SQLite only checks the whole file.
PER_TABLE_CHECK = sqlite3.sqlite_version_info >= (3, 33, 0)


@dataclass(frozen=True)
class Verdict:
    exit_code: Exit
    summary: str


def diagnose(path: Path, schema: Schema, say: Say, progress: Progress) -> Verdict:
    """Check `path` without changing it, reporting each finding through `say`."""
    if not path.is_file():
        return Verdict(Exit.NOT_FOUND, f"no database at {path}: check --db (the companion creates it on first start)")
    wal = Path(f"{path}-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    say("database", f"{path} ({_size(path.stat().st_size)}, write-ahead log {_size(wal_bytes)})")
    try:
        check_header(path)
        with open_read_only(path) as conn:
            return _diagnose_open(conn, path, schema, say, progress)
    except StoreFault as fault:
        return Verdict(fault.exit_code, str(fault))


def _diagnose_open(conn: sqlite3.Connection, path: Path, schema: Schema, say: Say, progress: Progress) -> Verdict:
    latest_version = schema.latest_version()
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    say("header", f"ok: SQLite {sqlite3.sqlite_version}, page size {page_size:,}, {pages:,} pages")
    version = schema_version(conn)
    if version is None:
        return Verdict(Exit.DAMAGED, f"{path} is another program's SQLite database (no schema_migrations)")
    if version > latest_version:
        say("schema", f"version {version}, newer than this companion's {latest_version}")
    else:
        state = "up to date" if version == latest_version else "older: the companion migrates it when it starts"
        say("schema", f"version {version} of {latest_version}: {state}")

    started = time.perf_counter()
    problems = findings(conn.execute(f"PRAGMA quick_check({MAX_PROBLEMS})").fetchall())
    say("structure", _outcome(problems, f"quick_check, {time.perf_counter() - started:.1f} s"))
    started = time.perf_counter()
    table_problems = _integrity(conn, progress)
    say("tables", _outcome(table_problems, f"integrity_check, {time.perf_counter() - started:.1f} s"))
    problems = [p for p in problems + table_problems if p != "ok"]
    if not problems:
        _row_counts(conn, schema, say, progress)
    if problems:
        return Verdict(Exit.DAMAGED, f"damaged: {len(problems)} problem(s) found in {path}; {MOVE_AWAY}")
    if version > latest_version:
        return Verdict(Exit.NEWER, newer_message(path, version, latest_version))
    return Verdict(Exit.OK, "healthy: the companion can use this file")


def _integrity(conn: sqlite3.Connection, progress: Progress) -> list[str]:
    if not PER_TABLE_CHECK:
        return findings(conn.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})").fetchall())
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    found: list[str] = []
    for done, table in enumerate(tables):
        progress(table, done, len(tables))
        quoted = table.replace('"', '""')
        try:
            rows = conn.execute(f'PRAGMA integrity_check("{quoted}")').fetchall()
        except sqlite3.DatabaseError as exc:  # a table too damaged to walk: say so and check the others
            found.append(f"table {table}: {exc}")
            continue
        found += [p for p in findings(rows) if p != "ok"]
    progress("", len(tables), len(tables))
    return found or ["ok"]


def _row_counts(conn: sqlite3.Connection, schema: Schema, say: Say, progress: Progress) -> None:
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    stores = counted_by_store(schema.tables)
    total = sum(len(specs) for specs in stores.values())
    done = 0
    for store, specs in stores.items():
        counts = []
        for spec in specs:
            progress(spec.name, done, total)
            done += 1
            if spec.name in existing:
                count = conn.execute(f"SELECT COUNT(*) FROM {spec.name}").fetchone()[0]
                counts.append(f"{spec.name} {count:,}")
        say("rows", f"{store}: {', '.join(counts) or 'no tables yet'}")
    progress("", total, total)


def _outcome(problems: list[str], how: str) -> str:
    if problems == ["ok"]:
        return f"ok ({how})"
    return f"{len(problems)} problem(s) ({how}): {summary(problems, 5)}"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    value, unit = count / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
