"""The link's WebSocket: aiohttp's, closing cleanly on a frame over `maxFrameBytes`.

aiohttp answers such a frame with a bare 1009 and drops the TCP connection at once. A client still sending
(the rest of that frame, or more frames) then gets a connection reset, usually before it has read the close
frame. This socket says why in the close frame, then keeps reading, and dropping, what the client still sends
until the client closes its end or `LINGER_S` passes, so the client reads 1009 and the reason.
"""

from __future__ import annotations

import asyncio
import logging
import struct

from aiohttp import WSCloseCode, WSMsgType, web

log = logging.getLogger(__name__)

LINGER_S = 2.0
# aiohttp offers no event for "the peer closed" once the frame parser has failed, so the linger polls.
_POLL_S = 0.02


class LinkSocket(web.WebSocketResponse):
    def __init__(self, request: web.Request, max_frame_bytes: int) -> None:
        # No heartbeat: whether Studio answers pings is undocumented, and aiohttp closes a client that misses a
        # pong; liveness is the client's `ping` op. Text frames stay bytes: the codec checks their UTF-8, so a
        # bad one is a `bad_frame` reply, not a closed connection (the contract closes only for size and flood).
        super().__init__(max_msg_size=max_frame_bytes, heartbeat=None, decode_text=False)
        self._request = request
        self._max_frame_bytes = max_frame_bytes

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True) -> bool:
        if code == WSCloseCode.MESSAGE_TOO_BIG and not self.closed:
            await self._close_over_limit()
        return await super().close(code=code, message=message, drain=drain)

    async def _close_over_limit(self) -> None:
        reason = f"frame over maxFrameBytes ({self._max_frame_bytes} bytes)".encode()
        try:
            await self.send_frame(struct.pack("!H", WSCloseCode.MESSAGE_TOO_BIG) + reason, WSMsgType.CLOSE)
        except (ConnectionError, RuntimeError) as exc:
            log.debug("close frame not sent: %s", exc)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINGER_S
        while loop.time() < deadline:
            transport = self._request.transport
            if transport is None or transport.is_closing():
                return  # the client closed its end: it has read what we sent
            await asyncio.sleep(_POLL_S)
        transport = self._request.transport
        if transport is not None:
            transport.close()  # the client kept sending: stop listening (aiohttp's close then finds it closed)
