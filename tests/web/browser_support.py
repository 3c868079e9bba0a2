"""The dashboard's browser tests: a real companion on its own event loop thread (Selenium's calls block, so the
server cannot share the test's loop), link clients on that loop, and Chromium through chromium-driver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from chromium import png_size
from dsm.config import ServerConfig
from dsm.link.client import LinkClient
from support import FIXED_NOW, RunningServer, start_server

T = TypeVar("T")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "dashboard"
WAIT_S = 30.0  # how long a condition may take to appear (a bound for a broken page, never a measurement)
HOUR = 3600.0


class ThreadedServer:
    """The companion on an event loop in a thread of its own; `run` executes a coroutine there."""

    def __init__(self, config: ServerConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="dashboard-test-server", daemon=True)
        self.thread.start()
        self.server: RunningServer = self.run(start_server(config))
        self.clients: list[LinkClient] = []

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def url(self) -> str:
        return self.server.http_url

    def client(self, user_id: int, token: str | None = None) -> LinkClient:
        """A link client that said hello as `user_id` (the plugin's side of the real WebSocket)."""

        async def open_client() -> LinkClient:
            client = await LinkClient.connect(self.server.ws_url)
            await client.hello(user_id, token=token)
            return client

        client = self.run(open_client())
        self.clients.append(client)
        return client

    def call(self, client: LinkClient, op: str, body: Any) -> dict[str, Any]:
        return self.run(client.call(op, body))

    def stop(self) -> None:
        for client in self.clients:
            self.run(client.close())
        self.run(self.server.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


def ds_event(
    n: int, ts: float, name: str, latency: float, *, ok: bool = True, code: int | None = None
) -> dict[str, Any]:
    """One DataStore call as the plugin sends it."""
    event: dict[str, Any] = {
        "id": f"B1-{n}",
        "ts": ts,
        "kind": "datastore",
        "name": name,
        "datastore": "PlayerData" if name != "SetAsync" else "Inventory",
        "scope": "global",
        "key": f"player_{n % 3}",
        "latencyMs": latency,
        "ok": ok,
    }
    if code is not None:
        event["errorCode"] = code
    return event


# The data every browser test sends: two hours of DataStore work before the fixed noon of the test clock.
TEN = FIXED_NOW - 2 * HOUR  # 10:00 UTC
ELEVEN = FIXED_NOW - HOUR
EVENTS = [
    ds_event(1, TEN + 60, "GetAsync", 20.0),
    ds_event(2, TEN + 120, "GetAsync", 40.0),
    ds_event(3, TEN + 180, "GetAsync", 60.0),
    ds_event(4, TEN + 240, "SetAsync", 100.0),
    ds_event(5, TEN + 300, "GetAsync", 5.0, ok=False, code=301),  # throttled: a budget event
    ds_event(6, ELEVEN + 60, "GetAsync", 30.0),
    ds_event(7, ELEVEN + 120, "GetAsync", 50.0),
    ds_event(8, ELEVEN + 180, "RemoveAsync", 80.0, ok=False, code=502),
    {"id": "B1-9", "ts": ELEVEN + 240, "kind": "error", "name": "request_failed", "errorCode": 502, "message": "x"},
]


def page_png(driver: Any, name: str, *, dark: bool) -> Path:
    """The whole current page in one colour scheme, as artifacts/dashboard/<name>-<light|dark>.png."""
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    width = 1280
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(max(height, 400), 6000) + 140)  # room for the window's own frame
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"{name}-{scheme}.png"
    data = driver.get_screenshot_as_png()
    assert png_size(data)[0] > 0
    out.write_bytes(data)
    return out


def both_schemes(driver: Any, name: str) -> list[Path]:
    shots = [page_png(driver, name, dark=False), page_png(driver, name, dark=True)]
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    return shots
