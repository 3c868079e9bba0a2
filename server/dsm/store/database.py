"""The database handle shared by the stores: migrations on open, the writer, and a read connection."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

# Imported for the migrations they register: the rollups (2 and 3), the edits journal (4) and the shares (5).
import dsm.analytics.rollups
import dsm.store.edits
import dsm.store.shares  # noqa: F401
from dsm.clock import Clock, system_clock
from dsm.store.connection import open_connection
from dsm.store.health import open_fault, preflight, write_fault
from dsm.store.migrations import latest_version, migrate
from dsm.store.writer import Writer

T = TypeVar("T")
log = logging.getLogger(__name__)


class Database:
    """Writes go through one batching `Writer`; reads use a separate aiosqlite connection (WAL lets both run)."""

    def __init__(self, path: Path, writer: Writer, reader: aiosqlite.Connection, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self.writer = writer
        self._reader = reader

    @classmethod
    async def open(cls, path: Path, clock: Clock = system_clock) -> Database:
        """Check the file (raises `StoreFault` naming it, the file untouched), migrate it, start the writer."""
        await asyncio.to_thread(_migrate_file, path, clock())
        writer = Writer(path)
        writer.start()
        reader = await aiosqlite.connect(path, isolation_level=None)
        await reader.execute("PRAGMA busy_timeout = 10000")
        return cls(path, writer, reader, clock)

    async def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run `job` in the writer; its result once committed. A full or unwritable disk is a `DsmError`."""
        try:
            return await self.writer.run(job)
        except sqlite3.Error as exc:
            fault = write_fault(self.path, exc)
            if fault is None:
                raise
            log.warning("write refused: %s (%s)", exc, self.path)
            raise fault from None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._reader.execute(sql, tuple(params)) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> tuple[Any, ...] | None:
        async with self._reader.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a synchronous read function on a fresh connection in a worker thread (for heavy reports)."""
        return await asyncio.to_thread(read_file, self.path, job)

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            file = Path(f"{self.path}{suffix}")
            if file.exists():
                total += file.stat().st_size
        return total

    async def close(self) -> None:
        await self.writer.close()
        await self._reader.close()


def open_migrated(path: Path, now: float) -> sqlite3.Connection:
    """A read-write connection to a checked, migrated file; `StoreFault` when the file cannot be used."""
    preflight(path, latest_version())
    try:
        conn = open_connection(path)
    except sqlite3.Error as exc:
        raise open_fault(path, exc) or exc from None
    try:
        migrate(conn, now)
    except sqlite3.Error as exc:
        conn.close()
        raise open_fault(path, exc) or exc from None
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate_file(path: Path, now: float) -> None:
    open_migrated(path, now).close()


def read_file(path: Path, job: Callable[[sqlite3.Connection], T]) -> T:
    """`job(connection)` on a fresh read connection to `path`, in the calling thread (or report process)."""
    conn = open_connection(path, readonly=True)
    try:
        return job(conn)
    finally:
        conn.close()
