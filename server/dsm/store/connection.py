"""Opening SQLite connections with the pragmas every part of the server relies on."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 10_000


Deferred = Callable[[sqlite3.Connection, list[Any]], None]


class WriterConnection(sqlite3.Connection):
    """The writer's connection: a job can defer work to the end of the current transaction.

    Work deferred under the same key by several jobs of one transaction runs once, on all their items,
    just before COMMIT: the rollups of eight event batches are written as one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: dict[Hashable, tuple[Deferred, list[Any]]] = {}

    def defer(self, key: Hashable, work: Deferred, items: list[Any]) -> None:
        slot = self.deferred.get(key)
        if slot is None:
            self.deferred[key] = (work, list(items))
        else:
            slot[1].extend(items)

    def run_deferred(self) -> None:
        pending, self.deferred = self.deferred, {}
        for work, items in pending.values():
            work(self, items)


def open_connection(
    path: Path, *, readonly: bool = False, factory: type[sqlite3.Connection] = sqlite3.Connection
) -> sqlite3.Connection:
    """A connection in WAL mode with autocommit off-by-hand (we issue BEGIN/COMMIT ourselves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=factory)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before we acknowledge it; WAL keeps that to one fsync per transaction.
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
