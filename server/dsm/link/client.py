"""A small async client for the link, used by the benchmark, the tests and scripts.

It speaks the wire contract: `hello` first, requests matched to replies by id, JSON text frames or
msgpack binary frames.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp

from dsm import PROTOCOL_VERSION
from dsm.link.codecs import decode, encode


class LinkError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code: str = error.get("code", "")
        self.error = error


class LinkClient:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession, binary: bool) -> None:
        self.ws = ws
        self._session = session
        self.binary = binary
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.pushes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.unmatched: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, *, binary: bool = False, headers: dict[str, str] | None = None) -> LinkClient:
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(url, headers=headers, max_msg_size=64 * 1024 * 1024)
        except BaseException:
            await session.close()
            raise
        return cls(ws, session, binary)

    async def hello(
        self,
        user_id: int,
        *,
        token: str | None = None,
        session_id: str = "S1",
        protocol: int = PROTOCOL_VERSION,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "protocol": protocol,
            "plugin": {"version": "test"},
            "user": {"id": user_id},
            "studio": {"placeId": 0, "gameId": 0, "sessionId": session_id},
        }
        if token is not None:
            body["token"] = token
        return await self.call("hello", body)

    async def send(self, op: str, body: Any = None, request_id: str | None = None) -> str:
        """Send a request without waiting; returns its id."""
        rid = request_id or str(next(self._ids))
        message: dict[str, Any] = {"id": rid, "op": op}
        if body is not None:
            message["body"] = body
        await self.send_raw(encode(message, self.binary))
        return rid

    async def send_raw(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            await self.ws.send_bytes(frame)
        else:
            await self.ws.send_str(frame)

    async def send_frame(self, frame: bytes, *, binary: bool) -> None:
        """Send bytes as they are, in a text or binary frame (a text frame's bytes need not be UTF-8)."""
        await self.ws.send_frame(frame, aiohttp.WSMsgType.BINARY if binary else aiohttp.WSMsgType.TEXT)

    def expect(self, request_id: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        return future

    async def request(self, op: str, body: Any = None, timeout: float = 30.0) -> dict[str, Any]:
        """The whole reply envelope."""
        rid = str(next(self._ids))
        future = self.expect(rid)
        try:
            await self.send(op, body, rid)
        except BaseException:
            self._waiting.pop(rid, None)  # never sent: nobody will wait for its reply
            future.cancel()
            raise
        return await asyncio.wait_for(future, timeout)

    async def call(self, op: str, body: Any = None, timeout: float = 30.0) -> dict[str, Any]:
        """The reply body, or LinkError with the error's code."""
        reply = await self.request(op, body, timeout)
        if not reply.get("ok"):
            raise LinkError(reply.get("error") or {})
        return reply.get("body") or {}

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                break
            message = decode(msg.data, msg.type == aiohttp.WSMsgType.BINARY)
            if "push" in message:
                await self.pushes.put(message)
                continue
            future = self._waiting.pop(message.get("re"), None) if message.get("re") is not None else None
            if future is not None and not future.done():
                future.set_result(message)
            else:
                await self.unmatched.put(message)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("connection closed"))

    async def wait_closed(self) -> None:
        """Return once the connection has closed (the server closed it, or `close` was called)."""
        await asyncio.shield(self._reader)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await self._session.close()
