"""Running the app until Ctrl+C or SIGTERM, then shutting down gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from dsm import __version__
from dsm.app import PORT, make_app
from dsm.config import ServerConfig, is_loopback_host

log = logging.getLogger(__name__)


class RefusedToStart(Exception):
    """A configuration the server will not run with; the message says why and what to do."""


def check_bind(config: ServerConfig) -> None:
    if not is_loopback_host(config.host) and not config.token:
        raise RefusedToStart(
            f"refusing to listen on {config.host} without a token: other machines could read your data. "
            "Pass --token SECRET (and give the plugin the same token), or bind to 127.0.0.1."
        )


def startup_line(config: ServerConfig, port: int) -> str:
    host = f"[{config.host}]" if ":" in config.host else config.host
    base = f"{host}:{port}"
    return f"dsm {__version__} listening on ws://{base}/ws (dashboard http://{base}/), database {config.db_path}"


async def serve(config: ServerConfig, on_ready: Callable[[str], None] = print) -> None:
    """Serve until a stop signal; pending writes are committed and sockets closed with a reason."""
    check_bind(config)
    app = make_app(config)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = _bound_port(runner, config.port)
        app[PORT][0] = port
        on_ready(startup_line(config, port))
        await _wait_for_stop()
        log.info("stopping: closing connections and committing pending writes")
    finally:
        await runner.cleanup()


def _bound_port(runner: web.AppRunner, fallback: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return fallback


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers; there Ctrl+C cancels the main task instead.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
