"""`status` over the link and the same figures for `GET /api/status`; `ping`, the client's heartbeat."""

from __future__ import annotations

from typing import Any

from dsm.link.context import Body, Handler, OpContext
from dsm.services import Services
from dsm.store.counts import row_counts
from dsm.validate import only_keys


async def server_status(services: Services, user_id: int | None = None) -> dict[str, Any]:
    rows = await services.db.read(lambda conn: row_counts(conn, services.db.tables, user_id))
    return {
        "version": services.version,
        "uptime": services.uptime(),
        "startedAt": services.started_at,
        "connections": len(services.hub),
        "database": {"path": str(services.db.path), "bytes": services.db.size_bytes()},
        "rows": rows,
        "writer": {"transactions": services.db.writer.transactions, "jobs": services.db.writer.jobs},
        "reportQueue": services.reports.snapshot(),
        "notifications": services.notifier.snapshot(user_id),
    }


async def status(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(), "")
    # Over the link the row counts are this user's only: one user never learns about another's records.
    result = await server_status(ctx.services, ctx.user_id)
    result["user"] = {"id": ctx.user_id}
    return result


async def ping(ctx: OpContext, body: Body) -> Body:
    """The client's liveness check: WebSocket pings are not relied on (Studio may not answer them)."""
    only_keys(body, frozenset(), "")
    return {}


OPS: dict[str, Handler] = {"status": status, "ping": ping}
