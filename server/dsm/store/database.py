"""The database handle shared by the stores: migrations on open, the writer, and a read connection."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

# Imported for the migrations they register: the rollups (2 and 3) and the edits journal (4).
import dsm.analytics.rollups
import dsm.store.edits  # noqa: F401
from dsm.clock import Clock, system_clock
from dsm.store.connection import open_connection
from dsm.store.migrations import migrate
from dsm.store.writer import Writer

T = TypeVar("T")


class Database:
    """Writes go through one batching `Writer`; reads use a separate aiosqlite connection (WAL lets both run)."""

    def __init__(self, path: Path, writer: Writer, reader: aiosqlite.Connection, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self.writer = writer
        self._reader = reader

    @classmethod
    async def open(cls, path: Path, clock: Clock = system_clock) -> Database:
        await asyncio.to_thread(_migrate_file, path, clock())
        writer = Writer(path)
        writer.start()
        reader = await aiosqlite.connect(path, isolation_level=None)
        await reader.execute("PRAGMA busy_timeout = 10000")
        return cls(path, writer, reader, clock)

    async def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        return await self.writer.run(job)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._reader.execute(sql, tuple(params)) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> tuple[Any, ...] | None:
        async with self._reader.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a synchronous read function on a fresh connection in a worker thread (for heavy reports)."""
        return await asyncio.to_thread(_read_with, self.path, job)

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


def _migrate_file(path: Path, now: float) -> None:
    conn = open_connection(path)
    try:
        migrate(conn, now)
    finally:
        conn.close()


def _read_with(path: Path, job: Callable[[sqlite3.Connection], T]) -> T:
    conn = open_connection(path, readonly=True)
    try:
        return job(conn)
    finally:
        conn.close()
