"""Under load: acknowledgements never wait for reports (a bounded pool computes them, the rest wait their turn
in view of `status`), and a client that reads slowly costs the server one reply in its send buffer, not all."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dsm.app import SERVICES
from dsm.link.client import LinkClient
from support import RunningServer, event

AIOHTTP_WRITE_LIMIT = 2**18  # a WebSocketResponse writes this much before it waits for the reader


async def wait_until(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> None:
    """Poll until `condition()` holds (an event to wait for, not a duration to assert)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                if await condition():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"still waiting for {what}") from None


def wait_for_file(path: Path) -> bool:
    """Report work that ends when `path` exists (runs in a report process: a module-level function)."""
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return path.exists()


def block_the_pool(running: RunningServer, gate: Path) -> list[asyncio.Future[bool]]:
    """Occupy every report worker until the file `gate` is created."""
    pool = running.app[SERVICES].reports
    return [asyncio.ensure_future(pool.run(wait_for_file, gate)) for _ in range(pool.workers)]


async def test_acks_do_not_wait_for_reports_and_reports_wait_their_turn_visibly(
    server_factory, config, tmp_path: Path
) -> None:
    running = await server_factory(config, report_workers=2)
    studio = await LinkClient.connect(running.ws_url)
    other = await LinkClient.connect(running.ws_url)
    gate = tmp_path / "gate"
    try:
        await studio.hello(1)
        await other.hello(2)
        await studio.call("events.append", {"events": [event(i) for i in range(20)]})
        blockers = block_the_pool(running, gate)
        reports = [
            asyncio.ensure_future(studio.request("reports.generate", {"type": "DAILY_SUMMARY"}, timeout=120))
            for _ in range(5)
        ]

        async def queued() -> bool:
            return (await other.call("status"))["reportQueue"]["waiting"] == 5

        await wait_until(queued, "five report requests waiting")
        queue = (await other.call("status"))["reportQueue"]
        assert queue["running"] == 2 and queue["workers"] == 2
        # the link and the writer are free: events from both users are acknowledged while every report waits
        for n in range(10):
            ack = await other.call("events.append", {"events": [event(1000 + n * 10 + i) for i in range(10)]})
            assert ack == {"accepted": 10, "duplicates": 0}
        assert (await studio.call("events.append", {"events": [event(500)]}))["accepted"] == 1
        assert not any(r.done() for r in reports)

        gate.touch()
        replies = await asyncio.gather(*reports)
        assert await asyncio.gather(*blockers) == [True, True]
        assert len(replies) == 5
        for reply in replies:
            assert reply["ok"] is True, reply
            assert reply["body"]["report"]["type"] == "DAILY_SUMMARY"
        assert (await other.call("status"))["reportQueue"] == {"workers": 2, "running": 0, "waiting": 0, "completed": 7}
    finally:
        gate.touch()
        await studio.close()
        await other.close()


async def test_an_exported_report_is_rendered_in_the_pool(server_factory, config, tmp_path: Path) -> None:
    running = await server_factory(config, report_workers=1)
    client = await LinkClient.connect(running.ws_url)
    gate = tmp_path / "gate"
    try:
        await client.hello(1)
        report = (await client.call("reports.generate", {"type": "DAILY_SUMMARY"}))["report"]
        blockers = block_the_pool(running, gate)
        html = asyncio.ensure_future(client.call("reports.export", {"id": report["id"], "format": "html"}))

        async def queued() -> bool:
            return running.app[SERVICES].reports.snapshot()["waiting"] == 1

        await wait_until(queued, "the HTML render waiting for the pool")
        assert (await client.call("ping")) == {}  # the event loop is not rendering it
        gate.touch()
        await asyncio.gather(*blockers)
        assert (await html)["content"].startswith("<!DOCTYPE html>")
    finally:
        gate.touch()
        await client.close()


# ---- a client that sends requests and never reads the replies ----------------------------------------


def ws_connect(port: int) -> socket.socket:
    """A raw WebSocket handshake on a socket with small buffers (a slow reader, as the kernel sees it)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)  # byte by byte: nothing after the headers is read
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def text_frame(message: dict[str, Any]) -> bytes:
    """A masked client text frame."""
    payload = json.dumps(message).encode()
    mask = os.urandom(4)
    size = len(payload)
    header = bytes([0x81]) + (
        bytes([0x80 | size])
        if size < 126
        else bytes([0x80 | 126]) + size.to_bytes(2, "big")
        if size < 65536
        else bytes([0x80 | 127]) + size.to_bytes(8, "big")
    )
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def server_transport(running: RunningServer, sock: socket.socket) -> asyncio.Transport:
    """The server's side of the raw socket's connection."""
    port = sock.getsockname()[1]
    for handler in running.runner.server.connections:  # type: ignore[union-attr]
        transport = handler.transport
        if transport is not None and transport.get_extra_info("peername")[1] == port:
            return transport  # type: ignore[no-any-return]
    raise AssertionError("no server connection for the raw socket")


async def test_pushes_to_a_client_that_does_not_read_neither_wait_nor_pile_up(server, connect) -> None:
    value = "v" * 1_000_000
    studio = await connect(1)
    await studio.call("cache.put", {"type": "value", "datastore": "D", "key": "big", "value": value})
    sock = await asyncio.to_thread(ws_connect, server.port)
    try:
        # a second Studio window of the same user that stops reading with 32 MB of replies on their way to it
        hello = {"protocol": 1, "plugin": {"version": "t"}, "user": {"id": 1}, "studio": {"sessionId": "slow"}}
        frames = [text_frame({"id": "h", "op": "hello", "body": hello})]
        get = {"op": "cache.get", "body": {"type": "value", "datastore": "D", "key": "big"}}
        frames += [text_frame({"id": f"g{i}", **get}) for i in range(server.config.limits.max_in_flight)]
        await asyncio.to_thread(sock.sendall, b"".join(frames))
        transport = server_transport(server, sock)

        sizes: list[int] = []

        async def backed_up() -> bool:
            """Every reply is on the socket (32 reads done), waiting for a reader that never comes."""
            sizes.append(transport.get_write_buffer_size())
            done = (await studio.call("cache.stats"))["hits"] == server.config.limits.max_in_flight
            return done and sizes[-1] > len(value) and len(set(sizes[-5:])) == 1 and len(sizes) >= 5

        await wait_until(backed_up, "the replies backing up in the slow client's send buffer")
        before = transport.get_write_buffer_size()
        # the other window keeps working: each change pushes settings.changed to the slow one
        for days in range(1, 501):
            reply = await studio.call("settings.update", {"patch": {"analytics": {"retainDataDays": days}}}, 30)
            assert reply["settings"]["analytics"]["retainDataDays"] == days
        # 500 pushes (about 350 KB) did not pile up for the slow client: what aiohttp writes before it waits for
        # a reader (256 KB), then only the newest one waiting
        push_bytes = len(json.dumps({"push": "settings.changed", "body": reply}))
        assert 500 * push_bytes > AIOHTTP_WRITE_LIMIT + 65536
        assert transport.get_write_buffer_size() - before <= AIOHTTP_WRITE_LIMIT + 2 * push_bytes
    finally:
        sock.close()
