"""The aiohttp application factory: routes, the shared services and their start-up and clean-up."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from dsm.config import ServerConfig
from dsm.link.connection import Connection
from dsm.link.ops.status import server_status
from dsm.link.socket import LinkSocket
from dsm.metrics import metrics_handler
from dsm.reports.pool import ReportPool
from dsm.scheduler import scheduler_context
from dsm.security import make_guard
from dsm.services import Services
from dsm.store.database import Database
from dsm.store.events import EventStore
from dsm.store.schema import companion_schema
from dsm.web import routes as web_routes
from dsm.web.auth import Sessions, admits

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
PORT = web.AppKey("port", list)  # [bound port]; filled in once the site is listening


async def websocket(request: web.Request) -> web.WebSocketResponse:
    services = request.app[SERVICES]
    ws = LinkSocket(request, services.config.limits.max_frame_bytes)
    await ws.prepare(request)
    conn = Connection(ws, services)
    services.hub.add(conn)
    try:
        await conn.serve()
    finally:
        services.hub.discard(conn)
        await conn.drain()
    return ws


async def api_status(request: web.Request) -> web.Response:
    return web.json_response(await server_status(request.app[SERVICES]))


def _services_context(config: ServerConfig):  # type: ignore[no-untyped-def]
    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        schema = companion_schema()  # every migration, table declaration and event observer, handed over here
        db = await Database.open(config.db_path, schema, config.clock)
        events = EventStore(list(schema.observers), config.clock)
        reports = ReportPool(config.report_workers)
        services = app[SERVICES] = Services(config=config, db=db, events=events, reports=reports)
        await services.notifier.start()
        yield
        await services.notifier.close()
        await reports.close()
        await db.close()  # commits whatever the writer still holds

    return services_ctx


async def _close_connections(app: web.Application) -> None:
    for conn in app[SERVICES].hub.connections():
        await conn.close(WSCloseCode.GOING_AWAY, "server shutting down")


def make_app(config: ServerConfig) -> web.Application:
    port: list[int] = [config.port]
    sessions = Sessions(config.token)  # a browser logged in with the token passes the guard by its cookie
    app = web.Application(middlewares=[make_guard(config, lambda: port[0], lambda r: admits(sessions, port[0], r))])
    app[PORT] = port
    app.cleanup_ctx.append(_services_context(config))
    if config.schedule_interval > 0:
        app.cleanup_ctx.append(scheduler_context(SERVICES))  # after the services: stops before they close
    app.on_shutdown.append(_close_connections)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/api/status", api_status)
    app.router.add_get("/metrics", metrics_handler(lambda request: request.app[SERVICES].metrics))
    web_routes.setup(app, SERVICES, PORT, sessions)
    return app
