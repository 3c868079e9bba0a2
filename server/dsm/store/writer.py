"""The single SQLite writer: a thread that runs queued jobs, many requests' jobs per transaction.

Each job runs inside its own SAVEPOINT, so a job that fails is rolled back alone and the others in
the same transaction still commit. Work the jobs defer (rollups) runs once for all of them before COMMIT;
if that fails, the transaction is rolled back and run again with each job's deferred work inside the
job's own savepoint, so only the job whose work fails is refused. A job's future resolves only after
COMMIT returned, which is what lets the link acknowledge events only once they are on disk.

A job may therefore run twice: it must act only through the connection it is given.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from dsm.store.connection import WriterConnection, open_connection

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

MAX_JOBS_PER_TRANSACTION = 512


@dataclass
class _Pending:
    job: Job
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


_STOP = object()


class Writer:
    """Owns the only read-write connection. `await writer.run(job)` returns the job's result after commit."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="dsm-sqlite-writer", daemon=True)
        self._closed = False
        self.transactions = 0
        self.jobs = 0
        # Called in the writer thread after each COMMIT: whoever must know that data is on disk (the live
        # dashboard) learns it here, never before readers can see it.
        self.after_commit: list[Callable[[], None]] = []

    def start(self) -> None:
        self._thread.start()

    @property
    def queued(self) -> int:
        """Jobs waiting for a transaction (approximate while the writer runs)."""
        return self._queue.qsize()

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("writer is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(job, future, loop))
        return await future

    async def close(self) -> None:
        """Commit everything already queued, then close the connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    def _loop(self) -> None:
        conn = open_connection(self._path, factory=WriterConnection)
        assert isinstance(conn, WriterConnection)
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is _STOP:
                    break
                batch = [first]
                while len(batch) < MAX_JOBS_PER_TRANSACTION:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    batch.append(item)
                self._transaction(conn, batch)  # type: ignore[arg-type]
        finally:
            conn.close()

    def _transaction(self, conn: WriterConnection, batch: list[_Pending]) -> None:
        outcomes: list[tuple[_Pending, bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for pending in batch:
                outcomes.append(self._run_job(conn, pending))
            # Jobs that arrived while these ran join the same transaction (and its one fsync).
            for pending in self._late_arrivals(MAX_JOBS_PER_TRANSACTION - len(batch)):
                batch.append(pending)
                outcomes.append(self._run_job(conn, pending))
            try:
                conn.run_deferred()
            except Exception as exc:
                if not conn.in_transaction:
                    raise  # SQLite rolled the whole transaction back (it may, on a full disk): all of it failed so
                outcomes = self._rerun_alone(conn, outcomes, exc)
            conn.execute("COMMIT")
            self._committed()
        except Exception as exc:  # the transaction itself failed: nothing in it is on disk
            if getattr(exc, "sqlite_errorname", "").startswith("SQLITE_FULL"):
                log.warning("transaction of %d jobs refused: the disk is full (%s)", len(batch), self._path)
            else:
                log.exception("transaction of %d jobs failed", len(batch))
            conn.deferred.clear()
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(pending, False, exc) for pending in batch]
        self.transactions += 1
        self.jobs += len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, bool, Any]]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].loop, []).append(outcome)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, items)
            except RuntimeError:  # that event loop is already closed; nobody waits for these
                pass

    def _committed(self) -> None:
        for listener in self.after_commit:
            try:
                listener()
            except Exception:  # a listener's fault must not undo what is committed
                log.exception("after-commit listener failed")

    def _late_arrivals(self, room: int) -> Iterator[_Pending]:
        while room > 0:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is _STOP:
                self._queue.put(_STOP)  # seen again by the loop once this transaction is done
                return
            room -= 1
            yield item  # type: ignore[misc]

    def _rerun_alone(
        self, conn: WriterConnection, outcomes: list[tuple[_Pending, bool, Any]], failure: Exception
    ) -> list[tuple[_Pending, bool, Any]]:
        """The shared deferred work failed: start the transaction again, each job's deferred work in its own
        savepoint, so the job it belongs to fails alone. Jobs that failed the first time changed nothing and keep
        their answer."""
        log.warning("deferred work of %d jobs failed (%r); running them one by one", len(outcomes), failure)
        conn.execute("ROLLBACK")
        conn.deferred.clear()
        conn.execute("BEGIN IMMEDIATE")
        return [
            self._run_job(conn, pending, alone=True) if ok else (pending, ok, value) for pending, ok, value in outcomes
        ]

    @staticmethod
    def _run_job(conn: WriterConnection, pending: _Pending, *, alone: bool = False) -> tuple[_Pending, bool, Any]:
        """Run one job in its savepoint; `alone` runs the work it defers there too, instead of with the others'."""
        conn.execute("SAVEPOINT job")
        deferred_before = {key: len(items) for key, (_work, items) in conn.deferred.items()}
        try:
            result = pending.job(conn)
            if alone:
                conn.run_deferred()
        except Exception as exc:
            if not conn.in_transaction:
                # SQLite rolled the whole transaction back (it may, on a full disk): every job in it failed so.
                raise
            # Work the failed job deferred is rolled back with it.
            for key in list(conn.deferred):
                if key not in deferred_before:
                    del conn.deferred[key]
                else:
                    del conn.deferred[key][1][deferred_before[key] :]
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return pending, False, exc
        conn.execute("RELEASE job")
        return pending, True, result


def _settle(items: list[tuple[_Pending, bool, Any]]) -> None:
    for pending, ok, value in items:
        if pending.future.done():
            continue
        if ok:
            pending.future.set_result(value)
        else:
            pending.future.set_exception(value)
