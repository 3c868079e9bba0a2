"""Origin and Host checks: no cross-site WebSocket hijacking, no DNS rebinding."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web

from dsm.config import ServerConfig, is_loopback_host

HandlerFn = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def host_allowed(config: ServerConfig, name: str) -> bool:
    """Loopback names always; the bound address; any IP literal when bound to all interfaces. Never a DNS
    name that is not loopback: that is what a rebinding attack needs."""
    if is_loopback_host(name) or (name and name == config.host.strip("[]")):
        return True
    if config.host.strip("[]") in WILDCARDS:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
    return False


def token_given(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else request.query.get("token", "")
    return hmac.compare_digest(given.encode(), token.encode())


def own_origins(config: ServerConfig, port: int) -> frozenset[str]:
    """The server's own pages (the dashboard) may call it; so may origins the user allowed."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if not is_loopback_host(config.host):
        names.add(config.host)
    return frozenset({f"http://{name}:{port}" for name in names}) | config.allowed_origins


def make_guard(
    config: ServerConfig, port_of: Callable[[], int], admit: Callable[[web.Request], bool] = lambda _r: False
) -> Callable[[web.Request, HandlerFn], Awaitable[web.StreamResponse]]:
    """`admit` lets a request without the token through (a logged-in browser's session, the login page)."""

    @web.middleware
    async def guard(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        name = _host_name(host)
        if not host_allowed(config, name):
            raise web.HTTPForbidden(text=f"Host '{host}' is not a loopback name (DNS rebinding refused)")
        origin = request.headers.get("Origin")
        if origin is not None and origin not in own_origins(config, port_of()):
            raise web.HTTPForbidden(text=f"Origin '{origin}' is not allowed")
        # With a token, HTTP needs it too (`Authorization: Bearer T` or `?token=T`); the WebSocket checks it in hello.
        if config.token and request.path != "/ws" and not token_given(request, config.token) and not admit(request):
            if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
                raise web.HTTPSeeOther("/login")  # a browser: to the login page, not a bare 401
            raise web.HTTPUnauthorized(text="this server requires its token: Authorization: Bearer <token>")
        return await handler(request)

    return guard
