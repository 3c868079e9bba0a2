"""Real network for the bed: WebSocket clients and a companion server, on an asyncio loop in a thread.

The Luau side is single-threaded and driven by the bed; this thread only moves bytes and queues
events (`("open"|"message"|"error"|"closed", socket id, a, b)`) for the bed to deliver. The loop's
clock jumps with the bed's virtual clock (`VirtualTimeLoop`), so the companion's timers (aiohttp's
heartbeat, timeouts) see an idle virtual hour pass as an hour.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .clock import BedClock

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock can jump ahead, so timers scheduled on it (aiohttp's WebSocket heartbeat,
    timeouts) fire after virtual time, not real time. Real time still passes as usual in between."""

    MAX_STEPS = 100_000  # timers run on one jump: more means a timer keeps rescheduling itself at once

    def __init__(self) -> None:
        super().__init__()
        self._skew = 0.0

    def time(self) -> float:
        return super().time() + self._skew

    async def advance(self, seconds: float) -> None:
        """Move the clock `seconds` ahead, stopping at every timer due on the way and letting it run, so
        timers that timers schedule (a heartbeat's ping, then the wait for its pong) run in order too."""
        end = self._skew + max(seconds, 0.0)
        for _ in range(self.MAX_STEPS):
            # `_scheduled` is asyncio's heap of pending TimerHandles (private, but the only view of them).
            pending = [h.when() for h in self._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
            due = min(pending, default=None)
            if due is None or due - self.time() > end - self._skew:
                break
            self._skew += max(due - self.time(), 0.0)
            for _ in range(3):  # the timer runs, then what it scheduled with call_soon
                await asyncio.sleep(0)
        else:
            raise RuntimeError("VirtualTimeLoop.advance: timers keep rescheduling themselves at the same instant")
        self._skew = max(self._skew, end)


@dataclass
class SocketLog:
    url: str
    state: str = "connecting"
    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    outstanding: set[str] = field(default_factory=set)  # request ids sent and not yet answered
    ignored_pings: int = 0  # WebSocket pings from the server left unanswered (the client never answers them)


class NetThread:
    """An event loop in a daemon thread plus the WebSocket clients the plugin opened."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, int, Any, Any]] = queue.Queue()
        self.sockets: dict[int, SocketLog] = {}
        self._ws: dict[int, aiohttp.ClientWebSocketResponse] = {}
        self._tasks: dict[int, asyncio.Future[None]] = {}
        self._close_requested: set[int] = set()
        self._loop = VirtualTimeLoop()
        self._session: aiohttp.ClientSession | None = None
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self._loop.run_forever, name="studio-bed-net", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- WebSocket clients (called from the bed's thread)
    def create(self, sid: int, url: str) -> None:
        """A client exists but is not connecting yet (Studio may be waiting for the user's HTTP permission)."""
        self.sockets[sid] = SocketLog(url, state="waiting")

    def open(self, sid: int, answer_pings: bool = False) -> None:
        """Start the real connection of a created client."""
        log_ = self.sockets[sid]
        log_.state = "connecting"
        self._tasks[sid] = asyncio.run_coroutine_threadsafe(self._client(sid, log_.url, answer_pings), self._loop)

    def abandon(self, sid: int) -> None:
        """A client closed before it ever connected."""
        self.sockets[sid].state = "closed"

    def jump(self, seconds: float) -> None:
        """Virtual time moved on: the companion's and the clients' timers see it pass (and run) too."""
        if seconds > 0:
            self.run(self._loop.advance(seconds))

    def send(self, sid: int, text: str) -> None:
        log_ = self.sockets[sid]
        log_.sent.append(text)
        request_id = _request_id(text)
        if request_id is not None:
            log_.outstanding.add(request_id)
        asyncio.run_coroutine_threadsafe(self._send(sid, text), self._loop)

    def close(self, sid: int) -> None:
        asyncio.run_coroutine_threadsafe(self._close(sid), self._loop)

    def busy(self) -> bool:
        """True while a socket is connecting or a request on an open socket awaits its reply."""
        return any(s.state == "connecting" or (s.state == "open" and s.outstanding) for s in self.sockets.values())

    def any_open(self) -> bool:
        return any(s.state in ("connecting", "open") for s in self.sockets.values())

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # No total timeout: a WebSocket lives for as long as the plugin keeps it, however far the clock jumps.
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        return self._session

    async def _client(self, sid: int, url: str, answer_pings: bool) -> None:
        log_ = self.sockets[sid]
        try:
            session = await self._get_session()
            # autoping=False: pings reach the loop below and are never answered (Studio may not answer them).
            ws = await session.ws_connect(
                url, autoping=answer_pings, timeout=aiohttp.ClientWSTimeout(ws_close=CONNECT_TIMEOUT)
            )
        except Exception as exc:  # every failure becomes Error + Closed, as Studio reports it
            status = getattr(exc, "status", 0) or 0
            log_.state = "error"
            self.events.put(("error", sid, status, f"{type(exc).__name__}: {exc}"))
            self.events.put(("closed", sid, None, None))
            log_.state = "closed"
            return
        if sid in self._close_requested:  # closed by the plugin while it was connecting
            await ws.close()
            log_.state = "closed"
            self.events.put(("closed", sid, None, None))
            return
        self._ws[sid] = ws
        log_.state = "open"
        self.events.put(("open", sid, 101, ""))
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    log_.received.append(msg.data)
                    reply_to = _reply_to(msg.data)
                    if reply_to is not None:
                        log_.outstanding.discard(reply_to)
                    self.events.put(("message", sid, msg.data, None))
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    continue  # Studio's WebStreamClient only handles text frames
                elif msg.type == aiohttp.WSMsgType.PING:
                    log_.ignored_pings += 1
                elif msg.type == aiohttp.WSMsgType.PONG:
                    continue
                else:
                    break
        finally:
            log_.state = "closed"
            self._ws.pop(sid, None)
            self.events.put(("closed", sid, None, None))

    async def _send(self, sid: int, text: str) -> None:
        ws = self._ws.get(sid)
        if ws is not None and not ws.closed:
            await ws.send_str(text)

    async def _close(self, sid: int) -> None:
        ws = self._ws.get(sid)
        if ws is not None:
            await ws.close()
        else:
            self._close_requested.add(sid)

    # --- companion server
    async def _start_companion(self, db_path: Path, clock: Callable[[], float], port: int = 0) -> int:
        from dsm.app import PORT, make_app
        from dsm.config import ServerConfig

        config = ServerConfig(db_path=db_path, host="127.0.0.1", port=port, schedule_interval=0, clock=clock)
        app = make_app(config)
        port = await self._serve(app, port)
        app[PORT][0] = port
        return port

    async def _serve(self, app: web.Application, port: int = 0) -> int:
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self._runners.append(runner)
        return next(a[1] for a in runner.addresses if isinstance(a, tuple))

    def serve(self, app: web.Application) -> int:
        """Serve any aiohttp app on this thread's loop (its timers follow the bed's clock); returns its port."""
        return self.run(self._serve(app))

    def start_companion(self, db_path: Path, clock: Callable[[], float], port: int = 0) -> int:
        """Start a real `dsm` server whose time is `clock` (on a free port unless one is given); returns the port."""
        return self.run(self._start_companion(db_path, clock, port))

    async def _stop_companions(self) -> None:
        while self._runners:
            await self._runners.pop().cleanup()

    def stop_companions(self) -> None:
        """Stop the servers this thread started (gracefully, as Ctrl+C would)."""
        self.run(self._stop_companions(), timeout=30)

    async def _shutdown(self) -> None:
        for ws in list(self._ws.values()):
            await ws.close()
        if self._session is not None:
            await self._session.close()
        for runner in self._runners:
            await runner.cleanup()

    def stop(self) -> None:
        try:
            self.run(self._shutdown(), timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()


# A frame that is not JSON (e.g. Studio's JSONEncode wrote `nan`) still gets a reply from the companion, with
# `"re": null` since it could not read the id: the bed waits for that reply as for any other.
UNREADABLE = "<unreadable frame>"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # as the companion's parser (orjson) refuses NaN and Infinity


def _request_id(text: str) -> str | None:
    try:
        frame = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        return UNREADABLE
    rid = frame.get("id") if isinstance(frame, dict) else None
    return rid if isinstance(rid, str) else None


def _reply_to(text: str) -> str | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if not isinstance(frame, dict):
        return None
    re_ = frame.get("re")
    if re_ is None and "re" in frame:
        return UNREADABLE
    return re_ if isinstance(re_, str) else None


class Companion:
    """A real `dsm` companion server on a free port, served from its own network thread."""

    def __init__(self, db_path: Path, clock: BedClock | None = None) -> None:
        self.db_path = db_path
        # Hand the same clock to the StudioBeds that talk to it (`StudioBed(..., clock=companion.clock)`).
        self.clock = clock if clock is not None else BedClock()
        self.net = NetThread()
        try:
            self.port = self.net.start_companion(db_path, self.clock)
        except BaseException:
            self.net.stop()
            raise

    def stop(self) -> None:
        """Stop the server, keeping the thread so it can be started again on the same port."""
        self.net.stop_companions()

    def restart(self) -> None:
        self.net.start_companion(self.db_path, self.clock, self.port)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def close(self) -> None:
        self.net.stop()

    def __enter__(self) -> Companion:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
