"""Fixtures that start real things: the companion on a free port over a temporary SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from dsm.config import ServerConfig
from dsm.link.client import LinkClient
from support import ManualClock, RunningServer, start_server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "dsm.sqlite3"


@pytest.fixture
def clock() -> ManualClock:
    """The companion's clock in a test: a fixed instant the test moves by hand."""
    return ManualClock()


@pytest.fixture
def config(db_path: Path, clock: ManualClock) -> ServerConfig:
    return ServerConfig(db_path=db_path, host="127.0.0.1", port=0, schedule_interval=0, clock=clock)


@pytest.fixture
async def server(config: ServerConfig) -> AsyncIterator[RunningServer]:
    running = await start_server(config)
    yield running
    await running.runner.cleanup()


@pytest.fixture
async def server_factory() -> AsyncIterator[Callable[..., Awaitable[RunningServer]]]:
    """Start servers with custom config; all are stopped at the end of the test."""
    started: list[RunningServer] = []

    async def start(config: ServerConfig, **changes: object) -> RunningServer:
        running = await start_server(replace(config, **changes))  # type: ignore[arg-type]
        started.append(running)
        return running

    yield start
    for running in started:
        await running.runner.cleanup()


@pytest.fixture
async def connect(server: RunningServer) -> AsyncIterator[Callable[..., Awaitable[LinkClient]]]:
    """Open link clients to the server; `await connect(user_id)` says hello as that user."""
    clients: list[LinkClient] = []

    async def open_client(user_id: int | None = 1, *, binary: bool = False, session_id: str = "S1") -> LinkClient:
        client = await LinkClient.connect(server.ws_url, binary=binary)
        clients.append(client)
        if user_id is not None:
            await client.hello(user_id, session_id=session_id)
        return client

    yield open_client
    for client in clients:
        await client.close()
