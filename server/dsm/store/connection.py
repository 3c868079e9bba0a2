"""Opening SQLite connections with the pragmas every part of the server relies on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000


def open_connection(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode with autocommit off-by-hand (we issue BEGIN/COMMIT ourselves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before we acknowledge it; WAL keeps that to one fsync per transaction.
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
