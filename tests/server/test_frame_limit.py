"""A frame over `maxFrameBytes` closes the connection with 1009 and a reason, even while the client is still
sending: the client reads the close frame instead of a connection reset, and other connections go on."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

import aiohttp

from dsm.config import Limits
from dsm.link.client import LinkClient

LIMIT = 64 * 1024


def _frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame (RFC 6455 5.2)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 2**16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(size, "big")
    return head + mask + masked


def _oversize_then_keep_sending(port: int, size: int, more: int) -> tuple[str, bytes]:
    """A plain blocking client: upgrade, send one frame of `size` bytes, then `more` pings, then read to the end.
    Returns what went wrong ("" if nothing) and the bytes the server sent after the upgrade."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101")
        received = head.split(b"\r\n\r\n", 1)[1]
        problem = ""
        try:
            sock.sendall(_frame(b'"' + b"x" * (size - 2) + b'"'))
            for _ in range(more):
                sock.sendall(_frame(b'{"id":"p","op":"ping"}'))
        except OSError as exc:
            problem = repr(exc)
        try:  # read until the server's close frame is whole, then answer it as the protocol asks and hang up
            while len(received) < 2 or len(received) < 2 + (received[1] & 0x7F):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
            sock.sendall(_frame(struct.pack("!H", 1000), opcode=0x8))
        except OSError as exc:
            problem = problem or f"while reading: {exc!r}"
        return problem, received


async def test_a_frame_over_the_limit_is_closed_with_1009_and_a_reason_while_the_client_keeps_sending(
    config, server_factory
):
    server = await server_factory(config, limits=Limits(max_frame_bytes=LIMIT))
    bystander = await LinkClient.connect(server.ws_url)
    await bystander.hello(2)

    problem, received = await asyncio.to_thread(_oversize_then_keep_sending, server.port, 4 * 1024 * 1024, 300)

    assert problem == ""  # no connection reset while sending or reading
    assert received[:1] == b"\x88"  # the server's first frame is a close frame...
    length = received[1] & 0x7F
    code, reason = struct.unpack("!H", received[2:4])[0], received[4 : 2 + length].decode()
    assert code == 1009  # ...with "message too big"
    assert "maxFrameBytes" in reason and str(LIMIT) in reason
    assert await bystander.call("ping") == {}  # another client is not affected


async def test_an_aiohttp_client_sending_a_large_frame_reads_1009_and_the_reason(config, server_factory):
    server = await server_factory(config, limits=Limits(max_frame_bytes=LIMIT))
    async with aiohttp.ClientSession() as session, session.ws_connect(server.ws_url) as ws:
        await ws.send_json({"id": "1", "op": "hello", "body": {"protocol": 1, "user": {"id": 1}}})
        assert (await ws.receive_json())["ok"] is True

        async def keep_sending() -> None:
            await ws.send_str('{"id":"big","op":"ping","body":{"x":"' + "y" * LIMIT + '"}}')
            for n in range(1000):
                if ws.closed:
                    return
                await ws.send_str(f'{{"id":"p{n}","op":"ping"}}')
                await asyncio.sleep(0)

        sender = asyncio.create_task(keep_sending())
        message = await ws.receive()
        sender.cancel()
        assert message.type == aiohttp.WSMsgType.CLOSE
        assert message.data == 1009
        assert "maxFrameBytes" in message.extra
