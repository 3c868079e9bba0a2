"""Running the app until Ctrl+C or SIGTERM, then shutting down gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from dsm import __version__
from dsm.app import PORT, SERVICES, make_app
from dsm.config import ServerConfig, is_loopback_host
from dsm.exitcodes import Exit
from dsm.web.auth import login_url
from dsm.web.routes import SESSIONS

log = logging.getLogger(__name__)

# WSAEADDRINUSE and WSAEACCES: how Windows says a port is taken (or reserved by another program).
PORT_TAKEN_ERRNOS = frozenset({errno.EADDRINUSE, 10048, 10013})
PROBE_TIMEOUT_S = 1.0  # a companion answers in milliseconds


class RefusedToStart(Exception):
    """A configuration the server will not run with; the message says why and what to do."""

    def __init__(self, message: str, exit_code: Exit = Exit.USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def check_bind(config: ServerConfig) -> None:
    if not is_loopback_host(config.host) and not config.token:
        raise RefusedToStart(
            f"refusing to listen on {config.host} without a token: other machines could read your data. "
            "Pass --token SECRET (and give the plugin the same token), or bind to 127.0.0.1."
        )


def startup_line(config: ServerConfig, port: int, created_folder: Path | None = None) -> str:
    """The line `dsm serve` prints once listening. A database in a folder that had to be created says so: a
    mistyped `--db` then shows at once, instead of an empty companion in a new folder."""
    host = f"[{config.host}]" if ":" in config.host else config.host
    base = f"{host}:{port}"
    line = f"dsm {__version__} listening on ws://{base}/ws (dashboard http://{base}/), database {config.db_path}"
    if created_folder is not None:
        line += f" (new: created the folder {created_folder})"
    return line


async def serve(config: ServerConfig, on_ready: Callable[[str], None] = print) -> None:
    """Serve until a stop signal; pending writes are committed and sockets closed with a reason."""
    check_bind(config)
    app = make_app(config)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        try:
            await site.start()
        except OSError as exc:
            raise RefusedToStart(await cannot_listen(config, exc), Exit.CANNOT_LISTEN) from None
        port = _bound_port(runner, config.port)
        app[PORT][0] = port
        login = login_url(config, port, app[SESSIONS])
        line = startup_line(config, port, app[SERVICES].db.created_folder)
        on_ready(line + (f"\nopen the dashboard (this link logs in once): {login}" if login else ""))
        await _wait_for_stop()
        log.info("stopping: closing connections and committing pending writes")
    finally:
        await runner.cleanup()


async def cannot_listen(config: ServerConfig, exc: OSError) -> str:
    """Why the port cannot be had, in words that say what to do (and whether our own companion holds it)."""
    where = f"{config.host}:{config.port}"
    if exc.errno not in PORT_TAKEN_ERRNOS and getattr(exc, "winerror", None) not in PORT_TAKEN_ERRNOS:
        return f"cannot listen on {where} ({exc.strerror or exc}): check --host and --port"
    other = await companion_on(config)
    if other is not None:
        return (
            f"port {config.port} is in use by another DataStore Manager Pro companion ({other}): the plugin can "
            "use that one; stop it first, or pass --port N to run a second one"
        )
    finder = (
        f"`netstat -ano | findstr :{config.port}`"
        if sys.platform == "win32"
        else f"`lsof -nP -iTCP:{config.port} -sTCP:LISTEN`"
    )
    return (
        f"port {config.port} on {config.host} is in use by another program ({finder} shows which): "
        "pass --port N to use another port, and give the plugin the same port in its Connection tab"
    )


async def companion_on(config: ServerConfig) -> str | None:
    """`dsm <version>, database <path>` when a companion answers GET /api/status on the port, else None."""
    host = "127.0.0.1" if config.host in ("0.0.0.0", "", "::") else config.host
    host = f"[{host}]" if ":" in host else host
    headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
    try:
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://{host}:{config.port}/api/status", headers=headers) as response,
        ):
            status: Any = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    if not isinstance(status, dict) or "version" not in status:
        return None
    database = status.get("database")
    path = database.get("path") if isinstance(database, dict) else None
    return f"dsm {status['version']}" + (f", database {path}" if path else "")


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
