"""Liveness without WebSocket pings: the `ping` op answers, and the companion keeps a client that never
answers WebSocket pings (Studio may not) through an idle hour of its event loop's clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from studio_bed.net import VirtualTimeLoop

from dsm.config import ServerConfig
from dsm.link.client import LinkError
from support import ManualClock, start_server

HELLO = {"protocol": 1, "plugin": {"version": "test"}, "user": {"id": 7}, "studio": {"sessionId": "S1"}}


async def test_ping_op_answers_an_empty_body(connect):
    client = await connect(1)
    assert await client.call("ping") == {}
    with pytest.raises(LinkError) as err:
        await client.call("ping", {"extra": 1})
    assert err.value.code == "invalid_body"


async def test_ping_before_hello_gets_hello_required(connect):
    client = await connect(None)
    reply = await client.request("ping")
    assert reply["error"]["code"] == "hello_required"


async def _request(ws: aiohttp.ClientWebSocketResponse, rid: str, op: str, body: Any) -> tuple[dict[str, Any], int]:
    """Send one request; return its reply and how many WebSocket pings arrived first (left unanswered)."""
    try:
        await ws.send_str(json.dumps({"id": rid, "op": op, "body": body}))
    except aiohttp.ClientConnectionResetError as exc:
        raise AssertionError(f"the companion ended the connection: {exc}") from exc
    pings = 0
    while True:
        msg = await ws.receive(timeout=30)  # a safety net only: the reply comes at once unless the link died
        if msg.type == aiohttp.WSMsgType.PING:
            pings += 1
            continue
        assert msg.type == aiohttp.WSMsgType.TEXT, f"the companion ended the connection: {msg.type.name} {msg.extra}"
        return json.loads(msg.data), pings


async def _idle_hour_without_pongs(db_path: Path, loop: VirtualTimeLoop) -> tuple[dict[str, Any], int]:
    config = ServerConfig(db_path=db_path, host="127.0.0.1", port=0, schedule_interval=0, clock=ManualClock())
    server = await start_server(config)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            # autoping=False: WebSocket pings are handed to this code, which never answers them.
            async with session.ws_connect(server.ws_url, autoping=False) as ws:
                hello, pings = await _request(ws, "1", "hello", HELLO)
                assert hello["ok"] is True
                # Quiet for an hour: no frame either way, so nothing resets a heartbeat timer; every timer due
                # in that hour runs (a heartbeat would send its ping, then act on the missing pong).
                await loop.advance(3600)
                reply, later_pings = await _request(ws, "2", "ping", {})
                return reply, pings + later_pings
    finally:
        await server.runner.cleanup()


def test_the_companion_keeps_a_client_that_never_answers_websocket_pings(tmp_path: Path) -> None:
    loop = VirtualTimeLoop()
    try:
        reply, pings = loop.run_until_complete(_idle_hour_without_pongs(tmp_path / "dsm.sqlite3", loop))
    finally:
        loop.close()
    assert reply == {"re": "2", "ok": True, "body": {}}
    assert pings == 0  # and it sends none: no WebSocket heartbeat is configured
