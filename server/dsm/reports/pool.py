"""A bounded pool for report work: at most `workers` computations at once, the others wait their turn in order.

Reports are the companion's heavy reads and renders. Keeping them to a couple of threads leaves the event
loop and the writer (so the acknowledgements of events) the rest of the machine, whatever the number of
report requests. How many run and wait is part of `status` (and `GET /api/status`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

T = TypeVar("T")
Phase = Literal["waiting", "running", "abandoned"]


class ReportPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dsm-report")
        self._lock = threading.Lock()
        self._waiting = 0
        self._running = 0
        self.completed = 0

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in one of the pool's threads, once a worker is free."""
        phase: list[Phase] = ["waiting"]

        def counted() -> T | None:
            with self._lock:
                if phase[0] == "abandoned":  # its caller went away while it waited
                    return None
                phase[0] = "running"
                self._waiting -= 1
                self._running += 1
            try:
                return work()
            finally:
                with self._lock:
                    self._running -= 1
                    self.completed += 1

        with self._lock:
            self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, counted)  # type: ignore[return-value]
        finally:
            with self._lock:
                if phase[0] == "waiting":
                    phase[0] = "abandoned"
                    self._waiting -= 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "workers": self.workers,
                "running": self._running,
                "waiting": self._waiting,
                "completed": self.completed,
            }

    async def close(self) -> None:
        """Drop work that has not started; wait for the running work to end."""
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
