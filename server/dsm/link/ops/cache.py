"""`cache.put`, `cache.get`, `cache.stats`, `cache.clear` over the cache store."""

from __future__ import annotations

from dsm.link.context import Body, Handler, OpContext
from dsm.link.ops.settings import load as load_settings
from dsm.store import cache as store
from dsm.validate import only_keys, string


async def put(ctx: OpContext, body: Body) -> Body:
    address, payload = store.parse_put(body)
    settings = (await load_settings(ctx, ctx.user_id)).settings
    ttl = float(settings["dataStore"]["cacheTimeout"])
    result = await ctx.services.db.write(store.put_job(ctx.user_id, address, payload, ttl, ctx.services.clock()))
    return {
        "stored": True,
        "bytes": result.bytes,
        "cachedAt": result.cached_at,
        "expiresAt": result.expires_at,
    }


async def get(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("type", "datastore", "scope", "key", "prefix")), "")
    entry = await ctx.services.db.write(store.get_job(ctx.user_id, store.parse_address(body), ctx.services.clock()))
    return {"hit": entry is not None, "entry": entry}


async def stats(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(), "")
    user_id, at = ctx.user_id, ctx.services.clock()
    return await ctx.services.db.read(lambda conn: store.stats(conn, user_id, at))


async def clear(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("datastore",)), "")
    datastore = string(body, "datastore", "", required=False, min_len=1, max_len=store.NAME_LIMIT)
    removed = await ctx.services.db.write(store.clear_job(ctx.user_id, datastore))
    return {"removed": removed}


OPS: dict[str, Handler] = {"cache.put": put, "cache.get": get, "cache.stats": stats, "cache.clear": clear}
