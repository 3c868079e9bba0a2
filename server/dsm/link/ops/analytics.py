"""`analytics.current` (live counters from stored events), `analytics.history`, `analytics.snapshot`."""

from __future__ import annotations

from dsm.link.context import Body, Handler, OpContext
from dsm.store import analytics as store
from dsm.validate import as_object, choice, number, only_keys, plain_value, timestamp

# As far back as history can reach: the longest retention a user can set (analytics.retainDataDays <= 3650).
MAX_HISTORY_SECONDS = 3650 * 86400


async def current(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(), "")
    user_id, session = ctx.user_id, ctx.studio_session
    at = ctx.services.clock()
    return await ctx.services.db.read(lambda conn: store.current(conn, user_id, session, at))


async def history(ctx: OpContext, body: Body) -> Body:
    """`{seconds, granularity: realtime|5min|hourly|daily}` → `{points: [...]}`, oldest first."""
    only_keys(body, frozenset(("seconds", "granularity")), "")
    seconds = number(body, "seconds", "", required=False, minimum=0, maximum=MAX_HISTORY_SECONDS, default=86400.0)
    granularity = choice(body, "granularity", "", ("realtime", *store.GRANULARITIES), required=False, default="hourly")
    since = ctx.services.clock() - float(seconds or 0)
    user_id = ctx.user_id
    if granularity == "realtime":
        points = await ctx.services.db.read(lambda conn: store.realtime_points(conn, user_id, since))
    else:
        bucket = store.GRANULARITIES[granularity or "hourly"]
        points = await ctx.services.db.read(lambda conn: store.series(conn, user_id, since, bucket))
    return {"granularity": granularity, "since": since, "points": points}


async def snapshot(ctx: OpContext, body: Body) -> Body:
    """Store a real-time snapshot the plugin took (`{data, sessionTime?, timestamp?}`)."""
    only_keys(body, frozenset(("data", "sessionTime", "timestamp")), "")
    data = plain_value(as_object(body.get("data"), "data"), "data")
    session_time = number(body, "sessionTime", "", required=False, minimum=0)
    ts = timestamp(body, "timestamp", "", required=False) or ctx.services.clock()
    row_id = await ctx.services.db.write(store.save_realtime_job(ctx.user_id, float(ts), session_time, data))
    return {"id": row_id, "timestamp": ts}


OPS: dict[str, Handler] = {
    "analytics.current": current,
    "analytics.history": history,
    "analytics.snapshot": snapshot,
}
