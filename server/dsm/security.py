"""Origin and Host checks: no cross-site WebSocket hijacking, no DNS rebinding."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from dsm.config import ServerConfig, is_loopback_host

HandlerFn = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def own_origins(config: ServerConfig, port: int) -> frozenset[str]:
    """The server's own pages (the dashboard) may call it; so may origins the user allowed."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if not is_loopback_host(config.host):
        names.add(config.host)
    return frozenset({f"http://{name}:{port}" for name in names}) | config.allowed_origins


def make_guard(
    config: ServerConfig, port_of: Callable[[], int]
) -> Callable[[web.Request, HandlerFn], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def guard(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        name = _host_name(host)
        if not (is_loopback_host(name) or (name and name == config.host)):
            raise web.HTTPForbidden(text=f"Host '{host}' is not a loopback name (DNS rebinding refused)")
        origin = request.headers.get("Origin")
        if origin is not None and origin not in own_origins(config, port_of()):
            raise web.HTTPForbidden(text=f"Origin '{origin}' is not allowed")
        return await handler(request)

    return guard
