"""The read path: a few read-only connections, reused, each used by one worker thread at a time.

As Datasette's `Database.execute_fn`: a read is a function of a connection, run in a thread off the event loop,
on a connection opened once. WAL lets these readers run while the writer commits; `query_only` makes sure a read
can never write. A read that leaves a transaction open (an export reads in one) is rolled back before the
connection is handed to the next read.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from dsm.store.connection import open_connection

T = TypeVar("T")
DEFAULT_READERS = 4  # reads are short indexed queries; reports, the heavy reads, run in the report pool


def open_reader(path: Path) -> sqlite3.Connection:
    conn = open_connection(path, readonly=True)
    conn.execute("PRAGMA query_only = ON")
    return conn


class ReadPool:
    def __init__(self, path: Path, size: int = DEFAULT_READERS) -> None:
        self.path = path
        self.size = size
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="dsm-read")
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []
        self.reads = 0

    @property
    def connections_opened(self) -> int:
        return len(self._opened)

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """`job(connection)` in a read thread, on a reused read-only connection."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, job)

    def _run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._take()
        try:
            return job(conn)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            with self._lock:
                self.reads += 1
            self._idle.put(conn)

    def _take(self) -> sqlite3.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        # At most `size` threads run reads, and each returns its connection before taking one: at most `size` open.
        conn = open_reader(self.path)
        with self._lock:
            self._opened.append(conn)
        return conn

    async def close(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        for conn in self._opened:
            conn.close()
        self._opened.clear()
