"""Live dashboards: an event observer notes which users got new events, the writer's after-commit hook hands
them to the event loop, and each open dashboard's Server-Sent Events stream sends its re-drawn charts.

The observer runs inside the writer's transaction, before COMMIT; a dashboard that read then could miss the very
events it was told about. So users are only collected there and announced after COMMIT. A transaction that rolls
back may still announce its users: the dashboards then redraw the same figures, which is harmless; an event that
is committed is always announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web

from dsm.store.events import ROW_USER, EventRow

Render = Callable[[], Awaitable[str]]
# A comment line this often on a quiet stream: a browser that went away is noticed at the next write.
KEEPALIVE_S = 15.0
# At most two redraws a second per dashboard: under a steady stream of events (a busy Studio session, an import)
# the charts still move, and drawing them never competes with ingest for more than a sliver of the CPU.
MIN_GAP_S = 0.5


class LiveFeed:
    """Which users have new committed events; dashboards wait on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._waiting: dict[int, set[asyncio.Event]] = {}
        self.closed = asyncio.Event()

    def observe(self, _conn: sqlite3.Connection, rows: list[EventRow], _now: float) -> None:
        """An `EventStore` observer (writer thread, inside the transaction): note whose events these are."""
        with self._lock:
            self._pending.update(row[ROW_USER] for row in rows)

    def committed(self) -> None:
        """The writer's after-commit hook (writer thread): wake the dashboards of the users noted."""
        with self._lock:
            users, self._pending = self._pending, set()
        if users:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is watching any more
                self._loop.call_soon_threadsafe(self._wake, users)

    def _wake(self, users: set[int]) -> None:
        for user in users:
            for event in self._waiting.get(user, ()):
                event.set()

    @contextlib.contextmanager
    def watch(self, user_id: int) -> Iterator[asyncio.Event]:
        """An event set whenever `user_id` gets new committed events, while the block runs."""
        event = asyncio.Event()
        self._waiting.setdefault(user_id, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._waiting.get(user_id, set())
            watchers.discard(event)
            if not watchers:
                self._waiting.pop(user_id, None)

    def watchers(self, user_id: int) -> int:
        return len(self._waiting.get(user_id, ()))

    def close(self) -> None:
        """Server shutdown: every stream ends."""
        self.closed.set()
        for watchers in self._waiting.values():
            for event in watchers:
                event.set()


def sse(name: str, data: str) -> bytes:
    """One Server-Sent Event; every line of `data` is its own `data:` line."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {name}\n{lines}\n".encode()


async def stream(request: web.Request, feed: LiveFeed, user_id: int, render: Render) -> web.StreamResponse:
    """Send `render()` at once and again after every commit of this user's events, until the browser goes."""
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    with feed.watch(user_id) as changed, contextlib.suppress(ConnectionResetError):  # the browser went away
        # Watching starts before the response does: nothing committed after the browser sees it open is missed.
        await response.prepare(request)
        while not feed.closed.is_set():
            changed.clear()
            await response.write(sse("panels", await render()))
            await asyncio.sleep(MIN_GAP_S)  # events of this pause are drawn together by the next push
            while not changed.is_set() and not feed.closed.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), KEEPALIVE_S)
                if not changed.is_set():
                    await response.write(b": still here\n\n")
    return response
