"""A bounded pool for report work: at most `workers` computations at once, in their own processes; the other
requests wait their turn in order, and `status` shows how many run and wait.

Reports are the companion's heavy reads and renders. In threads they would share the interpreter lock with
the event loop and the writer, and every acknowledgement would wait behind report code; in processes they
share only the CPU. Work is a module-level function and picklable arguments (a `functools.partial` of one
is fine). Workers start on first use, by `spawn` on every platform (no fork of a process with threads), and
ignore Ctrl+C: the console sends it to them too, and the server, not they, decides when to stop.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from dsm.store.database import read_file

T = TypeVar("T")
WORKER_NICENESS = 10


def _worker_start() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lower_priority()
    threading.Thread(target=_exit_with_the_server, name="dsm-report-watch", daemon=True).start()


def _exit_with_the_server() -> None:
    """A worker outlives a server killed outright (its queue's pipe stays open in the worker): leave with it."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)


def _lower_priority() -> None:
    """Below the server's own process: when the CPU is short, acknowledgements go first, reports wait."""
    if sys.platform == "win32":
        import ctypes

        below_normal = 0x4000  # BELOW_NORMAL_PRIORITY_CLASS
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
    else:
        os.nice(WORKER_NICENESS)


class ReportPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start
        )
        self._lock = threading.Lock()
        self._pending = 0  # submitted, not finished: the first `workers` run, the others wait in order
        self.completed = 0

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in a worker process, once one is free."""
        with self._lock:
            self._pending += 1
        future = self._executor.submit(work, *args)
        future.add_done_callback(self._finished)
        return await asyncio.wrap_future(future)

    async def read(self, path: Path, job: Callable[[sqlite3.Connection], T]) -> T:
        """`job(connection)` on a read-only connection to the database at `path`, in a worker process."""
        return await self.run(read_file, path, job)

    def _finished(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending -= 1
            self.completed += not future.cancelled()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            pending = self._pending
            return {
                "workers": self.workers,
                "running": min(pending, self.workers),
                "waiting": max(0, pending - self.workers),
                "completed": self.completed,
            }

    async def close(self) -> None:
        """Drop work that has not started; wait for the running work to end."""
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
