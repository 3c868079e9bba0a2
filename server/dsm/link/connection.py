"""One plugin connection: decodes frames, enforces `hello` first and `maxInFlight`, runs ops, replies.

Requests after `hello` run concurrently (up to `maxInFlight`), so replies may come back out of order;
the client matches them by `re`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from dsm import PROTOCOL_VERSION
from dsm.catalog import catalog
from dsm.clock import time_ordered_id
from dsm.errors import DsmError
from dsm.link.codecs import decode, encode
from dsm.link.context import OpContext
from dsm.link.handshake import parse_hello
from dsm.link.ops import OPS
from dsm.services import Services
from dsm.store import settings as settings_store
from dsm.store.analytics import touch_session_job
from dsm.validate import as_object

log = logging.getLogger(__name__)

MAX_ID_LENGTH = 64
DRAIN_TIMEOUT_S = 5.0
# A client that keeps sending after this many rate_limited replies in a row is flooding: close it.
FLOOD_REFUSALS = 64


class Connection:
    def __init__(self, ws: web.WebSocketResponse, services: Services) -> None:
        self.ws = ws
        self.services = services
        self.user_id: int | None = None
        self.session_id = time_ordered_id("ses", services.clock())
        self._studio_session: str | None = None
        self._binary_pushes = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._refused_in_a_row = 0
        # Pushes not yet on the socket, newest body per name: a client that reads slowly gets the latest state
        # once it catches up, and never makes the connection that caused the push wait for it.
        self._pushes: dict[str, dict[str, Any]] = {}
        self._pusher: asyncio.Task[None] | None = None

    async def serve(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                await self._on_frame(msg.data, binary=False)
            elif msg.type == WSMsgType.BINARY:
                await self._on_frame(msg.data, binary=True)
            elif msg.type == WSMsgType.ERROR:
                log.info("connection %s ended: %s", self.session_id, msg.data)
                break

    async def drain(self, timeout: float = DRAIN_TIMEOUT_S) -> None:
        """Let requests already running finish (their data commits and their replies go out)."""
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=timeout)

    async def close(self, code: int, reason: str) -> None:
        await self.drain()
        await self.ws.close(code=code, message=reason.encode())

    async def push(self, name: str, body: dict[str, Any]) -> None:
        """Queue a push and return at once (replacing an unsent push of the same name)."""
        self._pushes.pop(name, None)
        self._pushes[name] = body
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._send_pushes())

    async def _send_pushes(self) -> None:
        while self._pushes:
            name = next(iter(self._pushes))
            await self._send({"push": name, "body": self._pushes.pop(name)}, self._binary_pushes)

    async def _on_frame(self, frame: str | bytes, binary: bool) -> None:
        try:
            message = decode(frame, binary)
        except DsmError as err:
            await self._send_error(None, err, binary)
            return
        if not isinstance(message, dict):
            await self._send_error(None, DsmError("bad_frame", "a request must be an object"), binary)
            return
        request_id = message.get("id")
        if request_id is not None and (not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_ID_LENGTH):
            await self._send_error(None, DsmError("bad_frame", "id: expected a string of 1..64 characters"), binary)
            return
        op = message.get("op")
        if not isinstance(op, str):
            await self._send_error(request_id, DsmError("bad_frame", "op: expected a string"), binary)
            return
        if op == "hello":
            await self._run(request_id, binary, self._hello(message.get("body"), binary))
        elif self.user_id is None:
            await self._send_error(request_id, DsmError("hello_required", "the first request must be hello"), binary)
        else:
            await self._dispatch(request_id, op, message.get("body"), binary)

    async def _dispatch(self, request_id: str | None, op: str, body: Any, binary: bool) -> None:
        limit = self.services.config.limits.max_in_flight
        if len(self._in_flight) >= limit:
            self._refused_in_a_row += 1
            if self._refused_in_a_row > max(FLOOD_REFUSALS, 4 * limit):
                await self.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"flood past maxInFlight")
                return
            await self._send_error(
                request_id,
                DsmError("rate_limited", f"more than maxInFlight={limit} requests unanswered"),
                binary,
            )
            return
        self._refused_in_a_row = 0
        task = asyncio.create_task(self._run(request_id, binary, self._op(op, body)))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _op(self, op: str, raw_body: Any) -> dict[str, Any]:
        handler = OPS.get(op)
        if handler is None:
            raise DsmError("unknown_op", f"unknown op '{op}'")
        assert self.user_id is not None
        context = OpContext(self.services, self.user_id, self._studio_session, self)
        return await handler(context, as_object(raw_body, "body"))

    async def _hello(self, raw_body: Any, binary: bool) -> dict[str, Any]:
        if self.user_id is not None:
            raise DsmError("invalid_body", "hello: this connection has already said hello")
        greeting = parse_hello(as_object(raw_body, "body"), self.services.config.token)
        db = self.services.db
        if greeting.studio_session:
            await db.write(
                touch_session_job(
                    greeting.user_id,
                    greeting.studio_session,
                    greeting.place_id,
                    greeting.game_id,
                    greeting.plugin_version,
                    self.services.clock(),
                )
            )
        state = await db.read(lambda conn: settings_store.load(conn, greeting.user_id))
        self.user_id = greeting.user_id
        self._studio_session = greeting.studio_session
        self._binary_pushes = binary
        log.info("hello from user %d (plugin %s) on %s", greeting.user_id, greeting.plugin_version, self.session_id)
        return {
            "protocol": PROTOCOL_VERSION,
            "server": {"version": self.services.version},
            "session": self.session_id,
            "limits": self.services.config.limits.to_wire(),
            "settings": state.settings,
            "catalog": catalog(),
        }

    async def _run(self, request_id: str | None, binary: bool, work: Any) -> None:
        try:
            body = await work
        except DsmError as err:
            await self._send_error(request_id, err, binary)
            return
        except Exception:
            log.exception("request %s failed", request_id)
            await self._send_error(request_id, DsmError("internal", "internal error; see the server log"), binary)
            return
        if request_id is not None:
            await self._send({"re": request_id, "ok": True, "body": body}, binary)

    async def _send_error(self, request_id: str | None, err: DsmError, binary: bool) -> None:
        await self._send({"re": request_id, "ok": False, "error": err.to_wire()}, binary)

    async def _send(self, message: dict[str, Any], binary: bool) -> None:
        if self.ws.closed:
            return
        try:
            data = encode(message, binary)
        except (TypeError, ValueError, OverflowError):  # a body the codec cannot carry: a server bug, still answered
            log.exception("reply to %s could not be encoded", message.get("re"))
            if message.get("re") is None:
                return
            failed = DsmError("internal", "internal error; see the server log")
            data = encode({"re": message["re"], "ok": False, "error": failed.to_wire()}, binary)
        try:
            if isinstance(data, bytes):
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(data)
        except (ConnectionError, RuntimeError) as exc:  # the client went away while its reply waited
            log.debug("reply dropped, connection closing: %s", exc)
