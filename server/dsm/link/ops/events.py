"""`events.append`: validated, deduplicated, acknowledged after commit."""

from __future__ import annotations

from dsm.link.context import Body, Handler, OpContext
from dsm.store.events import parse_events
from dsm.validate import only_keys

_FIELDS = frozenset(("events",))


async def append(ctx: OpContext, body: Body) -> Body:
    only_keys(body, _FIELDS, "")
    services = ctx.services
    rows = parse_events(ctx.user_id, body.get("events"), services.config.limits.max_batch, services.clock())
    if not rows:
        return {"accepted": 0, "duplicates": 0}
    result = await services.db.write(services.events.append_job(rows))
    return {"accepted": result.accepted, "duplicates": result.duplicates}


OPS: dict[str, Handler] = {"events.append": append}
