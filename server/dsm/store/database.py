"""The database handle shared by the stores: the schema it was opened with, the writer, and the read path."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from dsm.clock import Clock, system_clock
from dsm.store.connection import open_connection
from dsm.store.health import open_fault, preflight, write_fault
from dsm.store.migrations import migrate
from dsm.store.readers import DEFAULT_READERS, ReadPool
from dsm.store.schema import Schema
from dsm.store.tables import TableSpec
from dsm.store.writer import Writer

T = TypeVar("T")
log = logging.getLogger(__name__)


class Database:
    """One door for writes (`write`: the batching `Writer`) and one for reads (`read` / `execute`: reused read-only
    connections in a few threads); WAL lets both run at once."""

    def __init__(self, path: Path, schema: Schema, writer: Writer, readers: ReadPool, clock: Clock) -> None:
        self.path = path
        self.schema = schema
        self.clock = clock
        self.writer = writer
        self.readers = readers
        self.created_folder: Path | None = None  # the folder `open` had to create for a new database, if any

    @classmethod
    async def open(
        cls, path: Path, schema: Schema, clock: Clock = system_clock, readers: int = DEFAULT_READERS
    ) -> Database:
        """Check the file (raises `StoreFault` naming it, the file untouched), migrate it, start the writer."""
        created = await asyncio.to_thread(_migrate_file, path, schema, clock())
        writer = Writer(path)
        writer.start()
        db = cls(path, schema, writer, ReadPool(path, readers), clock)
        db.created_folder = created
        return db

    @property
    def tables(self) -> tuple[TableSpec, ...]:
        return self.schema.tables

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

    async def read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a synchronous read function on a reused read-only connection, off the event loop."""
        return await self.readers.run(job)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement on the read path; its rows."""
        values = tuple(params)
        return await self.readers.run(lambda conn: [tuple(row) for row in conn.execute(sql, values)])

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            file = Path(f"{self.path}{suffix}")
            if file.exists():
                total += file.stat().st_size
        return total

    async def close(self) -> None:
        await self.writer.close()
        await self.readers.close()


def open_migrated(path: Path, schema: Schema, now: float) -> tuple[sqlite3.Connection, Path | None]:
    """A read-write connection to a checked, migrated file, and the folder created for it (a new database in a
    folder that did not exist); `StoreFault` when the file cannot be used."""
    created = preflight(path, schema.latest_version())
    try:
        conn = open_connection(path)
    except sqlite3.Error as exc:
        raise open_fault(path, exc) or exc from None
    try:
        migrate(conn, now, schema.migrations)
    except sqlite3.Error as exc:
        conn.close()
        raise open_fault(path, exc) or exc from None
    except BaseException:
        conn.close()
        raise
    return conn, created


def _migrate_file(path: Path, schema: Schema, now: float) -> Path | None:
    conn, created = open_migrated(path, schema, now)
    conn.close()
    return created


def read_file(path: Path, job: Callable[[sqlite3.Connection], T]) -> T:
    """`job(connection)` on a fresh read connection to `path`, in the calling thread (or report process)."""
    conn = open_connection(path, readonly=True)
    try:
        return job(conn)
    finally:
        conn.close()
