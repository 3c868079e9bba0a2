"""`events.append`: validated, deduplicated, acknowledged after commit."""

from __future__ import annotations

import time

from dsm.errors import DsmError
from dsm.link.context import Body, Handler, OpContext
from dsm.store.events import parse_events
from dsm.validate import only_keys

_FIELDS = frozenset(("events",))


async def append(ctx: OpContext, body: Body) -> Body:
    started = time.perf_counter()  # a duration for /metrics, not a timestamp: the clock is not involved
    try:
        accepted, duplicates = await _append(ctx, body)
    except DsmError as exc:
        ctx.services.metrics.refused(exc.code)
        raise
    ctx.services.metrics.ingested(accepted, duplicates, time.perf_counter() - started)
    return {"accepted": accepted, "duplicates": duplicates}


async def _append(ctx: OpContext, body: Body) -> tuple[int, int]:
    only_keys(body, _FIELDS, "")
    services = ctx.services
    rows = parse_events(ctx.user_id, body.get("events"), services.config.limits.max_batch, services.clock())
    if not rows:
        return 0, 0
    result = await services.db.write(services.events.append_job(rows))
    return result.accepted, result.duplicates


OPS: dict[str, Handler] = {"events.append": append}
